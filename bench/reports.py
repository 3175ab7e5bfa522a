"""The supervisor's call reports over a month of calls: how long ``queue_intervals`` (the
queue report, per day) and ``agent_report`` take, beside the peer: one bare SQL statement
counting the same calls per queue, the floor of reading them at all.

``python -m bench reports [--calls 200000] [--db sqlite,postgres] [--runs 3]``

The calls (90 % answered, three queues, one agent leg each) are stored once per size in a
database of their own (SQLite in ``bench/captures``, PostgreSQL ``hotline_bench_reports``),
analysed, and kept for the next run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench import figures
from bench.population import _pg_admin

MONTH = (dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
PG_REPORTS = "postgresql://postgres@127.0.0.1:5432/hotline_bench_reports"
QUEUES = ("service", "fault", "complaint")


def _calls(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(95598)
    calls, legs = [], []
    start = MONTH[0]
    for i in range(n):
        queued = start + dt.timedelta(seconds=rng.randint(0, 30 * 86400 - 400))
        answered = rng.random() < 0.9
        agent = f"{1001 + rng.randint(0, 49)}" if answered else ""
        wait = rng.randint(2, 60)
        calls.append(
            {
                "kind": "call",
                "external_id": f"bench-{i}",
                "direction": "inbound",
                "number": f"138{i:08d}",
                "agent_id": agent,
                "status": "ended",
                "occurred_at": queued - dt.timedelta(seconds=15),
                "ended_at": queued + dt.timedelta(seconds=wait + (180 if answered else 0)),
                "duration": 180.0 if answered else 0.0,
                "payload": {
                    "outcome": "answered" if answered else "abandoned_queue",
                    "queue": rng.choice(QUEUES),
                    "queued_at": queued.timestamp(),
                    "answered_at": queued.timestamp() + wait if answered else 0.0,
                    "hold_seconds": 5.0 if answered else 0.0,
                },
            }
        )
        if answered:
            legs.append({"index": i, "agent_id": agent, "answered_at": queued + dt.timedelta(seconds=wait)})
    return calls, legs


async def ensure(db: str, n: int) -> str:
    """The URL of a database holding exactly the ``n`` bench calls (built if needed)."""
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.models import CallLeg, Interaction

    if db == "sqlite":
        await asyncio.to_thread(figures.CAPTURES.mkdir, exist_ok=True)
        url = f"sqlite:///{figures.CAPTURES / f'reports-{n}.sqlite3'}"
    else:
        url = PG_REPORTS
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            have = await conn.scalar(select(func.count()).select_from(Interaction))
        if have == n:
            return url
    except Exception:
        have = -1
    finally:
        await engine.dispose()
    if db == "sqlite":
        await asyncio.to_thread(Path(url.split("///", 1)[1]).unlink, missing_ok=True)
    else:
        await _pg_admin('DROP DATABASE IF EXISTS "hotline_bench_reports" WITH (FORCE)')
        await _pg_admin('CREATE DATABASE "hotline_bench_reports"')
    engine = create_engine(url)
    try:
        await migrate(engine)
        calls, legs = _calls(n)
        async with sessionmaker(engine).begin() as session:
            for k in range(0, n, 5000):
                await session.execute(insert(Interaction), calls[k : k + 5000])
            ids = {
                external_id: id_
                for external_id, id_ in await session.execute(select(Interaction.external_id, Interaction.id))
            }
            rows = [
                {
                    "interaction_id": ids[f"bench-{leg['index']}"],
                    "agent_id": leg["agent_id"],
                    "answered_at": leg["answered_at"],
                    "ended_at": leg["answered_at"] + dt.timedelta(seconds=180),
                }
                for leg in legs
            ]
            for k in range(0, len(rows), 5000):
                await session.execute(insert(CallLeg), rows[k : k + 5000])
        # the planner's statistics now, not whenever autovacuum comes by: the reports' plans
        # (a hash join, not a loop per call) depend on them
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return url


async def measure(url: str) -> dict[str, float]:
    """Seconds of one queue report (per day), one agent report and the bare count."""
    from ticketing.call_reports import CallsQuery, QueueQuery, agent_report, queue_intervals
    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Interaction

    engine = create_engine(url)
    try:
        async with sessionmaker(engine)() as session:
            t = time.perf_counter()
            queues = await queue_intervals(session, QueueQuery(*MONTH, interval="day"))
            queue_s = time.perf_counter() - t
            t = time.perf_counter()
            await agent_report(session, CallsQuery(*MONTH))
            agent_s = time.perf_counter() - t
            t = time.perf_counter()
            queue = Interaction.payload["queue"].as_string().label("queue")
            counted = await session.execute(
                select(queue, func.count())
                .where(
                    Interaction.kind == "call",
                    Interaction.occurred_at >= MONTH[0],
                    Interaction.occurred_at < MONTH[1],
                )
                .group_by(queue)
            )
            bare = sum(c for _, c in counted)
            bare_s = time.perf_counter() - t
        assert queues["overall"]["offered"] > 0 and bare > 0
        return {"queue_report_s": queue_s, "agent_report_s": agent_s, "bare_count_s": bare_s}
    finally:
        await engine.dispose()
