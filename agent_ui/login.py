"""Signing in by 工号 + password, the first-login password change, signing out, language.

The password check, lock-out and password rules belong to ``ticketing.users``;
this module only turns their outcome into a session and a page or JSON answer.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from aiohttp_session import get_session

import ticketing.users as users
from agent_ui.auth import (
    ABSOLUTE_SECONDS,
    ENDED_WHY,
    SESSION_ENDED,
    SESSION_REF,
    SESSIONS,
    announce_ended,
    csrf_token,
    current_user,
    end_user_session,
    on_stale_token,
    password_stamp,
    start_user_session,
    user_from_session,
)
from agent_ui.bodies import json_body
from agent_ui.commands import ON_CALL_TO_END
from agent_ui.errors import UiError, details_of, error_id_of, status_for
from agent_ui.locale import language
from agent_ui.roles import public, requires
from agent_ui.services import SERVICES, TEMPLATES, TEXTS, USER
from agent_ui.texts import LANGUAGES
from ticketing.errors import PasswordRejected
from ticketing.models import User

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: ticketing.users.verify_login reasons → our error ids
LOGIN_REFUSALS = {
    "bad_credentials": "auth.bad_credentials",
    "account_locked": "auth.locked",
    "account_disabled": "auth.disabled",
}


def _safe_next(target: str | None, fallback: str = "/") -> str:
    # Only same-site relative paths: an open redirect after login is a phishing tool.
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else fallback


def _home_for(user: Any) -> str:
    roles = set(user.roles)
    if roles & {"agent", "team_leader", "supervisor"}:
        return "/"
    return "/lists/mine"


async def _verify(request: web.Request, staff_no: str, password: str) -> Any:
    services = request.app[SERVICES]
    # The failure counter must be committed even when the login is refused.
    async with services.sessionmaker.begin() as db:
        result = await users.verify_login(db, staff_no.strip(), password)
    if not result.ok:
        raise UiError(LOGIN_REFUSALS.get(result.reason, "auth.bad_credentials"))
    return result.user


@routes.get("/login")
@public
async def login_page(request: web.Request) -> web.Response:
    """The sign-in form; ``ended`` (a console socket's 4401 reason, or the guard's redirect of a
    page whose session ended) says why the user has to sign in again, ``stale`` that the form
    sent was an expired one (``_login_with_stale_token``). A browser signed in already is told
    so, with the way in."""
    user = request.get(USER)
    ended = request.query.get("ended", "")
    notice = None
    if ended in ENDED_WHY and user is None:
        store = request.app.get(SESSIONS)
        hours = round((store.absolute.total_seconds() if store else ABSOLUTE_SECONDS) / 3600)
        notice = request.app[TEXTS].get(await language(request), f"session.ended.{ended}", hours=hours)
    return await request.app[TEMPLATES].response(
        request,
        "login.html",
        {
            "next": _safe_next(request.query.get("next")),
            "error": None,
            "staff_no": "",
            "ended": ended if notice else "",
            "ended_notice": notice,
            "signed_in": user is not None,
            "enter": _safe_next(request.query.get("next"), _home_for(user)) if user else "",
            "stale": user is None and request.query.get("stale") == "1",
        },
    )


async def _login_with_stale_token(request: web.Request) -> str:
    """A sign-in form of a tab opened before this browser signed in (or out) in another tab: its
    password is not checked, since a sign-in without the session's token could be a forged one
    signing the browser into someone else's account (login CSRF). A browser signed in as the 工号
    it names goes where the form would have taken it; otherwise the form again, saying why."""
    form = await request.post()
    user = request.get(USER)
    if user is not None and user.staff_no == users.staff_number(str(form.get("staff_no", ""))):
        if user.must_change_password:
            return "/password"
        return _safe_next(str(form.get("next", "")), _home_for(user))
    return "/login?" + urlencode({"next": _safe_next(str(form.get("next", ""))), "stale": "1"})


@routes.post("/login")
@public
@on_stale_token(_login_with_stale_token)
async def login_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    staff_no = str(form.get("staff_no", ""))
    password = str(form.get("password", ""))
    try:
        user = await _verify(request, staff_no, password)
    except Exception as exc:
        error_id = error_id_of(exc)
        if error_id is None:
            raise
        lang = await language(request)
        message = request.app[TEXTS].error(lang, error_id, str(exc))
        status = status_for(error_id)
        return await request.app[TEMPLATES].response(
            request,
            "login.html",
            {
                "next": _safe_next(str(form.get("next", ""))),
                "error": message,
                "error_id": error_id,
                "staff_no": staff_no,
            },
            status=status,
        )
    await start_user_session(request, user)
    if user.must_change_password:
        raise web.HTTPSeeOther("/password")
    raise web.HTTPSeeOther(_safe_next(str(form.get("next", "")), _home_for(user)))


@routes.get("/api/session")
@public
async def session_state(request: web.Request) -> web.Response:
    session = await get_session(request)
    user = request.get(USER)  # guard's: None once the session was signed out or timed out
    return web.json_response(
        {
            "user": user.to_json() if user else None,
            "csrf": csrf_token(session),
            "lang": await language(request),
        }
    )


@routes.post("/api/session")
@public
async def login_api(request: web.Request) -> web.Response:
    body = await json_body(request)
    user = await _verify(request, str(body.get("staff_no", "")), str(body.get("password", "")))
    session = await start_user_session(request, user)
    current = user_from_session(session)
    assert current is not None
    return web.json_response({"user": current.to_json(), "csrf": session["csrf"]})


async def _end_shift(request: web.Request) -> None:
    """Signing out of the console also signs the seat out of every queue (下班), so no call
    rings a phone nobody is watching."""
    bridge = request.app[SERVICES].bridge
    user = current_user(request)
    if bridge is None or not user.can("seat.use"):
        return
    agent = bridge.agent(user.agent_id) if hasattr(bridge, "agent") else None
    if not agent or agent.get("state") == "logged_out":
        return
    if agent.get("state") in ON_CALL_TO_END:
        raise UiError("logout.on_call")  # still signed in, so the call can be ended
    try:
        result = await bridge.logout(user.agent_id)
    except Exception:
        log.exception("下班 for %s failed while signing out", user.staff_no)
        return
    if getattr(result, "reason", "") == "agent_on_call":
        # the ringing phone was answered before its offer was withdrawn: the call needs the console
        raise UiError("logout.on_call")
    if getattr(result, "reason", "") == "agent_ringing_transfer":
        # a transferred caller rings the seat: signed out of the console, nobody would take them
        raise UiError("agent_ringing_transfer")
    if not getattr(result, "ok", True):
        log.warning("下班 for %s refused while signing out: %s", user.staff_no, getattr(result, "reason", ""))


@routes.delete("/api/session")
@requires("session")
async def logout_api(request: web.Request) -> web.Response:
    await _end_shift(request)
    await end_user_session(request)  # revoked everywhere; every tab of this session is closed
    return web.json_response({"ok": True})


async def _logout_with_stale_token(request: web.Request) -> str:
    """A 退出 form of a tab opened before this browser signed in again in another tab: not
    carried out (a forged 退出 would sign a seat out of its queues mid-shift, 下班), but asked
    again on a page whose 退出 carries the session's token. Signed out already: the sign-in form,
    saying why when the cookie's session ended."""
    if request.get(USER) is None:
        ended = request.get(SESSION_ENDED)
        return "/login" + (f"?{urlencode({'ended': ended})}" if ended else "")
    return "/logout?stale=1"


@routes.get("/logout")
@public
async def logout_page(request: web.Request) -> web.StreamResponse:
    """退出 on a page of its own, its form carrying the session's current token: where a stale
    退出 form lands (``stale``: the page says why nothing happened)."""
    if request.get(USER) is None:
        raise web.HTTPSeeOther("/login")
    return await request.app[TEMPLATES].response(
        request, "logout.html", {"stale": request.query.get("stale") == "1"}
    )


@routes.post("/logout")
@requires("session")
@on_stale_token(_logout_with_stale_token)
async def logout_form(request: web.Request) -> web.StreamResponse:
    await _end_shift(request)
    await end_user_session(request)
    raise web.HTTPSeeOther("/login")


@routes.get("/password")
@requires("session")
async def password_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "password.html", {"error": None})


async def _change_password(request: web.Request, current: str, new: str, confirm: str) -> None:
    """The user's own change (``users.set_password``): every problem at once, in words
    (``password_problems``). A wrong current password is a wrong sign-in: it is counted, audited
    and locks the account as ``verify_login``'s do, so a refusal's transaction is committed too
    (``set_password`` changes nothing else before it refuses)."""
    user = current_user(request)
    services = request.app[SERVICES]
    refused: PasswordRejected | None = None
    async with services.sessionmaker.begin() as db:
        row = await db.get(User, user.id, with_for_update=True)
        if row is None:
            raise UiError("auth.required")
        try:
            await users.set_password(db, row, new, old_password=current, confirm=confirm)
        except PasswordRejected as exc:
            refused = exc  # the failure counter (or its reset) and its audit row are committed
        else:
            stamp = password_stamp(row)
            # the user's other sessions end with the old password (revoked: their sockets close too)
            ended = await request.app[SESSIONS].revoke_user(db, user.id, keep=request.get(SESSION_REF))
    if refused is not None:
        raise _refusal(refused) from refused
    await announce_ended(request.app, user.staff_no, ended, "password_changed")
    session = await get_session(request)
    session["must_change"] = False
    session["pw_at"] = stamp  # this session goes on with the new password


def _refusal(exc: PasswordRejected) -> UiError:
    reason = exc.details.get("reason") or "password_too_weak"
    if reason == "account_locked":
        return UiError("auth.locked")
    # the first problem's id (bad_old_password, password_mismatch, password_reused, …); the
    # message names every problem
    problems = exc.details.get("password_problems") or []
    return UiError(
        f"auth.{reason}", str(exc), password_problems=list(problems), recent=users.PASSWORD_HISTORY
    )


@routes.post("/password")
@requires("session")
async def password_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await _change_password(
            request, str(form.get("current", "")), str(form.get("new", "")), str(form.get("confirm", ""))
        )
    except Exception as exc:
        error_id = error_id_of(exc)
        if error_id is None:
            raise
        message = request.app[TEXTS].error(await language(request), error_id, str(exc), details_of(exc))
        return await request.app[TEMPLATES].response(request, "password.html", {"error": message}, status=422)
    raise web.HTTPSeeOther(_home_for(current_user(request)))


@routes.post("/api/session/password")
@requires("session")
async def password_api(request: web.Request) -> web.Response:
    body = await json_body(request)
    await _change_password(
        request,
        str(body.get("current", "")),
        str(body.get("new", "")),
        str(body.get("confirm", body.get("new", ""))),
    )
    return web.json_response({"ok": True})


async def _language_with_stale_token(request: web.Request) -> str:
    """A 切换语言 form whose token went stale: the page it was on again, language unchanged, its
    forms carrying the session's current token."""
    form = await request.post()
    return _safe_next(str(form.get("next", "")), "/")


@routes.post("/lang")
@public
@on_stale_token(_language_with_stale_token)
async def choose_language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    lang = str(form.get("lang", ""))
    if lang in LANGUAGES:
        (await get_session(request))["lang"] = lang
    raise web.HTTPSeeOther(_safe_next(str(form.get("next", "")), "/"))
