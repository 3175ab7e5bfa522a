"""The orders benchmark's own operation, ``orders`` times with 1 task, in a process of its own.

Run by ``bench.instructions`` under valgrind, as a script (``python bench/order_harness.py``)
so that it imports whichever tree's ``ticketing`` comes first on ``PYTHONPATH``: today's, or a
worktree of an older commit (``--tree``). It therefore uses nothing of ``bench`` and only what
``bench.lookups.ours_order`` has called since the sixth machine: ``create_engine``,
``sessionmaker``, ``create_order`` and the ``User`` and ``Site`` models.

Also ``--populate``: build the population of the tree on ``PYTHONPATH`` with that tree's own
``bench.population`` (its migrations and seeds), in ``--scratch`` for SQLite or in the
PostgreSQL database ``--url`` names, so that an older tree never has to open today's schema.

The cached rows' TTL (``ticketing.cached.TTL``) is held for the run: under valgrind an order
takes 30-50 times its wall time, and reloads would otherwise follow the clock, not the orders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path


def mobile(i: int) -> str:  # bench.population.mobile, kept here so no tree's bench is needed
    return f"13{i % 10}{i:08d}"


class Trips:
    """Hops into aiosqlite's thread, and writes to PostgreSQL's sockets (about one per round trip)."""

    def __init__(self) -> None:
        self.counting = False
        self.hops = 0
        self.writes = 0

    def install(self) -> None:
        import asyncio.selector_events

        import aiosqlite.core

        execute = aiosqlite.core.Connection._execute
        write = asyncio.selector_events._SelectorSocketTransport.write
        trips = self

        async def counted_execute(con, fn, *args, **kwargs):
            trips.hops += trips.counting
            return await execute(con, fn, *args, **kwargs)

        def counted_write(transport, data):
            peer = transport.get_extra_info("peername")
            trips.writes += trips.counting and bool(peer) and peer[1] == 5432
            return write(transport, data)

        aiosqlite.core.Connection._execute = counted_execute
        asyncio.selector_events._SelectorSocketTransport.write = counted_write


async def orders(url: str, customers: int, count: int, seed: int, trips: Trips | None = None) -> dict:
    from sqlalchemy import select

    import ticketing.cached
    from ticketing import create_engine, create_order, sessionmaker
    from ticketing.models import Site, User

    ticketing.cached.TTL = 1e9
    engine = create_engine(url, pool_size=20)
    sm = sessionmaker(engine)
    try:
        async with sm() as s:
            agent = await s.scalar(select(User).where(User.staff_no == "1001"))
            gz = await s.scalar(select(Site).where(Site.code == "440100"))
        rng = random.Random(seed)
        for n in range(count):
            if trips is not None:
                trips.counting = n >= count // 5  # the first fifth is not counted
            i = rng.randint(1, customers)
            async with sm.begin() as s:
                await create_order(
                    s,
                    agent,
                    workflow="fault_repair",
                    site_id=gz.id,
                    customer_id=i,
                    form={"故障地址": f"天河路{i % 999 + 1}号", "所属供电局": "440100"},
                    caller_number=mobile(i),
                )
    finally:
        if trips is not None:
            trips.counting = False
        await engine.dispose()
    if trips is not None:
        counted = count - count // 5
        return {"orders": count, "hops": trips.hops / counted, "writes": trips.writes / counted}
    return {"orders": count, "ticketing": ticketing.cached.__file__}


async def populate(db: str, customers: int, scratch: Path, url: str) -> str:
    from bench import figures, population

    figures.CAPTURES = scratch
    population.PG_BENCH = url
    return await population.ensure(db, customers, log=lambda *_: None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="the population's database (sqlite:///… or postgresql://…)")
    p.add_argument("--customers", type=int, required=True)
    p.add_argument("--orders", type=int, default=0)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--trips", action="store_true", help="count round trips per order (not under valgrind)")
    p.add_argument("--populate", choices=("sqlite", "postgres"), help="build the population instead")
    p.add_argument("--scratch", type=Path, help="where --populate puts a SQLite population")
    args = p.parse_args(argv)
    if args.populate:
        url = asyncio.run(populate(args.populate, args.customers, args.scratch, args.url))
        print(json.dumps({"url": url}))
        return 0
    trips = None
    if args.trips:
        trips = Trips()
        trips.install()
    ran = asyncio.run(orders(args.url, args.customers, args.orders, args.seed, trips))
    if "ticketing" in ran:
        ran["ticketing"] = str(Path(ran["ticketing"]).resolve().parent)
    print(json.dumps(ran))
    return 0


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]  # bench/'s modules (memory, capture, …) are no top-level modules
    sys.exit(main())
