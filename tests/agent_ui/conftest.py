"""The real console app on a fresh SQLite database, with real users from ticketing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from agent_ui import AppServices, create_app
from cti.bus import InProcessBus
from ticketing import users
from ticketing.db import create_engine, migrate, sessionmaker
from ticketing.seed import seed_defaults
from ticketing.sites import create_site

PASSWORD = "secret123"


@dataclasses.dataclass
class World:
    services: AppServices
    bus: InProcessBus
    people: dict[str, Any]


@pytest.fixture
async def world(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    await migrate(engine)
    maker = sessionmaker(engine)
    people: dict[str, Any] = {}
    async with maker.begin() as db:
        hq = await create_site(db, "HQ", "总部", kind="hq")
        bureau = await create_site(db, "HD", "海淀供电局", parent=hq, kind="bureau")
        await seed_defaults(db)  # the 95598 categories, workflows and standard phrases
        for staff_no, name, roles, must_change, site in [
            ("1001", "王坐席", ["agent"], False, hq),
            ("1002", "新员工", ["agent"], True, hq),
            ("2001", "李抢修", ["handler"], False, bureau),
            ("3001", "张班长", ["team_leader", "agent"], False, hq),
            ("9001", "管理员", ["admin"], False, hq),
        ]:
            user = await users.create_user(
                db, staff_no, name, PASSWORD, roles=roles, must_change_password=must_change, site_id=site.id
            )
            people[staff_no] = user.id
    bus = InProcessBus()
    services = AppServices(bus=bus, sessionmaker=maker, secret_key="test-secret", cookie_secure=False)
    yield World(services, bus, people)
    await bus.close()
    await engine.dispose()


@pytest.fixture
async def client(aiohttp_client, world):
    return await aiohttp_client(create_app(world.services))


async def login(client, staff_no: str, password: str = PASSWORD) -> str:
    """Sign in through the JSON API; returns the session's CSRF token."""
    state = await (await client.get("/api/session")).json()
    resp = await client.post(
        "/api/session",
        json={"staff_no": staff_no, "password": password},
        headers={"X-CSRF-Token": state["csrf"]},
    )
    body = await resp.json()
    assert resp.status == 200, body
    return body["csrf"]
