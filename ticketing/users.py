"""Users: 工号 + password login with lock-out, password policy, roles and data scope."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from cti.phones import ascii_digits
from ticketing import directory
from ticketing.audit import record
from ticketing.errors import Forbidden, PasswordRejected, TicketingError, require_admin
from ticketing.models import ROLES, Site, User, WorkOrder, utcnow

MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
#: a new password may be none of the user's last ``PASSWORD_HISTORY`` passwords (the current one
#: included): ``User.password_history`` keeps the argon2 hashes of the ones before the current
PASSWORD_HISTORY = 5
#: a phone number's digits count as the user's own in a password from this many on (an extension
#: such as 8001 is too short to mean anyone)
_PHONE_DIGITS = 6
#: 工号: 4-6 ASCII digits (``\d`` would take any script's digits: "７７１０" would be a second
#: 工号 beside "7710", and the Asterisk agent id); ``staff_number`` reads what was typed first
STAFF_NO = re.compile(r"^[0-9]{4,6}\Z")
#: set to 1 by the test suite only: argon2 at its production cost (0.3-1 s a hash or a check on a
#: busy two-core machine) was a third of the console tests' time, every sign-in paying it
CHEAP_HASH_FOR_TESTS = "HOTLINE_TEST_CHEAP_PASSWORD_HASH"


def password_hasher(env: Mapping[str, str] = os.environ) -> PasswordHasher:
    """argon2 with its own defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB); the
    tests' cheap one only where ``CHEAP_HASH_FOR_TESTS`` asks. A password hashed cheaply is
    rehashed at full cost at its next sign-in anywhere else (``verify_login``)."""
    if env.get(CHEAP_HASH_FOR_TESTS) == "1":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


_hasher = password_hasher()


class InvalidUser(TicketingError):
    error_id = "user_invalid"


@dataclasses.dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str = ""  # "" on success; bad_credentials | account_locked | account_disabled

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.reason

    @property
    def must_change_password(self) -> bool:
        return bool(self.user and self.user.must_change_password)


def staff_number(raw: str) -> str:
    """A 工号 as typed, trimmed, its full-width digits (a Chinese input method's ７７１０) read as
    ASCII: the one spelling every lookup and the register use. What is still no 工号 is left
    for ``STAFF_NO`` to refuse."""
    return ascii_digits(raw.strip())


def password_problems(password: str, *, staff_no: str = "", name: str = "", phone: str = "") -> list[str]:
    """Every rule a new password breaks, in the order the form shows them: too short (8),
    letters and digits, and none of the person's own 工号, name or phone number in it (whatever
    the case and width of the letters and digits typed)."""
    problems = []
    if len(password) < 8:
        problems.append("too_short")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("letters_and_digits")
    plain = "".join(ascii_digits(password).casefold().split())
    if staff_no and staff_no in plain:
        problems.append("contains_staff_no")
    name = "".join(ascii_digits(name).casefold().split())  # Wang Li in wangli2026 too
    if len(name) >= 2 and name in plain:
        problems.append("contains_name")
    digits = "".join(c for c in ascii_digits(phone) if c.isascii() and c.isdigit())
    if len(digits) >= _PHONE_DIGITS and digits in plain:
        problems.append("contains_phone")
    return problems


def check_password_policy(password: str, user: User | None = None) -> None:
    """At least 8 characters with both letters and digits, and (for ``user``) none of their 工号,
    name or phone; ``PasswordRejected`` lists every problem (``password_problems``)."""
    problems = password_problems(
        password,
        staff_no=user.staff_no if user else "",
        name=user.name if user else "",
        phone=user.phone if user else "",
    )
    if problems:
        raise PasswordRejected(
            f"password refused: {', '.join(problems)}", reason="password_too_weak", password_problems=problems
        )


def _matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# argon2 is slow on purpose (0.3-1 s a hash or a check at its production cost on a busy two-core
# machine). On the event loop that would stall every call event and screen-pop of the process for
# as long; argon2-cffi lets go of the GIL while it works, so a thread keeps the loop free.
async def _verifies(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_matches, password_hash, password)


async def _hashed(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def create_user(
    session: AsyncSession,
    staff_no: str,
    name: str,
    password: str,
    *,
    roles: Iterable[str] = ("agent",),
    site_id: int | None = None,
    scope_site_ids: Iterable[int] = (),
    department_id: int | None = None,
    manager_id: int | None = None,
    skills: dict[str, int] | None = None,
    phone: str = "",
    email: str = "",
    must_change_password: bool = True,
    active: bool = True,
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """``password_hash`` (from ``hash_password``) skips hashing, for bulk/demo creation.
    ``actor`` None is the system (seeding); a person creating users must be an admin. The audit
    row ``user.create`` keeps the whole new user (``user_view``: never the password)."""
    require_admin(actor, "create users")
    staff_no = staff_number(staff_no)
    if not STAFF_NO.match(staff_no):
        raise InvalidUser("工号 must be 4-6 digits", field="staff_no")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidUser(f"unknown roles {unknown}", field="roles")
    if await session.scalar(select(User.id).where(User.staff_no == staff_no)):
        raise InvalidUser(f"工号 {staff_no} already exists", field="staff_no")
    if password_hash is None:
        check_password_policy(password)
        password_hash = await _hashed(password)
    user = User(
        staff_no=staff_no,
        name=name,
        password_hash=password_hash,
        roles=list(roles),
        site_id=site_id,
        department_id=department_id,
        manager_id=manager_id,
        skills=dict(skills or {}),
        phone=phone,
        email=email,
        must_change_password=must_change_password,
        active=active,
    )
    grants = set(scope_site_ids) | ({site_id} if site_id else set())
    if grants:
        user.scope_sites = list((await session.scalars(select(Site).where(Site.id.in_(grants)))).all())
    else:
        user.scope_sites = []
    session.add(user)
    await session.flush()
    await record(session, actor, "user.create", "user", user.id, after=user_view(user))
    return user


def user_view(user: User) -> dict[str, Any]:
    """The user as the register shows them and the audit keeps them (no hash, no counters but the
    lock); ``scope_sites`` must be loaded."""
    return {
        "staff_no": user.staff_no,
        "name": user.name,
        "roles": list(user.roles),
        "site_id": user.site_id,
        "scope_site_ids": sorted(s.id for s in user.scope_sites),
        "department_id": user.department_id,
        "manager_id": user.manager_id,
        "skills": dict(user.skills or {}),
        "phone": user.phone,
        "email": user.email,
        "active": user.active,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "must_change_password": user.must_change_password,
    }


async def _wrong_password(
    session: AsyncSession, user: User, now: dt.datetime, action: str, reason: str
) -> str:
    """Count a wrong password, at sign-in or as the current one of a change alike: the
    ``MAX_FAILURES``-th in a row locks the account for ``LOCK_FOR`` (``account_locked``, else
    ``reason``), audited as ``action``; flushed, as the caller commits even when it refuses."""
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + LOCK_FOR
        user.failed_logins = 0
        reason = "account_locked"
    await record(session, user, action, "user", user.id, after={"reason": reason})
    await session.flush()
    return reason


async def verify_login(
    session: AsyncSession, staff_no: str, password: str, *, now: dt.datetime | None = None
) -> LoginResult:
    """Check 工号 + password; five failures lock the account for 15 minutes.

    Unknown staff numbers and wrong passwords give the same reason on purpose.
    The caller commits (the failure counter must persist).
    """
    now = now or utcnow()
    user = await session.scalar(select(User).where(User.staff_no == staff_number(staff_no)))
    if user is None:
        return LoginResult(None, "bad_credentials")
    if not user.active:
        return LoginResult(None, "account_disabled")
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, "account_locked")
    if not await _verifies(user.password_hash, password):
        return LoginResult(
            None, await _wrong_password(session, user, now, "user.login_failed", "bad_credentials")
        )
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await _hashed(password)
    await record(session, user, "user.login", "user", user.id)
    await session.flush()
    return LoginResult(user)


async def set_password(
    session: AsyncSession,
    user: User,
    new_password: str,
    *,
    old_password: str | None = None,
    actor: User | None = None,
    confirm: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Change a password. Users changing their own must give the old one; an admin reset forces a change.

    Every problem is refused at once (``PasswordRejected`` with ``password_problems``): the old
    password wrong, ``confirm`` not the same, the policy (``password_problems``: the user's 工号,
    name, phone), the current password or one of the last ``PASSWORD_HISTORY``. A wrong old
    password counts as a wrong sign-in (``verify_login``): ``MAX_FAILURES`` of them in a row lock
    the account for ``LOCK_FOR`` (reason ``account_locked``, the right one refused too while it
    lasts), each audited as ``user.password_change_failed``. The caller commits even when this
    raises ``bad_old_password`` or ``account_locked``: the counter must persist."""
    now = now or utcnow()
    if actor is not None and actor.id != user.id and not actor.has_role("admin"):
        raise Forbidden("only admins may reset someone else's password", role="admin")
    problems: list[str] = []
    if old_password is not None:
        if user.locked_until and user.locked_until > now:
            raise PasswordRejected("the account is locked", reason="account_locked")
        if await _verifies(user.password_hash, old_password):
            user.failed_logins = 0
        else:
            reason = await _wrong_password(
                session, user, now, "user.password_change_failed", "bad_old_password"
            )
            if reason == "account_locked":
                raise PasswordRejected("too many wrong passwords: the account is locked", reason=reason)
            problems.append("bad_old_password")
    if confirm is not None and confirm != new_password:
        problems.append("mismatch")
    problems += password_problems(new_password, staff_no=user.staff_no, name=user.name, phone=user.phone)
    # the earlier passwords are no oracle for someone who does not know the current one
    if "bad_old_password" not in problems:
        if await _verifies(user.password_hash, new_password):
            problems.append("same_as_current")
        else:
            for earlier in (user.password_history or [])[: PASSWORD_HISTORY - 1]:
                if await _verifies(earlier, new_password):
                    problems.append("used_recently")
                    break
    if problems:
        reason = (
            "bad_old_password"
            if "bad_old_password" in problems
            else "password_mismatch"
            if "mismatch" in problems
            else "password_reused"
            if set(problems) <= {"same_as_current", "used_recently"}
            else "password_too_weak"
        )
        raise PasswordRejected(
            f"password refused: {', '.join(problems)}", reason=reason, password_problems=problems
        )
    user.password_history = [user.password_hash, *(user.password_history or [])][: PASSWORD_HISTORY - 1]
    user.password_hash = await _hashed(new_password)
    user.password_changed_at = now
    # An admin reset means the user must choose their own at the next login.
    user.must_change_password = actor is not None and actor.id != user.id
    await record(session, actor or user, "user.set_password", "user", user.id)
    await session.flush()


async def scope_paths(session: AsyncSession, user: User) -> list[str] | None:
    """Site-path prefixes the user may see; None means everything (admin or HQ grant)."""
    if user.has_role("admin"):
        return None
    return (await directory.load(session)).scope_paths(user.id)


def site_scope_clause(paths: list[str] | None) -> ColumnElement[bool]:
    """SQL condition on ``Site`` for the given scope (use with a join on the order's site)."""
    if paths is None:
        return true()
    if not paths:
        return false()
    return or_(*(Site.path.startswith(p) for p in paths))


def orders_within(paths: list[str] | None) -> ColumnElement[bool]:
    """SQL condition on ``WorkOrder``: its site is within ``paths`` (``scope_paths``), as
    ``can_access`` checks one order."""
    if paths is None:
        return true()
    return WorkOrder.site_id.in_(select(Site.id).where(site_scope_clause(paths)))


async def order_scope_clause(session: AsyncSession, user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting work orders to the user's sites."""
    return orders_within(await scope_paths(session, user))


async def can_access(session: AsyncSession, user: User, order: WorkOrder) -> bool:
    return await covers_site(session, user, order.site_id)


async def covers_site(session: AsyncSession, user: User, site_id: int | None) -> bool:
    """Whether ``user``'s data scope covers ``site_id``: its site or one above it is among
    theirs (``scope_paths``: admins and HQ grants every site). A record of no site is no
    bureau's, so it is only for those who see every site."""
    paths = await scope_paths(session, user)
    if paths is None:
        return True
    site_path = (await directory.load(session)).site_path(site_id)
    return site_path is not None and any(site_path.startswith(p) for p in paths)


async def staffed_queues(session: AsyncSession, default_skills: Iterable[str] = ()) -> list[str]:
    """The hotline's queues: every queue a user has a skill for, and those of the default skills
    (what a seat with none of its own logs in to). Reports filter by these, and the wallboard
    shows them even while nobody is in them."""
    skills = await session.scalars(select(User.skills))
    return sorted({q for s in skills for q in (s or {})} | set(default_skills))


async def own_queues(
    session: AsyncSession, routing_queues: Iterable[str], default_skills: Iterable[str] = ()
) -> frozenset[str]:
    """The hotline's own queues: those its routing configuration has, and any a user has a skill
    for or the default skills name. The centre's totals (the wallboard's 合计, the queue report's)
    count only these, and only their abandoned calls are 未接来电 to call back: any other queue on
    the same Asterisk (another line's, a benchmark's) is not this centre's."""
    return hotline_queues(routing_queues, await staffed_queues(session, default_skills))


def hotline_queues(routing_queues: Iterable[str], staffed: Iterable[str]) -> frozenset[str]:
    """``own_queues`` from the staffed queues already read (``staffed_queues``)."""
    return frozenset(routing_queues) | frozenset(staffed)


async def names_by_staff_no(session: AsyncSession, staff_nos: Iterable[str]) -> dict[str, str]:
    """The names behind 工号 (agent ids): the wallboard shows each seat as 闫英平 1005."""
    wanted = {s for s in staff_nos if s}
    if not wanted:
        return {}
    rows = await session.execute(select(User.staff_no, User.name).where(User.staff_no.in_(wanted)))
    return {staff_no: name for staff_no, name in rows}
