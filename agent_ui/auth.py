"""Sessions, CSRF and the permission check every request passes through.

The session (an encrypted cookie) holds the signed-in user's id, 工号, name,
roles and a CSRF token. ``guard`` is the one middleware that decides whether a
request may reach its handler:

* the route must declare a permission (``roles.requires``) or be public;
* writes (POST/PUT/PATCH/DELETE) must carry the session's CSRF token, in the
  form field ``_csrf`` or the header ``X-CSRF-Token``;
* a user who still has to change the first-login password reaches only the
  password page and logout;
* the user's roles must grant the permission.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from agent_ui import roles
from agent_ui.errors import UiError
from agent_ui.services import USER

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "_csrf"
# Reachable while the first-login password change is pending.
_PASSWORD_CHANGE_PATHS = frozenset({"/password", "/logout", "/api/session/password", "/api/session"})


@dataclasses.dataclass(frozen=True)
class CurrentUser:
    id: int
    staff_no: str
    name: str
    roles: tuple[str, ...]
    must_change_password: bool = False
    site_id: int | None = None
    #: the password the session was opened with (``password_stamp``): a reset ends the session
    password_stamp: str | None = None

    @property
    def agent_id(self) -> str:
        # The CTI bridge names agents by 工号 (one seat per signed-in agent).
        return self.staff_no

    def can(self, permission: str) -> bool:
        return roles.allowed(self.roles, permission)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "staff_no": self.staff_no,
            "name": self.name,
            "roles": list(self.roles),
            "agent_id": self.agent_id,
            "must_change_password": self.must_change_password,
        }


def session_storage(secret_key: str, *, secure: bool, max_age: int) -> EncryptedCookieStorage:
    # Fernet wants 32 bytes (the storage base64-encodes them); derive them so any secret works.
    return EncryptedCookieStorage(
        hashlib.sha256(secret_key.encode()).digest(),
        cookie_name="HOTLINE_SESSION",
        secure=secure,
        httponly=True,
        samesite="Strict",
        max_age=max_age,
    )


def user_from_session(session: Session) -> CurrentUser | None:
    uid = session.get("uid")
    if uid is None:
        return None
    return CurrentUser(
        id=int(uid),
        staff_no=str(session.get("staff_no", "")),
        name=str(session.get("name", "")),
        roles=tuple(session.get("roles", ())),
        must_change_password=bool(session.get("must_change", False)),
        site_id=session.get("site_id"),
        password_stamp=session.get("pw_at"),
    )


def password_stamp(user: Any) -> str | None:
    """When the user's password last changed, as the session keeps it (None: never)."""
    changed = getattr(user, "password_changed_at", None)
    return changed.astimezone(dt.UTC).isoformat() if changed else None


async def start_user_session(request: web.Request, user: Any) -> Session:
    """A fresh session (new cookie, new CSRF token) for a user who just proved who they are."""
    lang = (await get_session(request)).get("lang")
    session = await new_session(request)
    session["uid"] = user.id
    session["staff_no"] = user.staff_no
    session["name"] = user.name
    session["roles"] = list(user.roles)
    session["must_change"] = bool(user.must_change_password)
    session["site_id"] = getattr(user, "site_id", None)
    session["pw_at"] = password_stamp(user)
    session["csrf"] = secrets.token_urlsafe(24)
    if lang:
        session["lang"] = lang
    return session


def csrf_token(session: Session) -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


async def _presented_csrf(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _route_handler(request: web.Request) -> Any:
    info = request.match_info
    route = info.route
    if getattr(info, "http_exception", None) is not None:
        return None
    if route is None or isinstance(route.resource, web.StaticResource):
        return None  # static files are public (no data in them)
    return route.handler


def wants_json(request: web.Request) -> bool:
    return (
        request.path.startswith("/api/")
        or request.path == "/ws"
        or "application/json" in request.headers.get("Accept", "")
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    route_handler = _route_handler(request)
    if route_handler is None:
        return await handler(request)  # 404/405 from the router, and static files
    permission = roles.permission_of(route_handler)
    if permission is None:
        # Fail closed: a route that forgot to declare who may use it serves nobody.
        raise UiError("route.undeclared")
    session = await get_session(request)
    if request.method in WRITE_METHODS:
        expected = session.get("csrf")
        presented = await _presented_csrf(request)
        if not expected or not presented or not hmac.compare_digest(str(expected), presented):
            raise UiError("csrf.invalid")
    if permission == roles.PUBLIC:
        request[USER] = user_from_session(session)
        return await handler(request)
    user = user_from_session(session)
    if user is None:
        if not wants_json(request) and request.method == "GET":
            raise web.HTTPSeeOther(f"/login?next={request.path_qs}")
        raise UiError("auth.required")
    if user.must_change_password and request.path not in _PASSWORD_CHANGE_PATHS:
        if not wants_json(request) and request.method == "GET":
            raise web.HTTPSeeOther("/password")
        raise UiError("auth.password_change_required")
    if not user.can(permission):
        raise UiError("role.forbidden", permission=permission)
    request[USER] = user
    return await handler(request)


def current_user(request: web.Request) -> CurrentUser:
    user = request.get(USER)
    if user is None:
        raise UiError("auth.required")
    return user
