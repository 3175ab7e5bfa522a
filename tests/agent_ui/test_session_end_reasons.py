"""A console socket whose session ended closes with 4401 and says why in the close frame's reason
(``auth.ENDED_WHY``), which socket.js takes to the sign-in page (``/login?ended=…``) to say it in
Chinese: timed out for inactivity, at the absolute limit, 退出 in another tab, signed in again in
this browser, password changed elsewhere, reset or account disabled / roles changed by an admin.
Before, every close said only "signed out" or "account changed" and the page said nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from agent_ui import create_app
from agent_ui.auth import CHECK_SECONDS, ENDED_WHY, SESSIONS
from agent_ui.services import GATEWAY
from tests.agent_ui.conftest import PASSWORD, close_frame, login
from ticketing.models.org import UserSession

ROOT = Path(__file__).parents[2]
TEXTS = {
    lang: json.loads((ROOT / f"agent_ui/texts/{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}


async def _snapshot(ws) -> None:
    async def first() -> None:
        while (await ws.receive_json())["type"] != "snapshot":
            pass

    await asyncio.wait_for(first(), 10)


async def _send(client, method: str, path: str, token: str, body: dict | None = None):
    resp = await client.request(method, path, json=body or {}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


def test_every_reason_has_chinese_and_english_words():
    for why in ENDED_WHY:
        zh, en = TEXTS["zh-CN"][f"session.ended.{why}"], TEXTS["en"][f"session.ended.{why}"]
        assert any("\u4e00" <= c <= "\u9fff" for c in zh) and en.isascii(), why


async def test_sign_out_in_another_tab_and_signing_in_again_say_so(client, aiohttp_client):
    token = await login(client, "3001")
    other_tab = await aiohttp_client(client.server)  # the same browser: a copy of the cookie jar
    other_tab.session.cookie_jar.update_cookies(
        {c.key: c.value for c in client.session.cookie_jar}, client.make_url("/")
    )
    async with other_tab.ws_connect("/ws") as tab:
        await _snapshot(tab)
        assert (await client.delete("/api/session", headers={"X-CSRF-Token": token})).status == 200
        assert await close_frame(tab) == (4401, "signed_out")

    await login(client, "3001")
    async with client.ws_connect("/ws") as tab:
        await _snapshot(tab)
        await login(client, "1001")  # this browser signs in again (as someone else)
        assert await close_frame(tab) == (4401, "signed_in_again")


async def test_a_password_change_elsewhere_says_so_on_another_web_process(client, aiohttp_client, world):
    """The reason goes with ``SessionEnded`` over the bus to the process the socket is on."""
    other_process = await aiohttp_client(create_app(world.services))
    token = await login(client, "1001")
    await login(other_process, "1001")
    async with other_process.ws_connect("/ws") as tab:
        await _snapshot(tab)
        status, body = await _send(
            client,
            "POST",
            "/api/session/password",
            token,
            {"current": PASSWORD, "new": "Zx9mq2Lw7", "confirm": "Zx9mq2Lw7"},
        )
        assert status == 200, body
        assert await close_frame(tab) == (4401, "password_changed")
    # the page it goes to: 401 and why, for api.js
    resp = await other_process.get("/api/inbox")
    assert resp.status == 401
    assert (await resp.json())["details"]["session_ended"] == "password_changed"


async def test_an_admins_reset_disable_and_role_change_say_so(client, aiohttp_client):
    admin = await aiohttp_client(client.server)
    token = await login(admin, "9001")
    for change, why in (
        (("POST", "/api/users/1001/reset-password", None), "password_reset"),
        (("PATCH", "/api/users/3001", {"roles": ["agent"]}), "roles_changed"),
        (("PATCH", "/api/users/3001", {"active": False}), "account_disabled"),
    ):
        staff_no = change[1].split("/")[3]
        agent = await aiohttp_client(client.server)
        await login(agent, staff_no)
        async with agent.ws_connect("/ws") as tab:
            await _snapshot(tab)
            method, path, body = change
            status, answer = await _send(admin, method, path, token, body)
            assert status == 200, answer
            assert await close_frame(tab) == (4401, why), change
        # the session itself ended, not only its sockets: a page whose socket was still connecting
        # asks /api/session and is sent to sign in, told why
        session = await agent.get("/api/session")
        answer = await session.json()
        assert answer.get("user") is None, (change, answer)
        assert (await agent.get("/api/inbox")).status == 401


async def test_the_timeouts_say_which_when_the_socket_is_checked_or_used(client, aiohttp_client, world):
    store = client.server.app[SESSIONS]
    gateway = client.server.app[GATEWAY]
    start = store.clock()

    def at(hours: float) -> None:
        store.clock = lambda: start + dt.timedelta(hours=hours)

    await login(client, "1001")
    async with client.ws_connect("/ws") as tab:  # the periodic check: idle, then expired
        await _snapshot(tab)
        at(12.5)  # nothing for more than session_max_age (12 hours)
        await gateway.check_sessions()
        assert await close_frame(tab) == (4401, "idle")

    at(0)
    await login(client, "1001")
    async with client.ws_connect("/ws") as tab:
        await _snapshot(tab)
        for hours in (11, 22):  # used within every 12 hours
            at(hours)
            assert (await client.get("/api/inbox")).status == 200
        at(24.5)  # however active, a day after signing in
        await tab.send_json({"id": 1, "cmd": "ping", "args": {}})
        refused = await asyncio.wait_for(tab.receive_json(), 5)
        while refused.get("id") != 1:
            refused = await asyncio.wait_for(tab.receive_json(), 5)
        assert refused["error_id"] == "auth.required"
        assert refused["details"]["session_ended"] == "expired"
        assert await close_frame(tab) == (4401, "expired")

    # revoked in the database only (the bus message lost): what was revoked is not known here
    at(0)
    await login(client, "1001")
    async with client.ws_connect("/ws") as tab:
        await _snapshot(tab)
        async with world.services.sessionmaker.begin() as db:
            await db.execute(update(UserSession).values(revoked_at=dt.datetime.now(dt.UTC)))
        at(CHECK_SECONDS / 3600 + 0.01)
        await gateway.check_sessions()
        assert await close_frame(tab) == (4401, "revoked")


async def test_the_sign_in_page_says_why(client, aiohttp_client):
    store = client.server.app[SESSIONS]
    for why in ENDED_WHY:
        page = await (await client.get(f"/login?ended={why}")).text()
        words = TEXTS["zh-CN"][f"session.ended.{why}"].replace("{hours}", "24")
        assert f'data-ended="{why}"' in page and words in page, why
    csrf = (await (await client.get("/api/session")).json())["csrf"]
    await client.post("/lang", data={"_csrf": csrf, "lang": "en", "next": "/login"}, allow_redirects=False)
    english = await (await client.get("/login?ended=idle")).text()
    assert TEXTS["en"]["session.ended.idle"] in english
    nothing = await (await client.get("/login?ended=<b>gone</b>")).text()
    assert 'id="login-ended"' not in nothing and "<b>gone" not in nothing and "&lt;b&gt;gone" not in nothing

    # a page opened after the session timed out goes to the sign-in page saying so
    start = store.clock()
    await login(client, "1001")
    store.clock = lambda: start + dt.timedelta(hours=12.5)
    resp = await client.get("/lists/mine", allow_redirects=False)
    assert resp.status == 303
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query) == {
        "next": ["/lists/mine"],
        "ended": ["idle"],
    }
