"""Order numbers: patterns, daily restart, uniqueness under concurrency with two engines."""

import asyncio
import datetime as dt

import pytest

from ticketing import db
from ticketing.errors import NumberingError
from ticketing.numbering import next_number, validate_pattern

NOON = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


async def test_patterns(session):
    assert await next_number(session, "GZ{yyyyMMdd}{seq:05}", now=NOON) == "GZ2026112500001"
    assert await next_number(session, "GZ{yyyyMMdd}{seq:05}", now=NOON) == "GZ2026112500002"
    assert await next_number(session, "RE{yy}{MM}{seq:04}", now=NOON) == "RE26110001"
    # 17:00 UTC is already the next day in Shanghai: the daily sequence restarts
    late = NOON.replace(hour=17)
    assert await next_number(session, "GZ{yyyyMMdd}{seq:05}", now=late) == "GZ2026112600001"
    await session.commit()


@pytest.mark.parametrize("bad", ["GZ{yyyy}", "X{seq:03}{seq:03}", "X{foo}{seq:02}", "A#{seq:2}"])
def test_bad_patterns_are_rejected(bad):
    with pytest.raises(NumberingError):
        validate_pattern(bad)


async def test_unique_under_concurrency_two_engines(db_url, engine):  # engine: a clean schema
    engines = [db.create_engine(db_url), db.create_engine(db_url)]
    makers = [db.sessionmaker(e) for e in engines]

    async def create(i: int) -> str:
        async with makers[i % 2].begin() as s:
            number = await next_number(s, "C{yyMMdd}{seq:04}", now=NOON)
            await asyncio.sleep(0.001)  # hold the transaction a moment, like a real order insert
            return number

    try:
        numbers = await asyncio.gather(*(create(i) for i in range(60)))
    finally:
        for e in engines:
            await e.dispose()
    assert len(set(numbers)) == 60
    assert sorted(numbers) == [f"C261125{n:04}" for n in range(1, 61)]


async def test_rolled_back_numbers_are_not_handed_out_twice(sm):
    async with sm.begin() as s:
        first = await next_number(s, "N{seq:03}", now=NOON)
    async with sm.begin() as s:
        second = await next_number(s, "N{seq:03}", now=NOON)
    assert (first, second) == ("N001", "N002")


async def test_concurrent_order_creation_from_two_processes(db_url, seeded):
    """Two engines (two processes' worth of connections) creating orders at once: every
    order gets its own number and the sequence has no holes."""
    from ticketing import create_order

    engines = [db.create_engine(db_url), db.create_engine(db_url)]
    makers = [db.sessionmaker(e) for e in engines]
    agent, site = seeded.users["1001"], seeded.sites["440100"].id

    async def create(i: int) -> str:
        async with makers[i % 2].begin() as s:
            order = await create_order(
                s,
                agent,
                workflow="fault_repair",
                site_id=site,
                now=NOON,
                link_call=False,
                form={"故障地址": f"中山路{i}号", "所属供电局": "440100"},
            )
            return order.number

    try:
        numbers = await asyncio.gather(*(create(i) for i in range(24)))
    finally:
        for e in engines:
            await e.dispose()
    assert sorted(numbers) == [f"GZ20261125{n:05}" for n in range(1, 25)]
