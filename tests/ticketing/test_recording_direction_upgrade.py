"""Migration 0049 on SQLite and PostgreSQL: a recording stored before dfce4d9 said ``inbound``
(the column's default) whatever its call was; it takes its call's direction now. A recording of
an inbound call, and one whose call row is missing, keep what they have; calls and other kinds
are not touched."""

from __future__ import annotations

from sqlalchemy import text

from ticketing import db

ROW = (
    "INSERT INTO interactions (id, kind, external_id, direction, number, dnis, agent_id, status,"
    " occurred_at, duration, subject, content, file_path, payload, created_at)"
    " VALUES (:id, :kind, :external_id, :direction, '13800138000', '', '', 'ended',"
    " '2026-11-20 08:00:00', 0, '', '', '', '{}', '2026-11-20 08:00:00')"
)
ROWS = [
    (1, "call", "out-1", "outbound"),  # a 回拨
    (2, "recording", "out-1", "inbound"),  # its recording, stored with the default
    (3, "call", "in-1", "inbound"),
    (4, "recording", "in-1", "inbound"),
    (5, "recording", "gone-1", "inbound"),  # its call row is not there
    (6, "voicemail", "out-1", "inbound"),  # another kind with the same id is not a recording
]


async def test_old_recordings_take_their_calls_direction(empty_db_url):
    await db.migrate(empty_db_url, "0048")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            for row_id, kind, external_id, direction in ROWS:
                await conn.execute(
                    text(ROW),
                    {"id": row_id, "kind": kind, "external_id": external_id, "direction": direction},
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, direction FROM interactions ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [
            (1, "outbound"),
            (2, "outbound"),
            (3, "inbound"),
            (4, "inbound"),
            (5, "inbound"),
            (6, "inbound"),
        ]
    finally:
        await engine.dispose()
