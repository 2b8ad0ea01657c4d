"""Between the phases of a build: how long each took (shown with -v, kept in\nBuildResult.timings), and keeping what they made out of the cycle collector's way."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timer:
    log: Callable[[str], None]
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = now - started
        self.log(f"  {name}: {1000 * (now - started):.0f} ms")
        return now


def keep_for_the_build() -> None:
    """Exempt every object made so far from the cycle collector until the build ends.

    A build makes many long-lived objects (pages, Markdown, the cache's state) and some
    short-lived cyclic garbage (Jinja's render contexts). Left alone, the collector would
    walk the long-lived ones again and again (a quarter of a warm build); turned off, the
    garbage would pile up. Frozen after each phase, it only looks at what is new."""
    gc.freeze()
    gc.enable()
