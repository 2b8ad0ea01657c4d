"""Makes this Linux look like a system without some of its features, for the tests of
issue 18 (tests/test_portable.py): site.py imports `sitecustomize` at the start-up of
every Python process, so one whose PYTHONPATH begins with this folder (the CLI, and any
worker process it starts) lacks them before site_builder is ever imported.

SITE_BUILDER_HIDE, comma-separated:
  fcntl      the module cannot be imported (as on Windows)
  fork       os.fork and os.forkpty are gone (as on Windows)
  renameat2  the C library has no renameat2 (as on Windows, macOS or an old glibc)
  signals    asyncio event loops take no signal handlers (as on Windows)
  openat     os.open takes no dir_fd and there is no O_NOFOLLOW (as on Windows)
  cjk-font   no CJK font is installed (the share cards' lookup finds none)

SITE_BUILDER_KILL_AFTER_RENAME=PREFIX: the process kills itself (SIGKILL, no clean-up)
right after it renames something to a name starting with PREFIX, so a test can stop a
build exactly between the two renames of a swap without an atomic exchange.

SITE_BUILDER_PROCESS_LOG=FILE: each process appends its command line to FILE.
"""

from __future__ import annotations

import os
import sys
from typing import Any

HIDDEN = {name for name in os.environ.get("SITE_BUILDER_HIDE", "").split(",") if name}


class HideFcntl:
    """A meta path finder that finds `fcntl` missing, as on Windows."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "fcntl":
            raise ModuleNotFoundError("No module named 'fcntl' (hidden by a test)", name=name)


if "fcntl" in HIDDEN:
    sys.modules.pop("fcntl", None)
    sys.meta_path.insert(0, HideFcntl())

if "fork" in HIDDEN:
    for name in ("fork", "forkpty"):
        if hasattr(os, name):
            delattr(os, name)

if "renameat2" in HIDDEN:
    import ctypes

    find_symbol = ctypes.CDLL.__getitem__

    def without_renameat2(library: ctypes.CDLL, name: Any) -> Any:
        if name == "renameat2":
            raise AttributeError(f"{library._name}: undefined symbol: renameat2 (hidden)")
        return find_symbol(library, name)

    ctypes.CDLL.__getitem__ = without_renameat2  # type: ignore[method-assign]

if "signals" in HIDDEN:
    import asyncio

    def no_signal_handlers(*args: Any) -> None:
        raise NotImplementedError

    asyncio.SelectorEventLoop.add_signal_handler = no_signal_handlers  # type: ignore[method-assign]
    asyncio.SelectorEventLoop.remove_signal_handler = no_signal_handlers  # type: ignore[method-assign]

if "openat" in HIDDEN:
    os.supports_dir_fd.discard(os.open)
    for flag in ("O_NOFOLLOW", "O_DIRECTORY"):
        if hasattr(os, flag):
            delattr(os, flag)

if "cjk-font" in HIDDEN:
    from site_builder.render import share_card

    share_card.find_cjk_font = lambda weight: None  # type: ignore[assignment]

if kill_after := os.environ.get("SITE_BUILDER_KILL_AFTER_RENAME"):
    import signal

    real_rename = os.rename

    def rename_then_die(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        real_rename(source, target, *args, **kwargs)
        if os.path.basename(os.fsdecode(target)).startswith(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)

    os.rename = rename_then_die

if log := os.environ.get("SITE_BUILDER_PROCESS_LOG"):
    with open(log, "a", encoding="utf-8") as file:
        file.write(" ".join(sys.orig_argv) + "\n")
