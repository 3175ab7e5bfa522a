"""What the seeded-workflow upgrade tests share: a database at an old revision with the seeded
故障报修 as it was then stored (by the system, or by an admin's import), the bodies stored before,
and the same database brought up to date, the bodies stored after, for the test to check that a
migration added the new seeded version (or left an admin's alone) and that new orders take it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import select

from ticketing import db
from ticketing.models import WorkflowDefinition
from ticketing.seed import seed_defaults
from ticketing.sites import create_site
from ticketing.users import create_user
from ticketing.workflow.store import import_definition

ADMIN = "9901"


async def bodies(maker, key: str = "fault_repair") -> list[dict]:
    """The stored versions of workflow ``key``, oldest first."""
    async with maker() as s:
        rows = await s.scalars(
            select(WorkflowDefinition)
            .where(WorkflowDefinition.key == key)
            .order_by(WorkflowDefinition.version)
        )
        return [r.body for r in rows]


async def gz_staff(s) -> None:
    """The GZ bureau with its agent 1001 and handler 5101, to register and dispatch an order."""
    gz = await create_site(s, "GZ", "广州供电局", kind="bureau")
    await create_user(s, "1001", "坐席", "abc12345", roles=["agent"], site_id=gz.id)
    await create_user(s, "5101", "抢修", "abc12345", roles=["handler"], site_id=gz.id)


async def stored_before(
    url: str,
    revision: str,
    seeded: dict,
    *,
    by_admin: bool,
    also: Callable[[Any], Awaitable[None]] | None = None,
) -> list[dict]:
    """The database at ``url`` migrated to ``revision`` with the defaults seeded, the admin
    ``ADMIN``, and ``seeded`` (故障报修 as the seed had it then) stored as its newest version: an
    admin's import when ``by_admin``, else the system's; ``also`` adds rows in that transaction.
    The versions stored."""
    await db.migrate(url, revision)
    engine = db.create_engine(url)
    maker = db.sessionmaker(engine)
    try:
        async with maker.begin() as s:
            await seed_defaults(s)  # the other workflows, the categories, a first 故障报修
            admin = await create_user(s, ADMIN, "管理员", "abc12345", roles=["admin"])
            await import_definition(s, seeded, actor=admin if by_admin else None)
            if also is not None:
                await also(s)
        return await bodies(maker)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def upgraded(url: str) -> AsyncIterator[tuple[Any, list[dict]]]:
    """The database at ``url`` brought up to date: a sessionmaker on it and 故障报修's versions
    stored after; the engine is disposed after the block."""
    await db.migrate(url)
    engine = db.create_engine(url)
    maker = db.sessionmaker(engine)
    try:
        yield maker, await bodies(maker)
    finally:
        await engine.dispose()
