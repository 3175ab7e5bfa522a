"""A session is the account as it was when it signed in: once an admin disables the account,
changes its roles or resets its password, the cookie it had opens neither a request nor a
console socket (whose commands are checked against the session's roles)."""

from __future__ import annotations

import aiohttp
import pytest

from tests.agent_ui.conftest import PASSWORD, login


async def _admin_sends(client, token, path, body=None, method="POST"):
    resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _ws_status(client) -> int:
    """The socket handshake's answer: 101 when it opened (and sent its snapshot: a socket closed
    while its snapshot is still being read can leave the test's SQLite database locked)."""
    try:
        async with client.ws_connect("/ws") as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "snapshot"
            return 101
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status


async def test_a_reset_password_ends_the_sessions_opened_with_the_old_one(client, aiohttp_client):
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    assert (await agent.get("/api/orders?list=mine")).status == 200
    assert await _ws_status(agent) == 101

    admin = await login(client, "9001")
    await _admin_sends(client, admin, "/api/users/1001/reset-password")

    stale = await agent.get("/api/orders?list=mine")
    assert stale.status == 401 and (await stale.json())["error_id"] == "auth.required"
    assert await _ws_status(agent) == 401


async def test_changing_ones_own_password_keeps_this_session(client):
    token = await login(client, "1001")
    resp = await client.post(
        "/api/session/password",
        json={"current": PASSWORD, "new": "Another-pass-42", "confirm": "Another-pass-42"},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 200, await resp.text()
    assert (await client.get("/api/orders?list=mine")).status == 200
    assert await _ws_status(client) == 101


@pytest.mark.parametrize("change", [{"active": False}, {"roles": ["agent"]}])
async def test_a_disabled_or_demoted_account_opens_no_console_socket(client, aiohttp_client, change):
    supervisor = await aiohttp_client(client.server)
    await login(supervisor, "3001")
    assert await _ws_status(supervisor) == 101

    admin = await login(client, "9001")
    await _admin_sends(client, admin, "/api/users/3001", change, method="PATCH")

    # the socket would take wallboard and spy commands on the roles the cookie still names
    assert await _ws_status(supervisor) == 401
