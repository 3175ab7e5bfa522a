"""AMI ingest: events/s of each consumer on the same replayed capture, same run.

Each trial is two fresh processes: the replay server (bench/replay.py) and
one consumer (bench/ami_consumers.py). Rounds rotate the consumers' order, so
the machine's noise falls on all of them alike; the figure is the median over
rounds and the ratio is against panoramisk's median from the same run.

The paced part replays at a fixed rate (Asterisk's own saturation, about 41 k
events/s here) and reports the consumer's CPU as a share of one core. The rate
is the whole captured stream's: a consumer that asks for its events only
(``Action: Filter``, like the bridge in production) receives just those, as it
would from an Asterisk writing 41 k events/s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import replay
from bench.ami_consumers import GO_KINDS, RECORDING_KINDS
from bench.bridge_harness import recordings_root
from bench.figures import human, median, record, table

KINDS = (
    "discard",
    "panoramisk",
    "pyst2",
    "ours",
    "ours-used",
    "ours-used-whole",
    "ours-all",
    "ours-dict",
    "bridge",
    "bridge-whole",
)
LABELS = {
    "discard": "read and discard (ceiling)",
    "panoramisk": "panoramisk 1.4, register_event('*')",
    "pyst2": "pyst2 0.5.1 manager, '*' callback",
    "ours": "ours: AmiClient, '*' listener (split + name + dispatch)",
    "ours-used": "ours: AmiClient, listeners on the model's events only, asked of the server (Filter)",
    "ours-used-whole": "ours: AmiClient, listeners on the model's events only, whole stream (rest unparsed)",
    "ours-all": "ours: AmiClient, '*' listener reading one field of every event",
    "ours-dict": "ours: AmiClient, every event parsed into its dict of fields",
    "bridge": "ours: CtiBridge, full call/agent/queue model, its events asked of the server (Filter)",
    "bridge-whole": "ours: CtiBridge, full call/agent/queue model, whole stream",
}
PEER = "panoramisk"


@dataclass
class Trial:
    kind: str
    events: int
    seconds: float
    cpu: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def core_share(self) -> float:
        return self.cpu / self.seconds if self.seconds > 0 else 0.0


def run_trial(
    kind: str,
    capture: Path,
    events: int,
    rate: float = 0.0,
    timeout: float = 600,
    recordings: str = "present",
) -> Trial:
    """One consumer on one replay. ``recordings``: for the bridge, whether the calls'
    recordings are on the disk when the calls end, as Asterisk leaves them ("present"),
    or never appear, as from an Asterisk whose disk this machine cannot see ("missing")."""
    stream = replay.expand(capture, events)
    if kind not in RECORDING_KINDS:
        return _run_trial(kind, capture, stream, events, rate, timeout, [])
    with recordings_root(stream, present=recordings == "present") as root:
        return _run_trial(kind, capture, stream, events, rate, timeout, ["--recordings-root", str(root)])


def _run_trial(
    kind: str, capture: Path, stream: Path, events: int, rate: float, timeout: float, extra: list[str]
) -> Trial:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.replay", "--capture", str(stream), "--events", str(events)]
        + (["--rate", str(rate)] if rate else [])
        + (["--wait-go"] if kind in GO_KINDS else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.ami_consumers",
                kind,
                "--port",
                str(port),
                "--capture",
                str(capture),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"consumer {kind} failed:\n{out.stderr[-2000:]}")
        data = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    seen = data.pop("events")
    if seen not in (-1, -2, events):
        raise RuntimeError(f"consumer {kind} saw {seen} events of {events}")
    return Trial(kind, events, data.pop("seconds"), data.pop("cpu"), data)


def _rotated(kinds: list[str], n: int) -> list[str]:
    k = n % len(kinds) if kinds else 0
    return kinds[k:] + kinds[:k]


def throughput(
    capture: Path,
    kinds: list[str],
    events: int,
    runs: int,
    pyst2_events: int,
    log=print,
    recordings: str = "present",
) -> dict[str, list[Trial]]:
    trials: dict[str, list[Trial]] = {k: [] for k in kinds}
    for n in range(runs):
        for kind in _rotated(kinds, n):
            size = min(events, pyst2_events) if kind == "pyst2" else events
            trial = run_trial(kind, capture, size, recordings=recordings)
            trials[kind].append(trial)
            log(f"  run {n + 1}/{runs} {kind:<11} {human(trial.rate, 'events/s'):>16}")
    return trials


def paced(
    capture: Path,
    kinds: list[str],
    rate: float,
    seconds: float,
    runs: int,
    log=print,
    recordings: str = "present",
):
    trials: dict[str, list[Trial]] = {k: [] for k in kinds}
    for n in range(runs):
        for kind in _rotated(kinds, n):
            trial = run_trial(kind, capture, int(rate * seconds), rate=rate, recordings=recordings)
            trials[kind].append(trial)
            log(f"  paced run {n + 1}/{runs} {kind:<11} {trial.core_share * 100:5.1f} % of a core")
    return trials


def report(
    trials: dict[str, list[Trial]], paced_trials: dict[str, list[Trial]], rate: float, meta: dict[str, Any]
) -> str:
    peer = median([t.rate for t in trials.get(PEER, [])]) if trials.get(PEER) else float("nan")
    rows = []
    figures: dict[str, Any] = {"meta": meta, "throughput": {}, "paced": {}}
    for kind, ts in trials.items():
        rates = [t.rate for t in ts]
        med = median(rates)
        cpu_us = median([t.cpu / t.events * 1e6 for t in ts])
        ratio = med / peer if peer == peer and peer else float("nan")
        rows.append(
            [
                LABELS[kind],
                human(med, "ev/s"),
                f"{human(min(rates))} – {human(max(rates))}",
                f"{ratio:.2f}×",
                f"{cpu_us:.2f}",
                len(ts),
            ]
        )
        figures["throughput"][kind] = {
            "median": med,
            "runs": rates,
            "ratio": ratio,
            "cpu_us_per_event": cpu_us,
        }
    out = table(
        "AMI ingest, as fast as the consumer can read",
        ["consumer", "median", "range", f"× {PEER}", "CPU µs/event", "runs"],
        rows,
    )
    if paced_trials:
        rows = []
        for kind, ts in paced_trials.items():
            shares = [t.core_share * 100 for t in ts]
            achieved = median([t.rate for t in ts])
            rows.append(
                [
                    LABELS[kind],
                    f"{median(shares):.1f} %",
                    f"{min(shares):.1f} – {max(shares):.1f} %",
                    human(achieved, "ev/s"),
                    len(ts),
                ]
            )
            figures["paced"][kind] = {"median_percent": median(shares), "runs": shares, "achieved": achieved}
        out += "\n" + table(
            f"CPU share of one core at a paced {human(rate, 'events/s')}",
            ["consumer", "median", "range", "achieved rate", "runs"],
            rows,
        )
    record("ami-ingest", figures)
    return out
