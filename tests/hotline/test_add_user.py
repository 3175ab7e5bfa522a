"""``hotline add-user``: the first admin of a new installation, with a temporary password that
signs in and must be changed; a bad 工号 is refused with its reason and nothing is stored."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

import ticketing
from hotline.cli import main
from hotline.config import load_settings
from hotline.runtime import database_url
from ticketing.models import User
from ticketing.users import verify_login


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hotline.sqlite3'}")
    return load_settings()


async def _login(settings, staff_no: str, password: str):
    engine = ticketing.create_engine(database_url(settings))
    try:
        async with ticketing.sessionmaker(engine).begin() as session:
            result = await verify_login(session, staff_no, password)
            count = await session.scalar(select(func.count(User.id)))
            return result.ok, result.must_change_password, result.user.roles if result.user else None, count
    finally:
        await engine.dispose()


def test_the_first_admin_gets_a_temporary_password(settings, capsys):
    assert main(["add-user", "9001", "系统管理员", "--role", "admin"]) == 0
    out = capsys.readouterr().out
    password = out.split("temporary password: ")[1].split()[0]
    ok, must_change, roles, count = asyncio.run(_login(settings, "9001", password))
    assert (ok, must_change, roles, count) == (True, True, ["admin"], 1)

    assert main(["add-user", "90", "太短", "--role", "agent"]) == 2
    assert "staff_no: field_bad_staff_no" in capsys.readouterr().err
    assert main(["add-user", "9001", "重复", "--role", "agent"]) == 2
    assert "staff_no: field_duplicate" in capsys.readouterr().err
    assert asyncio.run(_login(settings, "9001", password))[3] == 1
