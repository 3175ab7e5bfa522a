"""Sub-commands ``lookup`` (customers by phone) and ``orders`` (work orders with numbering)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench import lookups, population
from bench.figures import human, machine, median, record, table

DBS = ("sqlite", "postgres")


def _common(p: argparse.ArgumentParser, seconds: float) -> None:
    p.add_argument("--customers", type=int, default=1_000_000, help="customers (3 phones each; default 1 M)")
    p.add_argument("--db", default=",".join(DBS), help="sqlite,postgres (PostgreSQL: database hotline_bench)")
    p.add_argument("--seconds", type=float, default=seconds, help="measuring time per trial")
    p.add_argument("--runs", type=int, default=3, help="rounds; the figure is the median")
    p.add_argument("--concurrency", default="1,16", help="tasks in flight, one process (default 1,16)")
    p.add_argument("--fresh", action="store_true", help="rebuild the population even if it is there")


def add_commands(sub: argparse._SubParsersAction) -> None:
    lk = sub.add_parser(
        "lookup",
        help="customer lookup by phone (screen-pop lookup vs bare driver), SQLite and PostgreSQL",
        description=lookups.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(lk, 5.0)
    lk.set_defaults(run=lambda a: _run(a, "lookup"))
    od = sub.add_parser(
        "orders",
        help="work orders created per second with numbering (create_order vs bare driver)",
        description=lookups.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(od, 5.0)
    od.set_defaults(concurrency="1,8")
    od.set_defaults(run=lambda a: _run(a, "orders"))


async def _trial(
    what: str, impl: str, url: str, customers: int, conc: int, seconds: float, seed: int
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
        return await lookups.measure(op, conc, seconds)
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
                        what, impl, url, args.customers, conc, args.seconds, seed=run * 100 + conc
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
