"""A sign-in, 退出 or 切换语言 form posted with a CSRF token that went stale (QA-26: two tabs of
one browser on /login, signed in in the first; the second's form then got 「403 页面已过期（安全
令牌无效）」 under a header already naming the user). Each sign-in and sign-out gives the session
a new token, so the other tabs' forms carry an old one. Such a form is never carried out (it could
be forged): it sends the browser on, with a 303, to a page (GET) carrying the current token, which
is what a link to that page would do. Everything else without the session's token is still
refused ``csrf.invalid``."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

from agent_ui.auth import CHECK_SECONDS, SESSIONS
from tests.agent_ui.conftest import PASSWORD, login

TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


async def _form_token(client, path: str = "/login") -> str:
    page = await client.get(path)
    assert page.status == 200, path
    return TOKEN.search(await page.text()).group(1)


async def _sign_in_form(client, token: str, staff_no: str, password: str = PASSWORD, next_: str = "/"):
    return await client.post(
        "/login",
        data={"_csrf": token, "staff_no": staff_no, "password": password, "next": next_},
        allow_redirects=False,
    )


async def _who(client) -> str | None:
    user = (await (await client.get("/api/session")).json())["user"]
    return user["staff_no"] if user else None


def _main(html: str) -> str:
    """The page's own content (the texts table the scripts read holds every message)."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _query(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


async def test_the_second_tab_s_sign_in_goes_where_it_would_have_gone(client):
    tab_b = await _form_token(client)  # both tabs opened the form: the same session, one token
    tab_a = await _form_token(client)
    assert (await _sign_in_form(client, tab_a, "1001", next_="/lists/mine")).status == 303
    assert await _who(client) == "1001"

    stale = await _sign_in_form(client, tab_b, "1001", next_="/lists/mine")
    assert stale.status == 303 and stale.headers["Location"] == "/lists/mine"
    page = await client.get("/lists/mine")
    assert page.status == 200 and "王坐席" in await page.text()
    # a full-width 工号 (a Chinese input method's) is the same 工号
    again = await _sign_in_form(client, tab_b, "１００１ ", next_="/knowledge")
    assert again.status == 303 and again.headers["Location"] == "/knowledge"
    # the form's next is still only a path of this site (no open redirect)
    away = await _sign_in_form(client, tab_b, "1001", next_="//evil.example/x")
    assert away.status == 303 and away.headers["Location"] == "/"


async def test_a_stale_sign_in_as_someone_else_shows_the_form_again_and_changes_nothing(client):
    tab_b = await _form_token(client)
    assert (await _sign_in_form(client, await _form_token(client), "1001")).status == 303

    # the right password for 3001, but the token is stale: not checked, the browser stays 1001's
    stale = await _sign_in_form(client, tab_b, "3001")
    assert stale.status == 303
    path, query = _query(stale.headers["Location"])
    assert path == "/login" and query == {"next": ["/"], "stale": ["1"]}
    assert await _who(client) == "1001"

    page = await client.get(stale.headers["Location"])
    html = await page.text()
    assert page.status == 200
    assert "本浏览器已由王坐席（1001）登录，可直接进入" in html
    assert '<a href="/" id="login-enter">直接进入</a>' in html
    assert "403" not in _main(html) and "安全令牌" not in _main(html)
    fresh = TOKEN.search(html).group(1)
    assert fresh != tab_b
    switched = await _sign_in_form(client, fresh, "3001")
    assert switched.status == 303 and await _who(client) == "3001"


async def test_a_stale_sign_in_of_a_signed_out_browser_asks_to_sign_in_again(client):
    token = await login(client, "1001")
    stale = await _form_token(client)  # the form in a tab opened while signed in
    assert stale == token
    out = await client.post("/logout", data={"_csrf": token}, allow_redirects=False)
    assert out.status == 303 and await _who(client) is None

    again = await _sign_in_form(client, stale, "1001", next_="/knowledge")
    assert again.status == 303
    assert _query(again.headers["Location"]) == ("/login", {"next": ["/knowledge"], "stale": ["1"]})
    assert await _who(client) is None  # its password was not tried
    page = await client.get(again.headers["Location"])
    html = await page.text()
    assert "登录页面已过期，请重新输入工号和密码登录。" in html and 'id="login-signed-in"' not in html
    done = await _sign_in_form(client, TOKEN.search(html).group(1), "1001", next_="/knowledge")
    assert done.status == 303 and done.headers["Location"] == "/knowledge"


async def test_a_forged_sign_in_is_refused(client, aiohttp_client):
    """Another site's form (no cookie, or no token it could know): never a sign-in, whatever the
    password, and no session of this browser's ends."""
    for data in ({}, {"_csrf": "forged"}):
        resp = await client.post(
            "/login", data={**data, "staff_no": "1001", "password": PASSWORD}, allow_redirects=False
        )
        assert resp.status == 303 and resp.headers["Location"].startswith("/login?")
        assert await _who(client) is None
    signed_in = await aiohttp_client(client.server)
    await login(signed_in, "1001")
    forged = await signed_in.post(
        "/login", data={"_csrf": "forged", "staff_no": "9001", "password": PASSWORD}, allow_redirects=False
    )
    assert forged.status == 303 and forged.headers["Location"].startswith("/login?")
    assert await _who(signed_in) == "1001"  # neither signed in as 9001 nor signed out
    # a script's (JSON) sign-in and the other writes are refused as before
    api = await client.post("/api/session", json={"staff_no": "1001", "password": PASSWORD})
    assert api.status == 403 and (await api.json())["error_id"] == "csrf.invalid"
    password = await signed_in.post(
        "/password",
        data={"_csrf": "forged", "current": PASSWORD, "new": "another2026x", "confirm": "another2026x"},
        allow_redirects=False,
    )
    assert password.status == 403 and 'data-error-id="csrf.invalid"' in await password.text()


async def test_a_stale_sign_out_asks_again_on_a_page_of_its_own(client):
    old = await login(client, "1001")  # the tab's 退出 form carries this token
    assert (await _sign_in_form(client, await _form_token(client), "3001")).status == 303

    stale = await client.post("/logout", data={"_csrf": old}, allow_redirects=False)
    assert stale.status == 303 and stale.headers["Location"] == "/logout?stale=1"
    assert await _who(client) == "3001"  # not signed out

    page = await client.get("/logout?stale=1")
    html = await page.text()
    assert page.status == 200
    assert "<h1>退出登录</h1>" in html
    assert "页面已过期，尚未退出" in html and "确定退出张班长（3001）的登录吗？" in html
    assert "403" not in _main(html)
    confirm = re.search(
        r'<form method="post" action="/logout" id="logout-confirm">\s*'
        r'<input type="hidden" name="_csrf" value="([^"]+)">',
        html,
    )
    assert confirm and confirm.group(1) != old
    done = await client.post("/logout", data={"_csrf": confirm.group(1)}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/login"
    assert await _who(client) is None

    # signed out already: a stale 退出 goes to the sign-in form, and so does the page
    again = await client.post("/logout", data={"_csrf": old}, allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == "/login"
    plain = await client.get("/logout", allow_redirects=False)
    assert plain.status == 303 and plain.headers["Location"] == "/login"


async def test_a_forged_sign_out_signs_nobody_out(client):
    token = await login(client, "1001")
    for data in ({}, {"_csrf": "forged"}, {"_csrf": token + "x"}):
        resp = await client.post("/logout", data=data, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/logout?stale=1"
        assert await _who(client) == "1001"
    api = await client.delete("/api/session", headers={"X-CSRF-Token": "forged"})
    assert api.status == 403 and (await api.json())["error_id"] == "csrf.invalid"
    assert await _who(client) == "1001"
    # the page only asks: its plain version has no notice
    html = await (await client.get("/logout")).text()
    assert "确定退出王坐席（1001）的登录吗？" in html and 'id="logout-stale"' not in html


async def test_a_stale_language_switch_shows_the_page_again_unchanged(client):
    old = await login(client, "1001")
    assert (await _sign_in_form(client, await _form_token(client), "1001")).status == 303

    stale = await client.post(
        "/lang", data={"_csrf": old, "lang": "en", "next": "/knowledge"}, allow_redirects=False
    )
    assert stale.status == 303 and stale.headers["Location"] == "/knowledge"
    assert (await (await client.get("/api/session")).json())["lang"] == "zh-CN"
    page = await client.get("/knowledge")
    html = await page.text()
    fresh = TOKEN.search(html).group(1)
    assert fresh != old
    switched = await client.post(
        "/lang", data={"_csrf": fresh, "lang": "en", "next": "/knowledge"}, allow_redirects=False
    )
    assert switched.status == 303
    assert (await (await client.get("/api/session")).json())["lang"] == "en"
    away = await client.post(
        "/lang", data={"_csrf": old, "lang": "zh-CN", "next": "https://evil.example/"}, allow_redirects=False
    )
    assert away.status == 303 and away.headers["Location"] == "/"
    assert (await (await client.get("/api/session")).json())["lang"] == "en"


async def test_an_ended_pages_requests_racing_the_sign_in_page_leave_its_form_good(client, world):
    """A session that ended: the tab is sent to /login while its other requests (a poll, the
    socket's reconnect) are still on their way, each with the old cookie. Each answer used to draw
    a new token, so the cookie the browser kept last could hold another token than the sign-in
    form it showed: 「登录页面已过期」 at the first try, the password typed twice."""
    from sqlalchemy import update

    from ticketing.models.org import UserSession

    await login(client, "1001")
    async with world.services.sessionmaker.begin() as db:
        await db.execute(update(UserSession).values(revoked_at=UserSession.created_at))
    store = client.server.app[SESSIONS]
    start = store.clock()
    store.clock = lambda: start + dt.timedelta(seconds=CHECK_SECONDS + 1)  # the row is read again
    old = {c.key: c.value for c in client.session.cookie_jar}
    form = await _form_token(client)  # the sign-in page, drawn with the old cookie
    # the ended page's poll, with the same old cookie
    client.session.cookie_jar.update_cookies(old, response_url=client.make_url("/"))
    assert {c.key: c.value for c in client.session.cookie_jar} == old
    poll = await client.get("/api/session")
    assert (await poll.json())["user"] is None  # its answer's cookie is the one the browser keeps
    signed = await _sign_in_form(client, form, "1001", next_="/lists/mine")
    assert signed.status == 303 and signed.headers["Location"] == "/lists/mine"
    assert await _who(client) == "1001"
