"""The real console app on a fresh SQLite database, with real users from ticketing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import shutil
import socket
import sqlite3
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiosmtpd.controller import Controller
from sqlalchemy import select

from agent_ui import AppServices, create_app
from cti.bus import InProcessBus
from recordings import RecordingStore
from ticketing import knowledge, sla, users
from ticketing.db import create_engine, migrate, sessionmaker
from ticketing.models import Site, User, WorkOrder
from ticketing.seed import seed_defaults
from ticketing.sites import create_site

PASSWORD = "secret123"


@dataclasses.dataclass
class World:
    services: AppServices
    bus: InProcessBus
    people: dict[str, Any]


async def _build_world(path) -> dict[str, Any]:
    """The schema, the seeded 95598 setup and the users every console test starts from."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
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
    await engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the one file that is copied
    return people


@pytest.fixture(scope="session")
def world_template(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """Built once: migrating, seeding and hashing five passwords took a second per test."""
    path = tmp_path_factory.mktemp("console") / "console.db"
    return path, asyncio.run(_build_world(path))


@pytest.fixture
async def world(tmp_path, world_template):
    template, people = world_template
    path = tmp_path / "console.db"
    shutil.copyfile(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    maker = sessionmaker(engine)
    bus = InProcessBus()
    services = AppServices(bus=bus, sessionmaker=maker, secret_key="test-secret", cookie_secure=False)
    yield World(services, bus, dict(people))
    await bus.close()
    await engine.dispose()


@pytest.fixture
async def client(aiohttp_client, world):
    return await aiohttp_client(create_app(world.services))


@pytest.fixture
def store(world, tmp_path) -> RecordingStore:
    """The recording store: asked for before ``client``, so the app mounts the media routes."""
    world.services.recordings = RecordingStore(tmp_path / "asterisk-root")
    return world.services.recordings


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


FAULT = {"故障名称": "停电", "故障地址": "海淀区中关村大街 9 号", "所属供电局": "HD"}


class Session:
    """A signed-in console user: JSON calls carrying the session's CSRF token."""

    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    @classmethod
    async def signed_in(cls, client, staff_no: str) -> Session:
        return cls(client, await login(client, staff_no))

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        resp = await self.client.request(method, path, json=body, headers={"X-CSRF-Token": self.token})
        return resp.status, await resp.json()


async def sign_in(aiohttp_client, client, staff_no: str) -> Session:
    """``staff_no`` signed in on a browser of their own, against ``client``'s server."""
    return await Session.signed_in(await aiohttp_client(client.server), staff_no)


async def add_user(world, staff_no: str, name: str, roles: list[str], site_code: str = "HQ") -> int:
    """One more user beside the template's five, remembered in ``world.people``."""
    async with world.services.sessionmaker.begin() as db:
        site_id = await db.scalar(select(Site.id).where(Site.code == site_code))
        user = await users.create_user(
            db, staff_no, name, PASSWORD, roles=roles, must_change_password=False, site_id=site_id
        )
    world.people[staff_no] = user.id
    return user.id


#: the 小类别 an order of these workflows is taken in with, as the seat's intake asks for one:
#: sent on past its create step (``submit``) it names one (``categories.subcategory_problems``)
PICKED = {"fault_repair": "fault_lv"}


async def new_order(who: Session, workflow: str = "fault_repair", form: dict = FAULT, **body) -> dict:
    """An order ``who`` takes through the console API (its 201 asserted), in the workflow's
    ``PICKED`` 小类别 unless ``body`` names one."""
    body = {"subcategory": PICKED.get(workflow, ""), **body}
    status, order = await who.call("POST", "/api/orders", {"workflow": workflow, "form": form, **body})
    assert status == 201, order
    return order


async def order_at_dispatch(aiohttp_client, client) -> tuple[Session, dict]:
    """A fault order (FAULT) agent 1001 takes and 海淀's handler 2001 accepts (接收确认 → 派工):
    the handler's session and the order's view at 派工."""
    agent = await sign_in(aiohttp_client, client, "1001")
    order = await new_order(agent, form=FAULT)
    handler = await sign_in(aiohttp_client, client, "2001")
    return handler, await act(handler, order, "submit", {"opinion": "收到"})


async def site_ids(who: Session) -> dict[str, int]:
    """The sites ``who`` may see (GET /api/sites, its 200 asserted): their ids by code."""
    status, body = await who.call("GET", "/api/sites")
    assert status == 200, body
    return {s["code"]: s["id"] for s in body["sites"]}


async def new_crew(admin: Session, name: str, site_id: int, **body) -> dict:
    """A 抢修班组 ``admin`` adds to the register through the console API (its 201 asserted)."""
    status, crew = await admin.call("POST", "/api/crews", {"name": name, "site_id": site_id, **body})
    assert status == 201, crew
    return crew


async def act(who: Session, order: dict, action: str = "submit", body: dict | None = None) -> dict:
    """``who`` does ``action`` (a step's submit, approve, reject or a manager's void, reassign…) on
    the order, its 200 asserted: the order's view after it."""
    status, view = await who.call("POST", f"/api/orders/{order['id']}/{action}", body or {})
    assert status == 200, view
    return view


async def chaoyang_bureau(world) -> None:
    """A second bureau (朝阳, CY) beside 海淀 (HD), with its own handler 2101."""
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
    await add_user(world, "2101", "刘抢修", ["handler"], "CY")


async def routed_order(client, bureau: str = "HD") -> dict:
    """A 故障报修 order (``FAULT`` at ``bureau``) 1001 takes, signed in on ``client``, and sends on
    to 接收确认 at that bureau's handlers (HD: 2001), whose 提醒 says 有新工单."""
    agent = await Session.signed_in(client, "1001")
    return await new_order(agent, form={**FAULT, "所属供电局": bureau}, caller_number="13800138000")


async def overrun_alert(world, order_id: int, *staff: str, times: int = 1) -> None:
    """An urgent overrun alert (工单已超期) about the order on these users' screens, ``times`` over,
    as the SLA worker stores it (nothing published)."""
    async with world.services.sessionmaker.begin() as db:
        order = await db.get(WorkOrder, order_id)
        people = [await db.get(User, world.people[s]) for s in staff]
        for _ in range(times):
            await sla.notify_users(
                db, order, people, kind="overrun", channels=["screen"], urgency="urgent", message="工单已超期"
            )


async def knowledge_content(world) -> tuple[int, str]:
    """A knowledge item and a published outage notice to send: (article id, notice key)."""
    async with world.services.sessionmaker.begin() as db:
        article = await knowledge.add_article(
            db, "峰谷电价执行时间", "峰时段 8:00-22:00,谷时段 22:00-次日 8:00"
        )
        admin = await db.get(User, world.people["9001"])
        site = await db.scalar(select(Site).where(Site.code == "HD"))
        now = dt.datetime.now(dt.UTC)
        notice = await knowledge.publish_notice(
            db,
            admin,
            site_id=site.id,
            area="中关村大街",
            starts_at=now,
            ends_at=now + dt.timedelta(hours=4),
            reason="线路检修",
        )
    return article.id, notice.notice_key


async def posted_notice(client, headers: dict[str, str], body: dict) -> dict:
    """The outage notice ``body`` published through the console API (its 201 asserted)."""
    resp = await client.post("/api/notices", json=body, headers=headers)
    notice = await resp.json()
    assert resp.status == 201, notice
    return notice


async def next_message(ws, type_: str, within: float = 3.0) -> dict:
    """The socket's next message of that type (those before it skipped)."""

    async def wait() -> dict:
        while True:
            msg = json.loads((await ws.receive()).data)
            if msg["type"] == type_:
                return msg

    return await asyncio.wait_for(wait(), within)


async def close_frame(ws, within: float = 5.0) -> tuple[int | None, str] | None:
    """The code and reason of the server's close frame (a connection that ends without one: its
    close code, no reason); None: the socket is still open after ``within``. The frame's own:
    this end's reply may find the connection gone already (1006)."""

    async def closing() -> tuple[int | None, str]:
        while True:
            msg = await ws.receive()
            if msg.type is WSMsgType.CLOSE:
                return msg.data, msg.extra or ""
            if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return ws.close_code, ""

    try:
        return await asyncio.wait_for(closing(), within)
    except TimeoutError:
        return None


async def closed_with(ws, within: float = 5.0) -> int | None:
    """The close code the server sent (None: the socket is still open after ``within``)."""
    frame = await close_frame(ws, within)
    return None if frame is None else frame[0]


def session_cookie(client) -> str:
    """The client's session cookie, to replay it from elsewhere."""
    return next(c.value for c in client.session.cookie_jar if c.key == "HOTLINE_SESSION")


class Mailbox:
    """What a real SMTP server (aiosmtpd) was handed: (recipients, message) per mail."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(handler):
    """A real SMTP server on a free local port, answering through ``handler``'s aiosmtpd hooks."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    """(the mailbox, the port) of a real SMTP server that takes every mail."""
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        yield mailbox, port
