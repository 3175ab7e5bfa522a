"""The console's doorway into ticketing: one short unit of work per request.

``unit_of_work`` opens a session, loads the acting user's row (ticketing's
functions take the ``User``), commits, and publishes the events ticketing
queued, only after the commit, so a page never hears about a change that
was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import CurrentUser, password_stamp
from agent_ui.errors import UiError
from agent_ui.order_views import file_url
from agent_ui.services import AppServices
from agent_ui.worklists import counts
from ticketing.customers import lookup_for_screen_pop
from ticketing.events import discard_pending, publish_pending
from ticketing.models import User

logger = logging.getLogger(__name__)


async def _signed_in(db: AsyncSession, current: CurrentUser) -> User:
    """The session's user, as long as the account is still what the session was given: an admin
    who disables it, changes its roles or resets its password ends its sessions (they sign in
    again)."""
    user = await db.get(User, current.id)
    if (
        user is None
        or not user.active
        or tuple(user.roles) != tuple(current.roles)
        or password_stamp(user) != current.password_stamp
    ):
        raise UiError("auth.required")
    return user


@contextlib.asynccontextmanager
async def unit_of_work(
    services: AppServices, current: CurrentUser
) -> AsyncIterator[tuple[AsyncSession, User]]:
    async with services.sessionmaker() as db:
        user = await _signed_in(db, current)
        try:
            yield db, user
            await db.commit()
        except BaseException:
            await db.rollback()
            discard_pending(db)
            raise
        await publish_pending(db, services.bus)


@contextlib.asynccontextmanager
async def read_only(services: AppServices, current: CurrentUser) -> AsyncIterator[tuple[AsyncSession, User]]:
    async with services.sessionmaker() as db:
        user = await _signed_in(db, current)
        # closing (not rolling back) ends the transaction without expiring what was read
        yield db, user


#: the work counts still being read for a socket that closed meanwhile (kept until they finish)
_unawaited_reads: set[asyncio.Task[dict[str, Any] | None]] = set()


async def work_counts(services: AppServices, user: CurrentUser) -> dict[str, Any] | None:
    """The state bar's numbers: my open work, replies due, overdue, unhandled inbox events.

    A socket's writer reads them, and a socket that closes cancels its writer: a query cut short
    there never ends its transaction (on SQLite the write lock stays taken and every later write
    waits for "database is locked"; on PostgreSQL the connection stays idle in transaction). So
    the read runs to its end and its session closes, even when nobody waits for it any more."""
    read = asyncio.ensure_future(_read_counts(services, user))
    _unawaited_reads.add(read)
    read.add_done_callback(_unawaited_reads.discard)
    try:
        return await asyncio.shield(read)
    except asyncio.CancelledError:
        read.add_done_callback(_outcome_nobody_awaits)
        raise


def _outcome_nobody_awaits(read: asyncio.Task[dict[str, Any] | None]) -> None:
    """Retrieve the result of a read whose socket closed meanwhile. A refusal is expected there:
    an admin who disables the account (or resets its password) both ends its session, so the
    read is refused, and closes its socket. Anything else is logged, as asyncio would have."""
    if read.cancelled():
        return
    failure = read.exception()
    if failure is not None and not isinstance(failure, UiError):
        logger.error("work counts read for a closed socket failed", exc_info=failure)


async def _read_counts(services: AppServices, user: CurrentUser) -> dict[str, Any] | None:
    async with read_only(services, user) as (db, row):
        return await counts(db, row)


# What else an IVR path holds besides menu choices (``top:5``): the self-service results
# (ivr.selfservice's notes), the IVR's give-up, an overflow, and the console's transfers.
_NOTES = ("outage", "bill", "ticket", "report_fault", "callback", "limit", "overflow")
_TRANSFERS = ("blind", "attended", "conference")


def ivr_steps(flows: Any, path: Iterable[str]) -> list[dict[str, str]]:
    """A call's IVR path (``top:5``, ``bill:found``, ``blind:agent:1002`` …) in the terms the
    screen-pop words it in: a menu choice with its menu's title and where the choice led (from
    the IVR flows, ``ivr.IvrConfig``); the rest by kind. What the flows do not name stays raw."""
    menus: dict[str, Any] = {}
    for flow in getattr(flows, "flows", {}).values():
        for menu in flow.menus.values():
            menus.setdefault(menu.name, menu)
    steps: list[dict[str, str]] = []
    for item in path:
        item = str(item)
        head, _, rest = item.partition(":")
        menu = menus.get(head)
        if menu is not None and rest:
            steps.append(_choice(menu, rest, menus))
        elif head in _TRANSFERS:
            to, _, target = rest.partition(":")
            steps.append(
                {"kind": head, "to": to, "target": target} if target else {"kind": head, "target": to}
            )
        elif head in _NOTES:
            steps.append({"kind": head, "value": rest})
        else:
            steps.append({"kind": "raw", "value": item})
    return steps


def _choice(menu: Any, key: str, menus: dict[str, Any]) -> dict[str, str]:
    """``key`` pressed in ``menu`` (or ``timeout`` / ``invalid``) and where it led."""
    if key in ("timeout", "invalid"):
        step = menu.on_timeout if key == "timeout" else menu.on_invalid
    else:
        step = menu.choices.get(key)
    choice = {"kind": "menu", "menu": menu.label, "key": key}
    if step is not None:
        choice["to"] = step.kind
        choice["target"] = menus[step.name].label if step.kind == "menu" and step.name in menus else step.name
    return choice


def pop_of(caller: str, found: dict[str, Any] | None) -> dict[str, Any]:
    """A screen-pop from a lookup's result (the bridge's or ours); an unknown number still pops."""
    pop: dict[str, Any] = {"caller": caller, "matches": [], "open_orders": [], "interactions": []}
    if found:
        pop.update(found)
    # a recorded call's line plays its recording, by the order page's address for it
    pop["interactions"] = [
        {**i, "media_url": file_url("recording", i["recording"]) if i.get("recording") else None}
        for i in pop["interactions"]
    ]
    return pop


async def screen_pop(services: AppServices, caller: str) -> dict[str, Any]:
    """``ticketing.customers.lookup_for_screen_pop``, shaped by ``pop_of``."""
    async with services.sessionmaker() as db:
        return pop_of(caller, await lookup_for_screen_pop(db, caller))
