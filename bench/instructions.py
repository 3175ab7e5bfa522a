"""Instructions per AMI event, counted by valgrind: the bridge beside panoramisk, free of the machine's noise;
with ``--orders``, instructions per work order (``create_order``, the orders benchmark's operation).

The CPU-time figures of ``bench ami`` move by a third from run to run on these
shared 2-core machines, and from one machine to the next by a factor of two or
more; a 5 % change cannot be seen in them. Counting the instructions the
processor executes (valgrind's cachegrind, without its cache simulation) gives
the model's figure again to within a fraction of a percent (to tens of instructions with
``PYTHONHASHSEED=0``). The bridge's recordings are looked at on a clock the harness moves
by the events fed (``bench.bridge_harness.PacedRecordings``), not on the loop's, so a slow
run under valgrind makes no more looks than a fast one.

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

``--orders`` counts the orders benchmark's own operation the same way: one process creating
``short`` orders and one creating ``long``, each on a fresh small population built by the code
counted, with the cached rows' TTL held (an order under valgrind takes 30-50 times its wall
time). ``--tree`` counts another source tree (a worktree of an older commit), so that versions
of ``create_order`` are compared by the work they do; beside it, the round trips per order.
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


def _cachegrind() -> list[str]:
    """The start of a command that runs this Python under cachegrind, counting instructions only."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind not found: install Debian's valgrind package")
    return [
        valgrind,
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
    ]


def count(capture: Path, consumer: str, events: int, prepared: int, timeout: float = 1800) -> tuple[int, int]:
    """(instructions, events fed) of one run of ``consumer`` under cachegrind."""
    command = [
        *_cachegrind(),
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


# -- work orders -----------------------------------------------------------------
# ``python -m bench instructions --orders``: instructions per work order in our process, the
# orders benchmark's own operation (``create_order`` in its own transaction, 1 task), counted the
# same way: a run of ``short`` orders and one of ``long``, the difference divided by the orders
# between them. On PostgreSQL that is our process only (the server is another process); on
# SQLite it includes aiosqlite's thread, which does the database's work. Beside it, counted in a
# run of its own without valgrind, the round trips per order: hops into aiosqlite's thread on
# SQLite (each a wait for that thread), writes to PostgreSQL's socket (about one per round trip).
ORDER_HARNESS = Path(__file__).resolve().parent / "order_harness.py"
PG_SCRATCH = "postgresql://postgres@127.0.0.1:5432/{name}"


def _tree_env(tree: Path | None) -> dict[str, str]:
    """The environment that makes ``tree``'s packages (default: this checkout's) the ones imported."""
    import os

    env = dict(os.environ)
    root = tree if tree is not None else Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(root.resolve())
    return env


def order_count(
    url: str, customers: int, orders: int, tree: Path | None = None, timeout: float = 3600
) -> int:
    """Instructions of one process creating ``orders`` work orders under cachegrind."""
    command = [
        *_cachegrind(),
        str(ORDER_HARNESS),
        "--url",
        url,
        "--customers",
        str(customers),
        "--orders",
        str(orders),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_tree_env(tree))
    refs = _REFS.search(out.stderr)
    if out.returncode != 0 or refs is None:
        raise RuntimeError(f"{orders} orders under valgrind failed:\n{out.stderr[-3000:]}")
    ran = json.loads(out.stdout.strip().splitlines()[-1])
    root = Path(_tree_env(tree)["PYTHONPATH"])
    if ran["orders"] != orders or Path(ran["ticketing"]).parent != root:
        raise RuntimeError(f"the harness ran {ran}, not {orders} orders of {root}'s ticketing")
    return int(refs[1].replace(",", ""))


def order_trips(url: str, customers: int, orders: int, tree: Path | None = None) -> dict[str, float]:
    """Round trips per order, natively (not under valgrind): hops into aiosqlite's thread and
    writes to PostgreSQL's socket, over the last four fifths of ``orders``."""
    command = [sys.executable, str(ORDER_HARNESS), "--url", url, "--customers", str(customers),
               "--orders", str(orders), "--trips"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, env=_tree_env(tree))
    if out.returncode != 0:
        raise RuntimeError(f"counting round trips failed:\n{out.stderr[-3000:]}")
    ran = json.loads(out.stdout.strip().splitlines()[-1])
    return {"hops": ran["hops"], "writes": ran["writes"]}


def order_population(db: str, customers: int, scratch: Path, tree: Path | None = None) -> str:
    """A fresh population built by ``tree``'s own code (its migrations and seeds): its URL."""
    url = PG_SCRATCH.format(name=f"hotline_bench_instr_{scratch.name.lower()}")
    command = [sys.executable, str(ORDER_HARNESS), "--populate", db, "--customers", str(customers),
               "--scratch", str(scratch), "--url", url]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=_tree_env(tree))
    if out.returncode != 0:
        raise RuntimeError(f"the {db} population failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["url"]


def drop_population(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    import asyncio

    import asyncpg

    from bench.population import PG_ADMIN

    async def drop() -> None:
        con = await asyncpg.connect(PG_ADMIN)
        try:
            await con.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await con.close()

    asyncio.run(drop())


def per_order(
    db: str, customers: int, short: int, long: int, tree: Path | None = None, log=print
) -> dict[str, Any]:
    """Instructions per order on ``db``: (long run − short run) ÷ (long − short), a fresh population."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="orders-instr-") as scratch:
        url = order_population(db, customers, Path(scratch), tree)
        try:
            first = order_count(url, customers, short, tree)
            second = order_count(url, customers, long, tree)
            trips = order_trips(url, customers, long, tree)
        finally:
            drop_population(url)
    figure = (second - first) / (long - short)
    trip = trips["hops"] if db == "sqlite" else trips["writes"]
    log(
        f"  {db:<8} {figure:,.0f} instructions per order ({short}: {first:,}, {long}: {second:,}); {trip:.2f} trips"
    )
    return {"per_order": figure, "trips": trip, "runs": {"short": [first, short], "long": [second, long]}}


def run_orders(
    dbs: list[str], customers: int, short: int, long: int, tree: Path | None = None, log=print
) -> str:
    figures = {db: per_order(db, customers, short, long, tree, log) for db in dbs}
    record(
        "instructions-orders",
        {"customers": customers, "short": short, "long": long, "tree": str(tree or ""), "dbs": figures},
    )
    rows = [
        [db, f"{figure['per_order'] / 1e6:.3f} M", f"{figure['trips']:.2f}"] for db, figure in figures.items()
    ]
    where = f" of {tree}" if tree else ""
    return table(
        f"Instructions per work order{where} (cachegrind; create_order, 1 task; {short} and {long} orders, "
        f"{customers:,} customers)",
        ["database", "instructions per order", "round trips per order"],
        rows,
    )
