"""Sessions, CSRF and the permission check every request passes through.

The session (an encrypted cookie) holds the signed-in user's id, 工号, name,
roles, a CSRF token and a random session id. The id is what makes it a session:
its SHA-256 is a ``user_sessions`` row (``SessionStore``), created at sign-in,
revoked at sign-out and ended by the idle and absolute timeouts, so a copy of
the cookie kept from before 退出 opens nothing. Each web process believes a row
it read for ``CHECK_SECONDS`` (a dict lookup per request); a sign-out tells
every process at once over the bus (``SessionEnded``), which also closes the
session's console sockets. ``guard`` is the one middleware that decides whether
a request may reach its handler:

* the route must declare a permission (``roles.requires``) or be public;
* writes (POST/PUT/PATCH/DELETE) must carry the session's CSRF token, in the
  form field ``_csrf`` or the header ``X-CSRF-Token``; a sign-in, 退出 or 切换语言 form
  whose token went stale (``on_stale_token``) is not carried out either, only sent on to a
  page that carries the current one;
* a user who still has to change the first-login password reaches only the
  password page and logout;
* the session must still be live (``SessionStore.alive``): one that was signed out or timed
  out is no session (``auth.required``), and its cookie loses the user;
* the user's roles must grant the permission.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_ui import roles
from agent_ui.errors import UiError
from agent_ui.services import GATEWAY, SERVICES, USER
from cti.events import Event, event
from ticketing.db import read_sessionmaker
from ticketing.models.base import utcnow
from ticketing.models.org import UserSession

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "_csrf"
# Reachable while the first-login password change is pending.
_PASSWORD_CHANGE_PATHS = frozenset({"/password", "/logout", "/api/session/password", "/api/session"})
#: the session keys that name the signed-in user (dropped from a cookie whose session ended)
_USER_KEYS = ("uid", "staff_no", "name", "roles", "must_change", "site_id", "pw_at", "sid")
#: seconds a session lives from its sign-in, however active (the idle timeout is the app's
#: ``session_max_age``)
ABSOLUTE_SECONDS = 24 * 3600
#: seconds a web process believes a session it found live without reading its row again: the
#: bound on how late a process that missed a ``SessionEnded`` (bus down) learns of a sign-out
CHECK_SECONDS = 15.0
#: seconds between two writes of a session's ``last_seen_at`` (the idle timeout's clock)
TOUCH_SECONDS = 60.0
#: sessions ``SessionStore.ended_among`` reads in one query
ENDED_BATCH = 500
#: live sessions a process remembers; beyond it the oldest are read again when next used
CACHED_SESSIONS = 20_000
#: the digest of the request's session id, once ``guard`` found it live
SESSION_REF: web.RequestKey[str] = web.RequestKey("session_ref")
#: why the request's session ended (``ENDED_WHY``), when its cookie named one that did
SESSION_ENDED: web.RequestKey[str] = web.RequestKey("session_ended")

#: Why a session ended, as its sockets' 4401 close says it (the close frame's reason) and the
#: sign-in page tells it (``login?ended=…``, text ``session.ended.<why>``):
ENDED_WHY = (
    "idle",  # unused past the idle timeout (session_max_age)
    "expired",  # the absolute limit from its sign-in (ABSOLUTE_SECONDS), however active
    "signed_out",  # 退出 in one of the session's tabs (another tab, or another process's)
    "signed_in_again",  # this browser signed in again (another account, another tab)
    "password_changed",  # the user changed their password in another session
    "password_reset",  # an admin reset the password
    "account_disabled",  # an admin disabled the account
    "roles_changed",  # an admin changed the account's roles
    "revoked",  # ended in the database for a reason this process was not told (the bus missed)
)


@event
class SessionEnded(Event):
    """A user signed out (退出): every web process forgets the session and closes its sockets
    (4401, the tabs go to the sign-in form). ``session`` is the id's digest, never the id."""

    staff_no: str
    session: str
    #: why it ended (``ENDED_WHY``): the sockets' 4401 close and the sign-in page say it
    why: str = "signed_out"


def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """The server side of the sessions: one ``user_sessions`` row each, and the live ones this
    process read lately (``CHECK_SECONDS``), so a request's check is a dict lookup.

    A check reads its row through a read-only session (on SQLite a plain ``BEGIN``: it neither
    takes nor waits for the write lock, so page loads, sign-ins and static files never stall
    behind a long write); only the once-a-``TOUCH_SECONDS`` ``last_seen_at`` update writes."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        idle_seconds: float,
        absolute_seconds: float = ABSOLUTE_SECONDS,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        bind = sessionmaker.kw.get("bind")
        self.readers = read_sessionmaker(bind) if isinstance(bind, AsyncEngine) else sessionmaker
        self.idle = dt.timedelta(seconds=idle_seconds)
        self.absolute = dt.timedelta(seconds=max(absolute_seconds, idle_seconds))
        self.check_seconds = check_seconds
        self.clock: Callable[[], dt.datetime] = utcnow
        #: digest → (believed live until, as a clock timestamp; the user's id)
        self._live: dict[str, tuple[float, int]] = {}
        #: digest → why it was revoked, for the revocations this process made or was told of
        #: (the row keeps only when): the timeouts are read from the row itself
        self._why: dict[str, str] = {}
        self.reads = 0  # rows read (the cost the cache saves; the tests measure it)

    async def open(self, user_id: int) -> str:
        """A new session of the user: its random id (for the cookie only)."""
        session_id = secrets.token_urlsafe(32)
        digest = session_digest(session_id)
        now = self.clock()
        async with self.sessionmaker.begin() as db:
            # the user's ended sessions go as they sign in again: the table stays small
            await db.execute(
                delete(UserSession).where(
                    UserSession.user_id == user_id,
                    or_(
                        UserSession.revoked_at.is_not(None),
                        UserSession.created_at < now - self.absolute,
                        UserSession.last_seen_at < now - self.idle,
                    ),
                )
            )
            db.add(UserSession(id=digest, user_id=user_id, created_at=now, last_seen_at=now))
        self._believe(digest, user_id, now)
        return session_id

    async def alive(self, digest: str, user_id: int) -> bool:
        """Whether the session is live: not signed out, nor idle or old past its timeouts."""
        now = self.clock()
        cached = self._live.get(digest)
        if cached is not None and cached[1] == user_id and now.timestamp() < cached[0]:
            return True
        self.reads += 1
        async with self.readers() as db:
            row = await db.get(UserSession, digest)
        if not self._live_row(row, user_id, now):
            self._live.pop(digest, None)
            return False
        assert row is not None
        if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
            async with self.sessionmaker.begin() as db:
                await db.execute(
                    update(UserSession)
                    .where(UserSession.id == digest, UserSession.last_seen_at < now)
                    .values(last_seen_at=now)
                )
        self._believe(digest, user_id, now)
        return True

    def _live_row(self, row: UserSession | None, user_id: int, now: dt.datetime) -> bool:
        return self._ended_why(row, user_id, now) is None

    def _ended_why(self, row: UserSession | None, user_id: int, now: dt.datetime) -> str | None:
        """None while the session is live, else why it ended (``ENDED_WHY``): a revocation by
        what this process knows of it ("revoked" if nothing), a timeout by whichever came first."""
        if row is None or row.user_id != user_id:
            return "revoked"  # its row went at the user's next sign-in (``open``)
        if row.revoked_at is not None:
            return self._why.get(row.id, "revoked")
        idle_end, absolute_end = row.last_seen_at + self.idle, row.created_at + self.absolute
        if now > absolute_end and (now <= idle_end or absolute_end <= idle_end):
            return "expired"
        if now > idle_end:
            return "idle"
        return None

    async def ended_why(self, digest: str, user_id: int) -> str:
        """Why the session ended (``ENDED_WHY``), read from its row; "" if it is live. For the
        rare request or socket command whose session ``alive`` found ended."""
        now = self.clock()
        async with self.readers() as db:
            row = await db.get(UserSession, digest)
        if row is None:
            return self._why.get(digest, "revoked")
        return self._ended_why(row, user_id, now) or ""

    async def ended_among(self, sessions: dict[str, int]) -> set[str]:
        """Those of the sessions (digest → user id: a web process's open sockets) that ended
        (``ended_why_among``)."""
        return set(await self.ended_why_among(sessions))

    async def ended_why_among(self, sessions: dict[str, int]) -> dict[str, str]:
        """Those of the sessions (digest → user id: a web process's open sockets) that ended, and
        why (``ENDED_WHY``), read in one query per ``ENDED_BATCH`` (not one per socket). It neither
        touches ``last_seen_at`` (an open socket is no activity: the idle timeout still ends its
        session) nor renews what this process believes; the ended ones it forgets."""
        ended: dict[str, str] = {}
        now = self.clock()
        digests = list(sessions)
        for start in range(0, len(digests), ENDED_BATCH):
            batch = digests[start : start + ENDED_BATCH]
            async with self.readers() as db:
                rows = {
                    row.id: row
                    for row in await db.scalars(select(UserSession).where(UserSession.id.in_(batch)))
                }
            for digest in batch:
                row = rows.get(digest)
                why = self._ended_why(row, sessions[digest], now)
                if why is not None:
                    ended[digest] = self._why.get(digest, why) if row is None else why
                    self._live.pop(digest, None)
        return ended

    async def revoke(self, digest: str, why: str = "signed_out") -> None:
        """Sign the session out for good (in the database: every process sees it)."""
        self._live.pop(digest, None)
        self._remember_why(digest, why)
        async with self.sessionmaker.begin() as db:
            await db.execute(
                update(UserSession)
                .where(UserSession.id == digest, UserSession.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    async def revoke_user(
        self, db: AsyncSession, user_id: int, *, keep: str | None = None, why: str = "password_changed"
    ) -> list[str]:
        """Revoke the user's live sessions but ``keep`` in the caller's transaction (a password
        change: the sessions opened with the old password end with it); their digests, for
        ``announce_ended`` once the transaction is committed."""
        query = select(UserSession.id).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        if keep:
            query = query.where(UserSession.id != keep)
        digests = list(await db.scalars(query))
        if digests:
            await db.execute(
                update(UserSession)
                .where(UserSession.id.in_(digests), UserSession.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        for digest in digests:
            self._live.pop(digest, None)
            self._remember_why(digest, why)
        return digests

    def forget(self, digest: str, why: str = "") -> None:
        """Another process signed the session out (``SessionEnded``): read its row next time,
        and remember why it ended."""
        self._live.pop(digest, None)
        if why:
            self._remember_why(digest, why)

    def _remember_why(self, digest: str, why: str) -> None:
        self._why.pop(digest, None)
        self._why[digest] = why if why in ENDED_WHY else "revoked"
        while len(self._why) > CACHED_SESSIONS:
            del self._why[next(iter(self._why))]

    def _believe(self, digest: str, user_id: int, now: dt.datetime) -> None:
        self._live.pop(digest, None)  # to the end: the oldest are the first to go
        self._live[digest] = (now.timestamp() + self.check_seconds, user_id)
        while len(self._live) > CACHED_SESSIONS:
            del self._live[next(iter(self._live))]


SESSIONS = web.AppKey("session_store", SessionStore)


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
    """A fresh session (new id, new cookie, new CSRF token) for a user who just proved who they are."""
    store = request.app[SESSIONS]
    previous = await get_session(request)
    lang = previous.get("lang")
    if isinstance(previous.get("sid"), str):
        # the one this browser had ends, and with it its tabs, in every web process
        digest = session_digest(previous["sid"])
        await store.revoke(digest, "signed_in_again")
        staff_no = previous.get("staff_no")
        await announce_ended(
            request.app, staff_no if isinstance(staff_no, str) else "", [digest], "signed_in_again"
        )
    session_id = await store.open(user.id)
    session = await new_session(request)
    session["sid"] = session_id
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


async def end_user_session(request: web.Request) -> None:
    """Sign out: the session is revoked (a copy of its cookie opens nothing any more, in any web
    process), every process closes its console sockets, and this browser's cookie is emptied."""
    session = await get_session(request)
    digest = request.get(SESSION_REF)
    user = request.get(USER)
    if digest:
        await request.app[SESSIONS].revoke(digest)
        await announce_ended(request.app, user.staff_no if user is not None else "", [digest])
    session.invalidate()


async def announce_ended(
    app: web.Application, staff_no: str, digests: list[str], why: str = "signed_out"
) -> None:
    """Sessions revoked in the database: this process forgets them and closes their sockets now
    (saying ``why``), and ``SessionEnded`` tells the other web processes to do the same."""
    gateway = app.get(GATEWAY)
    store = app.get(SESSIONS)
    for digest in digests:
        if store is not None:
            store.forget(digest, why)
        if gateway is not None:
            gateway.end_session(staff_no, digest, why)  # this process's tabs, without waiting for the bus
        try:
            await app[SERVICES].bus.publish(SessionEnded(staff_no=staff_no, session=digest, why=why))
        except Exception:
            # revoked in the database all the same: every process's check of its sockets (every
            # CHECK_SECONDS) and requests closes and refuses it
            log.exception("SessionEnded for %s was not published", staff_no)


async def session_user(request: web.Request, session: Session) -> CurrentUser | None:
    """The session's user while the session is live; a session that ended loses its user (the
    response's cookie no longer names them) and keeps its CSRF token."""
    user = user_from_session(session)
    if user is None:
        return None
    session_id = session.get("sid")
    store = request.app.get(SESSIONS)
    if isinstance(session_id, str) and session_id and store is not None:
        digest = session_digest(session_id)
        if await store.alive(digest, user.id):
            request[SESSION_REF] = digest
            return user
        try:
            request[SESSION_ENDED] = await store.ended_why(digest, user.id) or "revoked"
        except Exception:
            log.warning("why the session of %s ended was not read", user.staff_no, exc_info=True)
    for key in _USER_KEYS:
        session.pop(key, None)
    # the token is kept, not drawn anew: an ended page's requests race the sign-in page it is sent
    # to, each with the old cookie, and a new token per response left the sign-in form's stale
    # (「登录页面已过期」 at the first try). Signing in gives the new session a token of its own.
    csrf_token(session)
    return None


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


_MACHINE = "_hotline_machine_route"
_ON_STALE = "_hotline_on_stale_token"


def on_stale_token(where: Callable[[web.Request], Awaitable[str]]) -> Callable[[Any], Any]:
    """A form route whose form, posted with a CSRF token that is no longer the session's, sends
    the browser on to a page (``where(request)``: a same-site path, read with GET) instead of a
    refusal. Such a form is a tab's opened before this browser signed in or out in another tab
    (each gives the session a new token), not necessarily a forgery, but it is treated as one:
    what it asked is never done, and the redirect is no more than a link to that page would do.
    ``where`` sees ``request[USER]``, the browser's user now (None: signed out); it must change
    nothing."""

    def mark(handler: Any) -> Any:
        setattr(handler, _ON_STALE, where)
        return handler

    return mark


def machine_route(handler: Any) -> Any:
    """A route another system calls (the SMS gateway's inbound messages), public to the
    session check: no session, no CSRF token; the handler authenticates the caller itself
    (a shared secret's signature) and refuses everyone else."""
    setattr(handler, _MACHINE, True)
    return roles.public(handler)


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
        if isinstance(getattr(request.match_info, "http_exception", None), web.HTTPNotFound):
            # no such address (a mistyped one): the console's own 404, a page in the reader's
            # language with their header and navigation (an API caller's JSON error), not
            # aiohttp's bare English 「404: Not Found」
            request[USER] = await session_user(request, await get_session(request))
            raise UiError("not_found", f"no page at {request.path}")
        return await handler(request)  # 405 from the router, and static files
    permission = roles.permission_of(route_handler)
    if permission is None:
        # Fail closed: a route that forgot to declare who may use it serves nobody.
        raise UiError("route.undeclared")
    if getattr(route_handler, _MACHINE, False):
        return await handler(request)  # no cookie session: the handler checks its caller
    session = await get_session(request)
    if request.method in WRITE_METHODS:
        expected = session.get("csrf")
        presented = await _presented_csrf(request)
        if not expected or not presented or not hmac.compare_digest(str(expected), presented):
            where = getattr(route_handler, _ON_STALE, None)
            if where is None or wants_json(request):
                raise UiError("csrf.invalid")
            request[USER] = await session_user(request, session)
            raise web.HTTPSeeOther(await where(request))
    user = await session_user(request, session)
    if permission == roles.PUBLIC:
        request[USER] = user
        return await handler(request)
    if user is None:
        ended = request.get(SESSION_ENDED)
        if not wants_json(request) and request.method == "GET":
            # the sign-in page says why, when the cookie's session ended (timed out, revoked)
            query = {"next": request.path_qs, **({"ended": ended} if ended else {})}
            raise web.HTTPSeeOther(f"/login?{urlencode(query)}")
        if ended:
            raise UiError("auth.required", session_ended=ended)
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
