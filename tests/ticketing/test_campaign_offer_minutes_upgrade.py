"""Migration 0032 on a database holding campaigns: each keeps the 5 minutes a preview offer had
(``offer_minutes`` 5), and new ones may set their own."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from ticketing import db

NOW = dt.datetime(2026, 11, 28, 4, 0)


async def test_campaigns_stored_before_keep_five_minutes(empty_db_url):
    await db.migrate(empty_db_url, "0031")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            for row_id, mode in ((1, "preview"), (2, "progressive")):
                await conn.execute(
                    text(
                        "INSERT INTO campaigns (id, name, kind, mode, status, queue, windows, max_attempts,"
                        " retry_minutes, max_in_flight, calls_per_second, script, created_at)"
                        " VALUES (:id, :name, 'list', :mode, 'running', 'service', '[]', 3, '{}', 5, 1.0,"
                        " '', :now)"
                    ),
                    {"id": row_id, "name": f"回访{row_id}", "mode": mode, "now": NOW},
                )
        await db.migrate(engine)
        async with engine.begin() as conn:
            rows = (await conn.execute(text("SELECT id, offer_minutes FROM campaigns ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, 5), (2, 5)]
            await conn.execute(text("UPDATE campaigns SET offer_minutes = 20 WHERE id = 1"))
            assert (
                await conn.execute(text("SELECT offer_minutes FROM campaigns WHERE id = 1"))
            ).scalar() == 20
    finally:
        await engine.dispose()
