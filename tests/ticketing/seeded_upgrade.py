"""What the seeded-workflow upgrade tests share: a database at an old revision with the seeded
故障报修 as it was then stored (by the system, or by an admin's import), the bodies stored before,
and the same database brought up to date, the bodies stored after, for the test to check that a
migration added the new seeded version (or left an admin's alone) and that new orders take it;
and the way down and a table's columns, for the migration tests that check them."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from alembic import command
from sqlalchemy import inspect, select

from tests.ticketing.conftest import later_columns_lent
from ticketing import create_order, db, submit_step
from ticketing import crews as register
from ticketing.models import Site, User, WorkflowDefinition
from ticketing.seed import seed_defaults
from ticketing.sites import create_site
from ticketing.users import create_user
from ticketing.workflow.store import import_definition

ADMIN = "9901"


def column_names(table: str) -> Callable[[Any], set[str]]:
    """For ``conn.run_sync``: the names of ``table``'s columns as the database has them now."""
    return lambda sync_conn: {column["name"] for column in inspect(sync_conn).get_columns(table)}


def downgrade(sync_conn, revision: str) -> None:
    """Alembic's downgrade to ``revision`` on ``sync_conn`` (``conn.run_sync(downgrade, rev)``
    inside the test's own transaction)."""
    cfg = db._alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.downgrade(cfg, revision)


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
    """The 广州 bureau (440100) with its agent 1001 and handler 5101, to register and dispatch an order."""
    gz = await create_site(s, "440100", "广州供电局", kind="bureau")
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
    # today's seeding code writes the columns later migrations add (a template's name): lent
    # while it runs, dropped before the upgrade under test
    async with later_columns_lent(engine):
        async with maker.begin() as s:
            await seed_defaults(s)  # the other workflows, the categories, a first 故障报修
            admin = await create_user(s, ADMIN, "管理员", "abc12345", roles=["admin"])
            await import_definition(s, seeded, actor=admin if by_admin else None)
            if also is not None:
                await also(s)
        return await bodies(maker)


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


@dataclasses.dataclass
class AtDispatch:
    """A crew and a fault order at 派工 on the upgraded database (users by 工号)."""

    users: dict[str, Any]
    crew: Any
    order: Any
    now: dt.datetime
    wall: str  # 派工时间 as typed: ``now`` at the site (UTC+8), to the minute


async def order_at_dispatch(s, crew: dict) -> AtDispatch:
    """``crew`` (its name and the rest, without its site) added to the register by ``ADMIN`` for
    广州, and a fault order 1001 registers for 广州, taken by 5101 (gz_staff's): at 派工."""
    users = {u.staff_no: u for u in await s.scalars(select(User))}
    gz = await s.scalar(select(Site).where(Site.code == "440100"))
    added = await register.create(s, users[ADMIN], {**crew, "site_id": gz.id})
    now = dt.datetime.now(dt.UTC)
    order = await create_order(
        s,
        users["1001"],
        workflow="fault_repair",
        site_id=gz.id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=now,
    )
    await submit_step(s, users["5101"], order, now=now)
    wall = now.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    return AtDispatch(users, added, order, now, wall)
