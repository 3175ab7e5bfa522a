"""A customer population for the lookup benchmarks: N customers, 3 phones each.

The schema comes from the real migrations (``ticketing.db.migrate``), the
sites, staff and workflows from the real seeds (``seed_defaults`` and
``seed_demo`` with no customers). Only the bulk rows bypass the ORM: on SQLite
``executemany`` in one transaction, on PostgreSQL ``COPY``; the secondary
indexes of the two bulk tables are dropped first and re-created afterwards
from their own saved definitions, so the schema ends exactly as migrated.
1 M customers + 3 M phones take about a minute that way.

Customer ``i`` (1-based) has the mobiles ``mobile(i)`` and ``mobile2(i)`` and
the Guangzhou landline ``landline(i)``, all already normalised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bench import figures

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
# The benchmark's own database (dropped and rebuilt when its size is not the one asked for).
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/hotline_bench"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊帆帅旭宁欣怡佳琪子涵梓轩"
)
ROADS = ["中山", "解放", "人民", "建设", "滨江", "天河", "东风", "环市", "新港", "工业", "花城", "科技园"]
CUSTOMER_COLUMNS = ("id", "account_no", "name", "address", "tier", "site_id", "remark", "created_at")
PHONE_COLUMNS = ("customer_id", "number", "raw", "kind")


def mobile(i: int) -> str:
    return f"13{i % 10}{i:08d}"


def mobile2(i: int) -> str:
    return f"15{i % 10}{i:08d}"


def landline(i: int) -> str:
    return f"020{80000000 + i % 20000000:08d}"


def sqlite_path(customers: int) -> Path:
    return figures.CAPTURES / f"customers-{customers}.sqlite3"


def sqlite_url(customers: int) -> str:
    return f"sqlite:///{sqlite_path(customers)}"


def _customers(n: int, site_ids: list[int], seed: int = 95598) -> Iterator[tuple]:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for i in range(1, n + 1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else "")
        address = f"广州市天河区{rng.choice(ROADS)}路{rng.randint(1, 999)}号{rng.randint(101, 2808)}"
        tier = "VIP" if i % 50 == 0 else "普通"
        yield (i, f"{1000000000 + i}", name, address, tier, site_ids[i % len(site_ids)], "", now)


def _phones(n: int) -> Iterator[tuple]:
    for i in range(1, n + 1):
        yield (i, mobile(i), "", "mobile")
        yield (i, mobile2(i), "", "mobile")
        yield (i, landline(i), "", "landline")


async def _seed(url: str) -> list[int]:
    """Schema, seeds, demo sites and staff; returns the outlet site ids."""
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    try:
        await migrate(engine)
        async with sessionmaker(engine).begin() as session:
            await seed_defaults(session)
            demo = await seed_demo(session, customers=0, notices=False)
            return [s.id for s in demo.sites.values() if s.kind == "outlet"]
    finally:
        await engine.dispose()


def _remove_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _load_sqlite(path: Path, n: int, site_ids: list[int]) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")
        indexes = [
            sql
            for (sql,) in con.execute(
                "SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                "AND tbl_name IN ('customers', 'customer_phones')"
            )
        ]
        names = [
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                "AND tbl_name IN ('customers', 'customer_phones')"
            )
        ]
        con.execute("BEGIN")
        for name in names:
            con.execute(f'DROP INDEX "{name}"')
        con.executemany(
            f"INSERT INTO customers ({', '.join(CUSTOMER_COLUMNS)}) VALUES ({', '.join('?' * len(CUSTOMER_COLUMNS))})",
            _customers(n, site_ids),
        )
        con.executemany(
            f"INSERT INTO customer_phones ({', '.join(PHONE_COLUMNS)}) VALUES (?, ?, ?, ?)", _phones(n)
        )
        for sql in indexes:
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("ANALYZE")
    finally:
        con.close()


async def _load_postgres(url: str, n: int, site_ids: list[int]) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        rows = await con.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('customers', 'customer_phones') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        async with con.transaction():
            for row in rows:
                await con.execute(f'DROP INDEX "{row["indexname"]}"')
            await con.copy_records_to_table(
                "customers", records=_customers(n, site_ids), columns=CUSTOMER_COLUMNS
            )
            await con.copy_records_to_table("customer_phones", records=_phones(n), columns=PHONE_COLUMNS)
            for row in rows:
                await con.execute(row["indexdef"])
            await con.execute(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers))"
            )
        await con.execute("ANALYZE customers")
        await con.execute("ANALYZE customer_phones")
    finally:
        await con.close()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    con = await asyncpg.connect(PG_ADMIN)
    try:
        await con.execute(sql)
    finally:
        await con.close()


async def _count(url: str, clean: bool = False) -> int:
    """Customers in the database; -1 when unusable, or (``clean``) when work orders were left in it."""
    from sqlalchemy import text

    from ticketing.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if clean and (await conn.execute(text("SELECT count(*) FROM work_orders"))).scalar_one():
                return -1
            return int((await conn.execute(text("SELECT count(*) FROM customers"))).scalar_one())
    except Exception:
        return -1
    finally:
        await engine.dispose()


async def _migrated(url: str) -> str:
    """A population kept from an earlier run, brought up to this code's schema."""
    from ticketing.db import migrate

    await migrate(url)
    return url


async def ensure(kind: str, customers: int, *, fresh: bool = False, clean: bool = False, log=print) -> str:
    """The URL of a database holding exactly ``customers`` bench customers (built if needed).

    ``clean``: also without work orders (the orders benchmark leaves tens of
    thousands behind, and the screen-pop lookup reads open orders).
    """
    if kind == "sqlite":
        url, path = sqlite_url(customers), sqlite_path(customers)
        if not fresh and path.exists() and await _count(url, clean) == customers:
            return await _migrated(url)
        await asyncio.to_thread(_remove_sqlite, path)
    else:
        url = PG_BENCH
        if not fresh and await _count(url, clean) == customers:
            return await _migrated(url)
        name = url.rsplit("/", 1)[1]
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _pg_admin(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    site_ids = await _seed(url)
    if kind == "sqlite":
        await asyncio.to_thread(_load_sqlite, sqlite_path(customers), customers, site_ids)
    else:
        await _load_postgres(url, customers, site_ids)
    log(
        f"  built {kind}: {customers} customers, {3 * customers} phones in {time.perf_counter() - started:.1f} s"
    )
    return url
