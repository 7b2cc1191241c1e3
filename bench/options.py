"""What every benchmark is told: how big to run and whether to profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    quick: bool = False  # small sizes: the whole set in under a minute
    full: bool = False  # the spec's own sizes where the default is smaller (replay: 1M)
    profile: bool = False  # print a cProfile of the hot part (slower; figures are not kept)

    def size(self, quick: int, default: int, full: int | None = None) -> int:
        if self.quick:
            return quick
        if self.full and full is not None:
            return full
        return default
