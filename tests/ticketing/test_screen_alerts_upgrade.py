"""Migration 0026 on a database that holds screen notifications: those older than a week count as
read (nobody's 提醒 starts at hundreds), recent ones wait unread, and the SLA worker's wording tells
the kind of the rows it wrote; messages to customers are left as they were."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from ticketing import db


async def test_upgrading_keeps_recent_screen_rows_unread_and_names_their_kind(empty_db_url):
    await db.migrate(empty_db_url, "0025")
    engine = db.create_engine(empty_db_url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        (1, "screen", "工单 GZ1（已流转）已超期，时限 2026-10-01 09:00", now - dt.timedelta(days=30)),
        (2, "screen", "工单 GZ2（已流转）即将超期，时限 2026-11-27 18:00", now - dt.timedelta(hours=1)),
        (3, "screen", "张班长 督办工单 GZ3", now - dt.timedelta(days=1)),
        (4, "sms", "您的报修已受理", now - dt.timedelta(days=30)),
    ]
    try:
        async with engine.begin() as conn:
            for row_id, channel, body, created in rows:
                await conn.execute(
                    text(
                        "INSERT INTO notifications (id, channel, recipient, urgency, subject, body, state,"
                        " error, created_at) VALUES (:id, :channel, '5101', 'normal', '', :body, 'sent', '',"
                        " :created)"
                    ),
                    {"id": row_id, "channel": channel, "body": body, "created": created},
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            found = (
                await conn.execute(
                    text("SELECT id, kind, read_at, created_at FROM notifications ORDER BY id")
                )
            ).all()
    finally:
        await engine.dispose()
    got = {i: (kind, read_at is not None) for i, kind, read_at, _ in found}
    assert got == {1: ("overrun", True), 2: ("reminder", False), 3: ("", False), 4: ("", False)}
    assert found[0][2] == found[0][3]  # read when it came, as far as anyone can tell
