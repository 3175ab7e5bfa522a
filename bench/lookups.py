"""Customer lookup by phone and work-order creation, beside the bare driver.

Lookups: ``ours`` is ``ticketing.screen_pop_hook``, the exact function the CTI
bridge calls for each offered call (normalise the number, a read-only session,
phone → customers with their phones, their open orders, their last
interactions, site names). The peer is the bare driver (aiosqlite / asyncpg)
running the one indexed query phone → customer: the floor any lookup pays.

Orders: ``ours`` is ``ticketing.create_order`` (fault-repair workflow, number
from the atomic counter, assignment, audit, SLA timers, submitted to the next
step) in its own transaction per order. The peer is the bare driver doing just
the numbering upsert and one INSERT in a transaction.

Numbers asked for: 90 % known customers (any of their three phones, typed in
the forms a caller ID arrives in), 10 % unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from bench.population import landline, mobile, mobile2

Op = Callable[[int], Awaitable[Any]]


def phone_for(rng: random.Random, customers: int) -> str:
    i = rng.randint(1, customers)
    if rng.random() < 0.1:
        return f"+86 16{i % 10} {i:08d}"  # nobody has a 16x number
    number = rng.choice((mobile, mobile2, landline))(i)
    form = rng.random()
    if form < 0.2:
        return "+86" + number.lstrip("0") if number.startswith("020") else "86" + number
    return number


async def measure(op: Op, concurrency: int, seconds: float, warmup: float = 0.5) -> float:
    """Operations per second from ``concurrency`` tasks looping on ``op`` for ``seconds``.

    Workers are stopped by a flag, never cancelled: a task cancelled inside a
    transaction can leave its connection holding SQLite's write lock, and the
    next trial would wait on it.
    """
    loop = asyncio.get_running_loop()
    counts = [0] * concurrency
    state = {"timing": False, "stop": False}

    async def worker(k: int) -> None:
        n = k
        while not state["stop"]:
            await op(n)
            n += concurrency
            if state["timing"]:
                counts[k] += 1

    tasks = [loop.create_task(worker(k)) for k in range(concurrency)]
    try:
        await asyncio.sleep(warmup)
        state["timing"] = True
        started = loop.time()
        await asyncio.sleep(seconds)
        state["timing"] = False
        elapsed = loop.time() - started
    finally:
        state["stop"] = True
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sum(counts) / elapsed


# -- lookups -------------------------------------------------------------------
async def ours_lookup(url: str, customers: int, seed: int) -> tuple[Op, Callable[[], Awaitable[None]]]:
    from ticketing import create_engine, screen_pop_hook, sessionmaker

    engine = create_engine(url, pool_size=20)
    hook = screen_pop_hook(sessionmaker(engine))
    rng = random.Random(seed)

    async def op(_: int) -> Any:
        return await hook(phone_for(rng, customers))

    return op, engine.dispose


_PEER_SQL = (
    "SELECT c.id, c.account_no, c.name, c.address, c.tier, c.site_id FROM customer_phones p "
    "JOIN customers c ON c.id = p.customer_id WHERE p.number = {} ORDER BY c.id LIMIT 10"
)


async def peer_lookup(url: str, customers: int, seed: int, concurrency: int):
    from cti.phones import InvalidPhoneNumber, normalize

    rng = random.Random(seed)

    def number() -> str:
        try:
            return normalize(phone_for(rng, customers))
        except InvalidPhoneNumber:
            return ""

    if url.startswith("sqlite"):
        import aiosqlite

        path = url.split("///", 1)[1]
        cons = [await aiosqlite.connect(path) for _ in range(concurrency)]
        sql = _PEER_SQL.format("?")

        async def op(n: int) -> Any:
            async with cons[n % concurrency].execute(sql, (number(),)) as cur:
                return await cur.fetchall()

        async def close() -> None:
            for c in cons:
                await c.close()

        return op, close
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    sql = _PEER_SQL.format("$1")

    async def op_pg(_: int) -> Any:
        return await pool.fetch(sql, number())

    return op_pg, pool.close


# -- orders --------------------------------------------------------------------
async def ours_order(url: str, customers: int, seed: int):
    from sqlalchemy import select

    from ticketing import create_engine, create_order, sessionmaker
    from ticketing.models import Site, User

    engine = create_engine(url, pool_size=20)
    sm = sessionmaker(engine)
    async with sm() as s:
        agent = await s.scalar(select(User).where(User.staff_no == "1001"))
        gz = await s.scalar(select(Site).where(Site.code == "440100"))
    rng = random.Random(seed)

    async def op(_: int) -> Any:
        i = rng.randint(1, customers)
        async with sm.begin() as s:
            return await create_order(
                s,
                agent,
                workflow="fault_repair",
                site_id=gz.id,
                customer_id=i,
                form={"故障地址": f"天河路{i % 999 + 1}号", "所属供电局": "440100"},
                caller_number=mobile(i),
            )

    return op, engine.dispose


async def peer_order(url: str, customers: int, seed: int, concurrency: int):
    """Numbering + one INSERT per transaction, straight through the driver."""
    rng = random.Random(seed)
    key = f"BENCH-PEER-{dt.date.today():%Y%m%d}"
    columns = (
        "number, category, subcategory, status, priority, severity, title, site_id, customer_id, caller_number, "
        "form, workflow_id, workflow_key, workflow_version, current_node, created_by_id, created_at, updated_at, "
        "status_times, node_entered_at, is_open, category_locked, disabled_nodes"
    )

    def values(number: str, i: int) -> tuple:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        form = json.dumps({"故障地址": f"天河路{i % 999 + 1}号"}, ensure_ascii=False)
        return (number, "故障报修", "", "待派单", 0, "", "", None, i, mobile(i), form, wf_id, "fault_repair", 1,
                "create", None, now, now, "[]", now, True, False, "[]")  # fmt: skip

    if url.startswith("sqlite"):
        import aiosqlite

        path = url.split("///", 1)[1]
        cons = []
        for _ in range(concurrency):
            con = await aiosqlite.connect(path, timeout=30, isolation_level=None)
            cons.append(con)
        async with cons[0].execute("SELECT min(id) FROM workflow_definitions") as cur:
            wf_id = (await cur.fetchone())[0]
        insert = f"INSERT INTO work_orders ({columns}) VALUES ({', '.join('?' * 23)})"
        upsert = (
            "INSERT INTO counters (key, value) VALUES (?, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value"
        )

        async def op(n: int) -> Any:
            con = cons[n % concurrency]
            await con.execute("BEGIN IMMEDIATE")
            try:
                async with con.execute(upsert, (key,)) as cur:
                    value = (await cur.fetchone())[0]
                await con.execute(insert, values(f"P{key[11:]}{value:07d}", rng.randint(1, customers)))
                await con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):  # cancelled before BEGIN took effect
                    await con.execute("ROLLBACK")
                raise

        async def close() -> None:
            for c in cons:
                await c.close()

        return op, close
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    wf_id = await pool.fetchval("SELECT min(id) FROM workflow_definitions")
    insert = f"INSERT INTO work_orders ({columns}) VALUES ({', '.join(f'${k}' for k in range(1, 24))})"
    upsert = (
        "INSERT INTO counters (key, value) VALUES ($1, 1) "
        "ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value"
    )

    async def op_pg(_: int) -> Any:
        async with pool.acquire() as con, con.transaction():
            value = await con.fetchval(upsert, key)
            await con.execute(insert, *values(f"P{key[11:]}{value:07d}", rng.randint(1, customers)))

    return op_pg, pool.close
