"""Changing one's own password (``POST /api/session/password``): wrong current passwords are
counted and lock the account as wrong sign-ins do (audited); the new one may not hold the 工号,
name or phone, nor be one of the last passwords; every problem is said at once, in Chinese. An
admin's temporary password keeps to the same rules. And migration 0034 on a populated database."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, text

import ticketing.user_admin as user_admin
from tests.agent_ui.conftest import PASSWORD, login
from ticketing import db as ticketing_db
from ticketing.models import AuditLog, User
from ticketing.users import MAX_FAILURES, PASSWORD_HISTORY, set_password


async def _change(client, token: str, current: str, new: str, confirm: str | None = None):
    body = {"current": current, "new": new, **({"confirm": confirm} if confirm is not None else {})}
    resp = await client.post("/api/session/password", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_wrong_current_passwords_lock_the_account_and_are_audited(client, aiohttp_client, world):
    token = await login(client, "1001")
    for _ in range(MAX_FAILURES - 1):
        status, body = await _change(client, token, "guess1234", "another2026")
        assert status == 422 and body["error_id"] == "auth.bad_old_password"
        assert "当前密码错误" in body["message"]
    status, body = await _change(client, token, "guess5678", "another2026")
    assert status == 423 and body["error_id"] == "auth.locked"
    # the right one too, while the lock lasts: no unlimited guessing from a live session
    status, body = await _change(client, token, PASSWORD, "another2026")
    assert status == 423 and body["error_id"] == "auth.locked"
    async with world.services.sessionmaker() as db:
        user = await db.scalar(select(User).where(User.staff_no == "1001"))
        assert user.locked_until is not None
        failures = list(
            await db.scalars(
                select(AuditLog.after).where(
                    AuditLog.action == "user.password_change_failed", AuditLog.entity_id == str(user.id)
                )
            )
        )
    assert len(failures) == MAX_FAILURES and failures[-1]["reason"] == "account_locked"
    # and a sign-in elsewhere is locked with it
    elsewhere = await aiohttp_client(client.server)
    state = await (await elsewhere.get("/api/session")).json()
    other = await elsewhere.post(
        "/api/session",
        json={"staff_no": "1001", "password": PASSWORD},
        headers={"X-CSRF-Token": state["csrf"]},
    )
    assert other.status == 423


async def test_a_right_current_password_clears_the_count(client, world):
    token = await login(client, "1001")
    for _ in range(MAX_FAILURES - 1):
        await _change(client, token, "guess1234", "another2026")
    status, _ = await _change(client, token, PASSWORD, "1001abcd")  # refused, but the current was right
    assert status == 422
    status, body = await _change(client, token, "guess1234", "another2026")
    assert status == 422 and body["error_id"] == "auth.bad_old_password"  # counted from 0 again


async def test_every_problem_is_said_at_once(client):
    token = await login(client, "1001")
    status, body = await _change(client, token, PASSWORD, "1001abcd")
    assert status == 422 and body["error_id"] == "auth.password_too_weak"
    assert body["details"]["password_problems"] == ["contains_staff_no"]
    assert body["message"] == "密码未修改：新密码不能包含工号。"
    # full-width digits are the same 工号
    status, body = await _change(client, token, PASSWORD, "ab１００１cdef")
    assert status == 422 and "contains_staff_no" in body["details"]["password_problems"]
    status, body = await _change(client, token, "wrong999", "1001", confirm="1002")
    assert status == 422 and body["error_id"] == "auth.bad_old_password"
    assert body["details"]["password_problems"] == [
        "bad_old_password",
        "mismatch",
        "too_short",
        "letters_and_digits",
        "contains_staff_no",
    ]
    for words in ("当前密码错误", "两次输入的新密码不一致", "至少 8 位", "字母和数字", "不能包含工号"):
        assert words in body["message"]


async def test_the_name_and_phone_are_refused_too(client, world):
    async with world.services.sessionmaker.begin() as db:
        user = await db.scalar(select(User).where(User.staff_no == "1001"))
        user.name, user.phone = "Wang Li", "138-0013-8000"
    token = await login(client, "1001")
    status, body = await _change(client, token, PASSWORD, "wangli2026")
    assert status == 422 and body["details"]["password_problems"] == ["contains_name"]
    status, body = await _change(client, token, PASSWORD, "x13800138000")
    assert status == 422 and body["details"]["password_problems"] == ["contains_phone"]
    assert body["message"] == "密码未修改：新密码不能包含电话号码。"


async def test_the_last_passwords_are_not_taken_again(client):
    token = await login(client, "1001")
    chosen = [f"pass{n}word" for n in range(PASSWORD_HISTORY)]
    current = PASSWORD
    for new in chosen[:2]:
        status, body = await _change(client, token, current, new)
        assert status == 200, body
        current = new
    # straight back to the one before: refused, as is the current one
    status, body = await _change(client, token, current, PASSWORD)
    assert status == 422 and body["error_id"] == "auth.password_reused"
    assert body["details"]["password_problems"] == ["used_recently"]
    assert body["message"] == f"密码未修改：新密码不能与最近 {PASSWORD_HISTORY} 次用过的密码相同。"
    status, body = await _change(client, token, current, current)
    assert body["details"]["password_problems"] == ["same_as_current"]
    for new in chosen[2:]:
        status, body = await _change(client, token, current, new)
        assert status == 200, body
        current = new
    # PASSWORD_HISTORY changes later the first one is free again
    status, body = await _change(client, token, current, PASSWORD)
    assert status == 200, body


async def test_the_form_page_says_every_problem(client):
    await login(client, "1001")
    page = await client.get("/password")
    token = re.search(r'name="_csrf" value="([^"]+)"', await page.text()).group(1)
    resp = await client.post(
        "/password", data={"_csrf": token, "current": PASSWORD, "new": "1001abcd", "confirm": "1001abcx"}
    )
    assert resp.status == 422
    html = await resp.text()
    assert "两次输入的新密码不一致" in html and "新密码不能包含工号" in html


def test_an_admins_temporary_password_never_holds_the_staff_number(monkeypatch):
    drawn = iter("abcd2345efgh" + "abcdefgh2346")
    monkeypatch.setattr(user_admin.secrets, "choice", lambda _alphabet: next(drawn))
    assert user_admin.temporary_password(staff_no="2345") == "abcdefgh2346"


async def test_upgrading_a_populated_database_keeps_its_users_signing_in(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await ticketing_db.migrate(url, "0033")
    engine = ticketing_db.create_engine(url)
    from ticketing.users import hash_password

    now = dt.datetime(2026, 11, 28, 1, 0)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, staff_no, name, password_hash, roles, phone, email, skills, active,"
                " failed_logins, must_change_password, created_at) VALUES (1, '1004', '赵六', :hash, '[\"agent\"]',"
                " '', '', '{}', :on, 0, :off, :now)"
            ),
            {"hash": hash_password("demo1234"), "on": True, "off": False, "now": now},
        )
    await ticketing_db.migrate(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() >= "0034"
    maker = ticketing_db.sessionmaker(engine)
    async with maker.begin() as db:
        user = await db.get(User, 1)
        assert user.password_history == []
        await set_password(db, user, "newpass2026", old_password="demo1234")
    async with maker() as db:
        user = await db.get(User, 1)
        assert len(user.password_history) == 1
    await engine.dispose()


def test_the_form_states_the_rules_it_keeps():
    from agent_ui.texts import Texts

    rule = Texts().get("zh-CN", "password.rule")
    assert f"最近 {PASSWORD_HISTORY} 次" in rule and "工号" in rule and "姓名" in rule and "电话" in rule
