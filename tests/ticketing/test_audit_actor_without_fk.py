"""The audit trail keeps who did it without a foreign key to ``users`` (migration 0039,
docs/decisions/0008-audit-trail-without-foreign-keys.md), on SQLite and PostgreSQL: an upgraded
database keeps its audit rows, a user's row can go while the rows naming them stay as written,
and going back down refuses while a row names a user that is gone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.ticketing.seeded_upgrade import downgrade
from ticketing import db

NOW = dt.datetime(2026, 11, 28, 14, 0)
USER = (
    "INSERT INTO users (id, staff_no, name, password_hash, roles, phone, email, skills, active,"
    " failed_logins, must_change_password, created_at) VALUES (:id, :no, '赵六', 'x', '[\"agent\"]',"
    " '', '', '{}', :on, 0, :off, :now)"
)
AUDIT = (
    "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id)"
    " VALUES (:now, :user, :actor, 'user.login', 'user', :entity)"
)


def _user_fks(sync_conn) -> list[dict]:
    return [fk for fk in inspect(sync_conn).get_foreign_keys("audit_log") if fk["referred_table"] == "users"]


async def test_an_audit_row_outlives_its_users_row(empty_db_url):
    await db.migrate(empty_db_url, "0038")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            assert len(await conn.run_sync(_user_fks)) == 1
            await conn.execute(text(USER), {"id": 7, "no": "1007", "on": True, "off": False, "now": NOW})
            await conn.execute(text(AUDIT), {"now": NOW, "user": 7, "actor": "1007", "entity": "7"})
        await db.migrate(engine)
        async with engine.begin() as conn:
            assert await conn.run_sync(_user_fks) == []
            # the user's row goes (by hand: the application only 停用s users); before 0039 the
            # audit row refused it
            await conn.execute(text("DELETE FROM users WHERE id = 7"))
            # a row naming an id no user has is taken as written
            await conn.execute(text(AUDIT), {"now": NOW, "user": 8, "actor": "1008", "entity": "8"})
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT user_id, actor FROM audit_log ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(7, "1007"), (8, "1008")]
        # back down: the constraint cannot come back over rows naming users that are gone
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.run_sync(downgrade, "0038")
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log"))
            await conn.run_sync(downgrade, "0038")
            assert len(await conn.run_sync(_user_fks)) == 1
    finally:
        await engine.dispose()
