"""Timing harness: warm-up, repeats, median and spread; a small fixed-width table printer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


@dataclass
class Timing:
    """Seconds per call: median over ``repeats`` timed calls, and their min and max."""

    median: float
    min: float
    max: float
    repeats: int

    @property
    def spread(self) -> float:
        """(max - min) / median: the relative spread of the repeats."""
        return (self.max - self.min) / self.median if self.median > 0 else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["spread"] = self.spread
        return d


def measure(fn: Callable[[], object], repeats: int = 5, warmup: int = 1, min_repeats: int | None = None,
            budget_s: float | None = None) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls (JIT compile, cache load, first touch), then
    ``repeats`` timed calls (at least ``min_repeats`` if a time ``budget_s`` cuts them short)."""
    for _ in range(warmup):
        fn()
    lo = repeats if min_repeats is None else max(1, min(min_repeats, repeats))
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if budget_s is not None and len(times) >= lo and time.perf_counter() - start > budget_s:
            break
    return Timing(statistics.median(times), min(times), max(times), len(times))


def rate(count: float, t: Timing) -> dict:
    """Throughput ``count / seconds``: median and the spread as [slowest, fastest]."""
    return {"median": count / t.median, "low": count / t.max, "high": count / t.min}


def fmt(v, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def table(headers: Sequence[str], rows: Sequence[Sequence], title: str | None = None) -> str:
    """A fixed-width text table (also valid GitHub Markdown)."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    if title:
        lines.append(f"\n{title}")
    for k, r in enumerate(cells):
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
