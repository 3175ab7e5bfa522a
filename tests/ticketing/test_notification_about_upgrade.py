"""Migration 0040 on SQLite and PostgreSQL: ``notifications.about_id`` (the SMS a 短信未送达 提醒
names) comes as an empty column, the rows there before keep everything they had (and name no SMS:
the console shows their stored words), and going back down drops only the column."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from tests.ticketing.seeded_upgrade import column_names, downgrade
from ticketing import db

NOW = dt.datetime(2026, 11, 29, 13, 2, 43)
ROW = (
    "INSERT INTO notifications (id, channel, recipient, urgency, subject, body, state, error, attempts,"
    " pages, kind, delivery, delivery_reason, created_at)"
    " VALUES (:id, 'screen', '1001', 'high', '【短信未送达】GZ1', :body, 'sent', '', 0, 0, 'sms_failed',"
    " '', '', :now)"
)


async def test_about_id_comes_empty_and_goes_back_down(empty_db_url):
    await db.migrate(empty_db_url, "0039")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            assert "about_id" not in await conn.run_sync(column_names("notifications"))
            await conn.execute(
                text(ROW), {"id": 1, "body": "发往 138… 的短信发送失败（网关原因：MK:0001）", "now": NOW}
            )
        await db.migrate(engine)
        async with engine.begin() as conn:
            assert "about_id" in await conn.run_sync(column_names("notifications"))
            rows = (await conn.execute(text("SELECT id, kind, body, about_id FROM notifications"))).all()
            assert [tuple(r) for r in rows] == [
                (1, "sms_failed", "发往 138… 的短信发送失败（网关原因：MK:0001）", None)
            ]
            await conn.execute(text(ROW), {"id": 2, "body": "new", "now": NOW})
            await conn.execute(text("UPDATE notifications SET about_id = 1 WHERE id = 2"))
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, "0039")
        async with engine.connect() as conn:
            assert "about_id" not in await conn.run_sync(column_names("notifications"))
            assert (await conn.execute(text("SELECT count(*) FROM notifications"))).scalar() == 2
    finally:
        await engine.dispose()
