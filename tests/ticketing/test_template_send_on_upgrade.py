"""Migration 0048 on SQLite and PostgreSQL: message templates get their 发送时机 (``send_on``),
``enter`` for what was stored (each entry, as before); the seeded fault SMS as seeded are moved to
what they say (QA 2026-11-29 #10): 故障抢修完成短信 from entering 回复客户 to leaving 抢修完成,
故障受理通知短信 to the first entry into 派工. A template an admin made or moved is left as it is.
Going back down moves the 抢修完成 SMS back and drops only the column."""

from __future__ import annotations

from sqlalchemy import text

from tests.ticketing.seeded_upgrade import column_names, downgrade
from ticketing import db

TEMPLATE = (
    "INSERT INTO notification_templates (id, name, category, node, channel, subject, body, auto_send,"
    " enabled, audience) VALUES (:id, :name, :category, :node, 'sms', '', 'x', :on, :on, 'customer')"
)
ROWS = [
    (1, "故障受理通知短信", "fault", "dispatch"),
    (2, "故障抢修完成短信", "fault", "reply"),
    (3, "回复客户前的短信", "fault", "reply"),  # an admin's own at 回复客户
    (4, "故障受理通知短信", "coordination", "dispatch"),  # another category's (停用 names may repeat)
]


async def test_the_seeded_fault_sms_go_out_when_they_mean(empty_db_url):
    await db.migrate(empty_db_url, "0047")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            for row_id, name, category, node in ROWS:
                await conn.execute(
                    text(TEMPLATE),
                    {"id": row_id, "name": name, "category": category, "node": node, "on": True},
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT id, node, send_on FROM notification_templates ORDER BY id"))
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, "dispatch", "first_enter"),
            (2, "repair", "leave"),
            (3, "reply", "enter"),
            (4, "dispatch", "enter"),
        ]
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, "0047")
        async with engine.connect() as conn:
            assert "send_on" not in await conn.run_sync(column_names("notification_templates"))
            rows = (await conn.execute(text("SELECT id, node FROM notification_templates ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "dispatch"), (2, "reply"), (3, "reply"), (4, "dispatch")]
    finally:
        await engine.dispose()
