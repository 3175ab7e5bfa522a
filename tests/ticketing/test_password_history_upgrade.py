"""Migration 0034 on a database that holds users and rows that refer to them (SQLite and
PostgreSQL): the upgrade goes through, and each user keeps signing in
with the password it had, starts with no earlier passwords kept, and its next change keeps the
one it leaves, which a change after may not take again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from ticketing import db
from ticketing.errors import PasswordRejected
from ticketing.models import User
from ticketing.users import hash_password, set_password, verify_login

NOW = dt.datetime(2026, 11, 28, 1, 0)


async def test_upgrading_keeps_the_users_and_starts_their_history_empty(empty_db_url):
    await db.migrate(empty_db_url, "0033")
    engine = db.create_engine(empty_db_url)
    async with engine.begin() as conn:
        for row_id, staff_no in ((1, "1004"), (2, "1005")):
            await conn.execute(
                text(
                    "INSERT INTO users (id, staff_no, name, password_hash, roles, phone, email, skills, active,"
                    " failed_logins, must_change_password, created_at) VALUES (:id, :no, '赵六', :hash,"
                    " '[\"agent\"]', '', '', '{}', :on, 0, :off, :now)"
                ),
                {
                    "id": row_id,
                    "no": staff_no,
                    "hash": hash_password("demo1234"),
                    "on": True,
                    "off": False,
                    "now": NOW,
                },
            )
        # a row that refers to a user: SQLite would refuse to drop a rebuilt users table under it
        await conn.execute(
            text(
                "INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id)"
                " VALUES (:now, 1, '1004', 'user.login', 'user', '1')"
            ),
            {"now": NOW},
        )
    await db.migrate(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() >= "0034"
    maker = db.sessionmaker(engine)
    async with maker.begin() as session:
        assert (await verify_login(session, "1005", "demo1234")).ok
        user = await session.scalar(select(User).where(User.staff_no == "1004"))
        assert user.password_history == []
        await set_password(session, user, "newpass2026", old_password="demo1234")
    async with maker.begin() as session:
        user = await session.scalar(select(User).where(User.staff_no == "1004"))
        assert len(user.password_history) == 1
        with pytest.raises(PasswordRejected) as refused:
            await set_password(session, user, "demo1234", old_password="newpass2026")
        assert refused.value.details["password_problems"] == ["used_recently"]
    await engine.dispose()
