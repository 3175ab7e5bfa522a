"""A console page whose session ends before its websocket connects goes to sign in at once
(35c7c23), in the real Chromium: the page at / was served while the session was live, the
session ends (退出 in another tab, the password changed in another browser, the account disabled
by an admin: its sessions end with it) before the page's socket handshakes, and the handshake is
refused (401). Before, a socket that never opened was
one more drop: the page asked /api/session only after three refused handshakes, each after a
backed-off wait (about 4-5 s), and stayed on / meanwhile.

Deterministic: Playwright's route holds the page's socket until the session has ended, then lets
it through to the real server, which refuses it; the page's clock is paused, so no backed-off
retry ever comes and the page can only leave through the one refused handshake. No Asterisk:
the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser]
AGENT = "1001"
ADMIN = "9001"
SIGN_IN_PAGE = re.compile(r"/login(\?.*)?$")


@pytest.fixture
def refusing_console(tmp_path):
    with seeded_console(tmp_path / "refused.db", demo_only, 1) as server:
        yield server


def _call(request, base: str, method: str, path: str, body: dict | None = None) -> int:
    """A write through ``request`` (a context's API client: its cookies), with its CSRF token."""
    csrf = request.get(f"{base}/api/session").json()["csrf"]
    answer = request.fetch(f"{base}{path}", method=method, data=body, headers={"X-CSRF-Token": csrf})
    return answer.status


def _sign_in_api(ctx, base: str, staff_no: str) -> None:
    """``ctx`` (another browser) signed in through the API, without a page."""
    body = {"staff_no": staff_no, "password": DEMO_PASSWORD}
    assert _call(ctx.request, base, "POST", "/api/session", body) == 200


@pytest.mark.parametrize(
    "how",
    [
        "signed out in another tab",
        "password changed elsewhere",
        "account disabled",
    ],
)
def test_a_page_whose_session_ended_before_its_socket_connected_goes_to_sign_in(
    refusing_console, browser, how
):
    server = refusing_console
    with contextlib.closing(browser.new_context()) as elsewhere, signed_in(browser, server, AGENT) as page:
        ctx = page.context
        expect(page.locator("#ws-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        if how == "password changed elsewhere":
            _sign_in_api(elsewhere, server.url, AGENT)
        elif how == "account disabled":
            _sign_in_api(elsewhere, server.url, ADMIN)

        def end_session() -> None:
            if how == "signed out in another tab":  # the same browser: its cookie goes too
                assert _call(ctx.request, server.url, "DELETE", "/api/session") == 200
            elif how == "password changed elsewhere":
                body = {"current": DEMO_PASSWORD, "new": "Zx9mq2Lw7", "confirm": "Zx9mq2Lw7"}
                assert _call(elsewhere.request, server.url, "POST", "/api/session/password", body) == 200
            else:
                assert (
                    _call(elsewhere.request, server.url, "PATCH", f"/api/users/{AGENT}", {"active": False})
                    == 200
                )

        handshakes: list[str] = []
        refusals: list[int | None] = []
        refused_calls: list[str] = []  # a 401 of another call would take the page to sign in too
        page.on("response", lambda r: r.status >= 400 and refused_calls.append(f"{r.status} {r.url}"))

        def hold_until_the_session_ended(ws) -> None:
            handshakes.append(ws.url)
            # the page was served and has read what it reads at first (its calls answered while
            # the session was live): only then does the session end, its socket not yet connected
            page.wait_for_load_state("networkidle")
            end_session()
            upstream = ws.connect_to_server()

            def refused(code, reason) -> None:
                if not refusals:  # once: the page's own close comes back here
                    refusals.append(code)
                    ws.close(code=code, reason=reason)

            upstream.on_close(refused)

        # no timer runs on the page from now on: a backed-off retry never comes
        page.clock.install()
        page.clock.pause_at(dt.datetime.now() + dt.timedelta(minutes=1))
        ctx.route_web_socket(re.compile(r"/ws$"), hold_until_the_session_ended)
        page.goto(f"{server.url}/")
        deadline = time.monotonic() + 15
        while not refusals and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # Playwright's own wait, not the page's paused clock
        assert refusals == [1006]  # the handshake was refused: the socket never opened
        expect(page).to_have_url(SIGN_IN_PAGE, timeout=2_000)  # promptly after the refusal
        assert handshakes == [f"{server.url.replace('http', 'ws')}/ws"]  # that one, no retry
        assert refused_calls == []  # it was the socket's close that took it there
