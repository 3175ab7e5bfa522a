"""Sub-commands ``lookup`` (customers by phone), ``orders`` (work orders with numbering) and
``reports`` (the call reports over a month of calls)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench import lookups, population, reports
from bench.commands import benchmark
from bench.figures import human, machine, median, record, table

DBS = ("sqlite", "postgres")


def _common(p: argparse.ArgumentParser, seconds: float) -> None:
    p.add_argument("--customers", type=int, default=1_000_000, help="customers (3 phones each; default 1 M)")
    p.add_argument("--db", default=",".join(DBS), help="sqlite,postgres (PostgreSQL: database hotline_bench)")
    p.add_argument("--seconds", type=float, default=seconds, help="measuring time per trial")
    p.add_argument("--runs", type=int, default=3, help="rounds; the figure is the median")
    p.add_argument("--warmup", type=float, default=0.5, help="untimed seconds before each trial")
    p.add_argument("--concurrency", default="1,16", help="tasks in flight, one process (default 1,16)")
    p.add_argument("--fresh", action="store_true", help="rebuild the population even if it is there")


def add_commands(sub: argparse._SubParsersAction) -> None:
    lk = benchmark(
        sub,
        "lookup",
        "customer lookup by phone (screen-pop lookup vs bare driver), SQLite and PostgreSQL",
        lookups.__doc__,
        lambda a: _run(a, "lookup"),
    )
    _common(lk, 5.0)
    od = benchmark(
        sub,
        "orders",
        "work orders created per second with numbering (create_order vs bare driver)",
        lookups.__doc__,
        lambda a: _run(a, "orders"),
    )
    _common(od, 5.0)
    od.set_defaults(concurrency="1,8")
    rp = benchmark(
        sub,
        "reports",
        "the queue and agent reports over a month of calls, beside a bare SQL count of them",
        reports.__doc__,
        lambda a: print(asyncio.run(_reports(a))),
    )
    rp.add_argument("--calls", type=int, default=200_000, help="calls in the month (default 200,000)")
    rp.add_argument("--db", default=",".join(DBS), help="sqlite,postgres")
    rp.add_argument("--runs", type=int, default=3, help="rounds; the figure is the median")


async def _reports(args: argparse.Namespace) -> str:
    rows, figures = [], {"calls": args.calls}
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        url = await reports.ensure(db, args.calls)
        runs = [await reports.measure(url) for _ in range(args.runs)]
        got = {key: median([r[key] for r in runs]) for key in runs[0]}
        figures[db] = {**got, "runs": runs}
        ratio = got["queue_report_s"] / got["bare_count_s"] if got["bare_count_s"] else 0.0
        rows.append(
            [
                db,
                f"{got['queue_report_s']:.2f} s",
                f"{got['agent_report_s']:.2f} s",
                f"{got['bare_count_s']:.2f} s",
                f"{ratio:.1f}×",
            ]
        )
    record("reports", figures)
    title = f"Call reports over a month of {args.calls:,} calls ({args.runs} runs, median; {machine()})"
    return table(
        title, ["database", "queue report (per day)", "agent report", "bare SQL count", "queue ÷ count"], rows
    )


async def _trial(
    what: str, impl: str, url: str, customers: int, conc: int, seconds: float, seed: int, warmup: float
) -> float:
    if what == "lookup":
        if impl == "ours":
            op, close = await lookups.ours_lookup(url, customers, seed)
        else:
            op, close = await lookups.peer_lookup(url, customers, seed, conc)
    elif impl == "ours":
        op, close = await lookups.ours_order(url, customers, seed)
    else:
        op, close = await lookups.peer_order(url, customers, seed, conc)
    try:
        return await lookups.measure(op, conc, seconds, warmup)
    finally:
        await close()


async def _main(args: argparse.Namespace, what: str) -> str:
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    levels = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    unit = "lookups/s" if what == "lookup" else "orders/s"
    results: dict[tuple[str, int, str], list[float]] = {}
    for db in dbs:
        url = await population.ensure(db, args.customers, fresh=args.fresh, clean=what == "lookup")
        for run in range(args.runs):
            for conc in levels:
                impls = ("ours", "peer") if run % 2 == 0 else ("peer", "ours")
                for impl in impls:
                    rate = await _trial(
                        what, impl, url, args.customers, conc, args.seconds, run * 100 + conc, args.warmup
                    )
                    results.setdefault((db, conc, impl), []).append(rate)
                    print(f"  {db:<8} run {run + 1}/{args.runs} ×{conc:<3} {impl:<5} {human(rate, unit)}")
    rows = []
    figures: dict[str, Any] = {
        "customers": args.customers,
        "phones": 3 * args.customers,
        "seconds": args.seconds,
    }
    for db in dbs:
        for conc in levels:
            ours, peer = median(results[(db, conc, "ours")]), median(results[(db, conc, "peer")])
            ratio = f"{ours / peer:.2f}×" if peer else "-"
            rows.append([db, conc, human(ours, unit), human(peer, unit), ratio])
            figures[f"{db}/{conc}"] = {"ours": ours, "peer": peer, "runs": results[(db, conc, "ours")]}
    record(what, figures)
    label = "screen-pop lookup" if what == "lookup" else "create_order"
    title = (
        f"{'Lookups by phone' if what == 'lookup' else 'Work orders created'}: {args.customers:,} customers, "
        f"{3 * args.customers:,} phones ({args.runs} runs × {args.seconds:g} s; {machine()})"
    )
    return table(title, ["database", "tasks", f"ours ({label})", "bare driver", "ours ÷ driver"], rows)


def _run(args: argparse.Namespace, what: str) -> int:
    print(asyncio.run(_main(args, what)))
    return 0
