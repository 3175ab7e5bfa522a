"""Migration 0027 on a database that holds sites: every site stored so far stays enabled, a new
one is enabled unless told otherwise."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from ticketing import db


async def test_upgrading_keeps_every_site_enabled(empty_db_url):
    await db.migrate(empty_db_url, "0026")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO sites (id, code, name, kind, parent_id, path, timezone, created_at)"
                    " VALUES (1, 'HQ', '总部', 'hq', NULL, '/1/', 'Asia/Shanghai', :now),"
                    " (2, '440100', '广州供电局', 'bureau', 1, '/1/2/', 'Asia/Shanghai', :now)"
                ),
                {"now": dt.datetime(2026, 11, 27, 8, 0)},
            )
        await db.migrate(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO sites (id, code, name, kind, parent_id, path, timezone, created_at)"
                    " VALUES (3, '440300', '深圳供电局', 'bureau', 1, '/1/3/', 'Asia/Shanghai', :now)"
                ),
                {"now": dt.datetime(2026, 11, 27, 8, 0)},
            )
            await conn.execute(text("UPDATE sites SET enabled = :off WHERE code = '440100'"), {"off": False})
            found = dict((await conn.execute(text("SELECT code, enabled FROM sites ORDER BY id"))).all())
        assert found == {"HQ": True, "440100": False, "440300": True}
    finally:
        await engine.dispose()
