"""People's names in running text: who a quotation's speaker is.

`person_name` reads the name in a run of capitalised words, for ingest's speakers and for a
page's alike (titles dropped, the list is `_TITLES`; a possessive is nobody), so a page's
speaker is read by the same rules as the record's when a quote is checked.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OPENING_MARKS", "bare_word", "ends_sentence", "is_abbreviation", "person_name"]

_TITLES = {
    "admiral", "alderman", "ambassador", "analyst", "attorney", "bishop", "capt", "captain",
    "ceo", "chair", "chairman", "chairwoman", "chancellor", "chief", "coach", "col", "colonel",
    "commissioner", "congressman", "congresswoman", "councillor", "councilor", "councilman",
    "councilwoman", "dame", "deputy", "detective", "director", "doctor", "dr", "economist",
    "envoy", "gen", "general", "gov", "governor", "inspector", "judge", "justice", "king",
    "lord", "mayor", "minister", "miss", "mr", "mrs", "ms", "officer", "pope", "premier",
    "president", "prime", "prince", "princess", "prof", "professor", "queen", "rabbi", "rep",
    "representative", "rev", "reverend", "sec", "secretary", "sen", "senator", "sergeant",
    "sgt", "sir", "speaker", "spokesman", "spokesperson", "spokeswoman", "state", "vice",
}  # fmt: skip
# Words capitalised at the start of a sentence that never begin a name.
_FUNCTION_WORDS = {
    "a", "according", "after", "ahead", "also", "although", "an", "and", "as", "at", "before",
    "but", "by", "despite", "during", "earlier", "for", "from", "however", "if", "in", "last",
    "later", "meanwhile", "now", "on", "or", "since", "so", "still", "that", "the", "then",
    "these", "this", "those", "though", "today", "tomorrow", "under", "until", "when", "while",
    "with", "without", "yesterday", "yet",
}  # fmt: skip
# Words ending in a dot that do not end a sentence.
_ABBREVIATIONS = {
    "capt", "co", "col", "corp", "dr", "gen", "gov", "hon", "inc", "jr", "lt", "ltd", "mr",
    "mrs", "ms", "no", "prof", "rep", "rev", "sec", "sen", "sgt", "sr", "st", "vs",
}  # fmt: skip
_POSSESSIVE = ("'s", "’s")
OPENING_MARKS = '“"‘('


def is_abbreviation(word: str) -> bool:
    """Whether the dot after `word` does not end a sentence: "Mr.", "U.S.", "J."."""
    bare = word.lstrip(OPENING_MARKS).rstrip(".")
    return bare.lower() in _ABBREVIATIONS or "." in bare or len(bare) == 1


def ends_sentence(word: str) -> bool:
    return word.endswith(".") and not is_abbreviation(word)


def bare_word(word: str) -> str:
    """A word without a sentence-ending dot or a possessive ’s."""
    if ends_sentence(word):
        word = word[:-1]
    return word[:-2] if word.endswith(_POSSESSIVE) else word


def person_name(words: Iterable[str], proper: set[str], *, strict: bool = False) -> str | None:
    """The name in a run of capitalised words: what follows the last title, without a leading
    function word ("In Beijing") or, in a run of three or more, words capitalised only because
    they open the sentence ("Stallholder Rosa Diaz"; but "Ana Costa" keeps both words).
    `strict` refuses a single such word: a sentence's first word is a poor guess at a subject."""
    words = list(words)
    if not words or words[-1].endswith(_POSSESSIVE):
        return None  # "Trump’s spokesman said": the speaker is not Trump
    words = [bare_word(w) for w in words]
    titles = [i for i, w in enumerate(words) if w.lower().rstrip(".") in _TITLES]
    if titles:
        words = words[titles[-1] + 1 :]
    while words and words[0].lower() in _FUNCTION_WORDS:
        words.pop(0)
    while len(words) > 2 and words[0] not in proper:
        words.pop(0)
    if not words or (strict and words[0] not in proper):
        return None
    return " ".join(words)
