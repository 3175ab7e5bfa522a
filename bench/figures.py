"""Figures: medians, percentiles, ratios against a peer, and the printed tables.

Every benchmark prints through here so the output reads the same everywhere,
and appends its figures as one JSON line to bench/captures/results.jsonl (the
raw material for docs/performance.md; that directory is git-ignored).
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

CAPTURES = Path(__file__).resolve().parent / "captures"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): a value that was really observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
        "n": len(values),
    }


def human(value: float, unit: str = "") -> str:
    if value != value:  # NaN
        return "-"
    for limit, suffix, div in ((1e6, " M", 1e6), (1e4, " k", 1e3)):
        if abs(value) >= limit:
            return f"{value / div:.2f}{suffix}{unit}"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}".rstrip()
    return f"{value:.3g} {unit}".rstrip()


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output can be pasted into docs/performance.md."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"\n### {title}\n"]
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"


def record(benchmark: str, figures: dict[str, object]) -> None:
    """Keep the run's figures (appended, one JSON object per line)."""
    CAPTURES.mkdir(exist_ok=True)
    entry = {"benchmark": benchmark, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    entry["machine"] = machine()
    entry.update(figures)
    with (CAPTURES / "results.jsonl").open("a") as fh:
        fh.write(json.dumps(entry, default=str) + "\n")
