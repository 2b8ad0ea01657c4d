"""How long each phase of a build took (shown with -v, kept in BuildResult.timings)."""

from __future__ import annotations

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
