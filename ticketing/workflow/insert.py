"""A new order and the rows that come with it, in a handful of Core statements.

Creating an order writes the order, its assignments, opinions, audit rows and SLA timers.
Through the ORM that was a unit-of-work flush per kind of object plus reads of what had just
been written. Here the order is numbered and inserted with RETURNING, and each kind of row
is one multi-row INSERT. The ``WorkOrder`` handed back is attached to the session as if it
had been loaded, so later steps in the same transaction work on it like on any other order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from ticketing.models import Assignment, AuditLog, Comment, Timer, WorkOrder
from ticketing.numbering import next_number

# Every column but the id: a WorkOrder attached without a reload must have them all loaded.
_ORDER_COLUMNS = tuple(c.key for c in WorkOrder.__table__.columns if c.key != "id")
_INSERT_ORDER = insert(WorkOrder.__table__).returning(WorkOrder.__table__.c.id)
_INSERT = {
    "assignments": insert(Assignment.__table__),
    "comments": insert(Comment.__table__),
    "audits": insert(AuditLog.__table__),
    "timers": insert(Timer.__table__),
}


@dataclasses.dataclass
class OrderRows:
    """The rows a new order comes with, without their ``order_id`` (it is not known yet).
    Rows of one kind must have the same keys (they go out as one statement)."""

    assignments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    comments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    audits: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # entity_id is filled in
    timers: list[dict[str, Any]] = dataclasses.field(default_factory=list)


async def insert_order(
    session: AsyncSession, order: WorkOrder, number_pattern: str, rows: OrderRows, now: dt.datetime
) -> WorkOrder:
    """Number ``order`` (transient, every column but id and number set), insert it and its
    rows, and attach it to the session as persistent."""
    order.number = await next_number(session, number_pattern, now=now)
    values = {key: getattr(order, key) for key in _ORDER_COLUMNS}
    order.id = (await session.execute(_INSERT_ORDER, values)).scalar_one()
    for kind, statement in _INSERT.items():
        batch = getattr(rows, kind)
        if batch:
            key, value = ("entity_id", str(order.id)) if kind == "audits" else ("order_id", order.id)
            await session.execute(statement, [{**row, key: value} for row in batch])
    make_transient_to_detached(order)
    session.add(order)
    return order
