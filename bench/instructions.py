"""Instructions per AMI event, counted by valgrind: the bridge beside panoramisk, free of the machine's noise.

The CPU-time figures of ``bench ami`` move by a third from run to run on these
shared 2-core machines, and from one machine to the next by a factor of two or
more; a 5 % change cannot be seen in them. Counting the instructions the
processor executes (valgrind's cachegrind, without its cache simulation) gives
the model's figure again to within a fraction of a percent, and the bridge's,
whose recordings are looked at on a clock, to within about 3 %.

Each consumer is fed the captured frames in-process (``bench.bridge_harness``),
twice under valgrind: ``events`` and twice as many. Both runs read the same
frames and lay the same recordings first (``--prepared``), so the difference
between them is the work of feeding ``events`` frames, whatever the start-up
costs. The consumers see the whole stream, the unwanted events included (no
server-side filter in-process).

An instruction is not a fixed time. Our code runs at fewer instructions per
cycle than panoramisk's (which spends its time in long string operations in C),
so the ratio of instructions is larger than the ratio of CPU time (about twice,
on the machine of 2026-11-26 afternoon): it compares versions of our own code,
and says how much work each consumer does; ``bench ami`` measures the time.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.figures import human, record, table

CONSUMERS = {
    "panoramisk": ("panoramisk 1.4, register_event('*')", ["--panoramisk"]),
    "model": ("ours: AmiClient and the call/agent/queue model, no publishing", ["--model-only"]),
    "bridge": ("ours: CtiBridge, the model, its publisher and an in-process bus", []),
}
PEER = "panoramisk"

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count(capture: Path, consumer: str, events: int, prepared: int, timeout: float = 1800) -> tuple[int, int]:
    """(instructions, events fed) of one run of ``consumer`` under cachegrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind not found: install Debian's valgrind package")
    command = [
        valgrind,
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.bridge_harness",
        "--capture",
        str(capture),
        "--events",
        str(events),
        "--prepared",
        str(prepared),
        *CONSUMERS[consumer][1],
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    refs = _REFS.search(out.stderr)
    if out.returncode != 0 or refs is None:
        raise RuntimeError(f"{consumer} under valgrind failed:\n{out.stderr[-2000:]}")
    fed = json.loads(out.stdout.strip().splitlines()[-1])["events"]
    return int(refs[1].replace(",", "")), fed


def per_event(capture: Path, consumer: str, events: int) -> dict[str, Any]:
    """Instructions per fed event: the difference between a run of ``events`` and one of twice as many."""
    short, short_fed = count(capture, consumer, events, 2 * events)
    long, long_fed = count(capture, consumer, 2 * events, 2 * events)
    return {
        "per_event": (long - short) / (long_fed - short_fed),
        "runs": {"short": [short, short_fed], "long": [long, long_fed]},
    }


def run(capture: Path, consumers: list[str], events: int, log=print) -> str:
    figures: dict[str, Any] = {}
    for consumer in consumers:
        figures[consumer] = per_event(capture, consumer, events)
        log(f"  {consumer:<11} {figures[consumer]['per_event']:,.0f} instructions per AMI event")
    peer = figures.get(PEER, {}).get("per_event")
    rows = []
    for consumer, figure in figures.items():
        ours = figure["per_event"]
        figure["share_of_peer"] = ours / peer if peer else float("nan")
        rows.append([CONSUMERS[consumer][0], f"{ours:,.0f}", f"{peer / ours:.2f}×" if peer else "-"])
    record("instructions", {"events": events, "consumers": figures})
    return table(
        f"Instructions per AMI event (cachegrind; {human(events)} and {human(2 * events)} events fed)",
        ["consumer", "instructions per event", f"{PEER}'s ÷ ours"],
        rows,
    )
