"""Giving freed memory back to the system after each rebuild.

A rebuild allocates and frees tens of megabytes (pages, token lists, rendered HTML)
on a thread of its own. glibc's malloc keeps what is freed in that thread's arena
and hands little of it back, and the arena's free space fragments, so the server's
resident size crept up by about 26 kB per save without levelling off, though no
Python object was kept (tracemalloc showed a flat heap). `malloc_trim(0)` returns
the free pages of every arena. Only glibc has it; elsewhere this does nothing."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable


def _find_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process runs on
    except (OSError, AttributeError):
        return None  # e.g. musl, which has no malloc_trim
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_trim = _find_trim()


def give_back() -> None:
    if _trim is not None:
        _trim(0)
