"""The console's doorway into ticketing: one short unit of work per request.

``unit_of_work`` opens a session, loads the acting user's row (ticketing's
functions take the ``User``), commits, and publishes the events ticketing
queued, only after the commit, so a page never hears about a change that
was rolled back.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import CurrentUser
from agent_ui.errors import UiError
from agent_ui.services import AppServices
from agent_ui.worklists import counts
from ticketing.customers import lookup_for_screen_pop
from ticketing.events import discard_pending, publish_pending
from ticketing.models import User


async def _signed_in(db: AsyncSession, current: CurrentUser) -> User:
    """The session's user, as long as the account is still what the session was given: an admin
    who disables it or changes its roles ends its sessions (they sign in again)."""
    user = await db.get(User, current.id)
    if user is None or not user.active or tuple(user.roles) != tuple(current.roles):
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


async def work_counts(services: AppServices, user: CurrentUser) -> dict[str, Any] | None:
    """The state bar's numbers: my open work, replies due, overdue, unhandled inbox events."""
    async with read_only(services, user) as (db, row):
        return await counts(db, row)


def pop_of(caller: str, found: dict[str, Any] | None) -> dict[str, Any]:
    """A screen-pop from a lookup's result (the bridge's or ours); an unknown number still pops."""
    pop: dict[str, Any] = {"caller": caller, "matches": [], "open_orders": [], "interactions": []}
    if found:
        pop.update(found)
    return pop


async def screen_pop(services: AppServices, caller: str) -> dict[str, Any]:
    """``ticketing.customers.lookup_for_screen_pop``, shaped by ``pop_of``."""
    async with services.sessionmaker() as db:
        return pop_of(caller, await lookup_for_screen_pop(db, caller))
