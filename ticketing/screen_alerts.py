"""What the product put on a user's screen, kept for them: the header's 提醒.

A pop-up fades; its ``notifications`` row (channel ``screen``) stays unread until its user
reads it here. Reminders, overrun alerts, 督办 and CCs come from ``sla.notify_users``; an order
routed to a handler (``record_routed``) is one too. Everything is scoped to the reading user:
nobody reads, counts or marks another's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.events import ScreenAlertsRead, queue_event
from ticketing.models import Notification, WorkOrder, utcnow

#: urgencies that stay on screen until acknowledged (not a toast that fades)
STICKY = ("urgent", "high")
LIMIT = 50


def _mine(user_id: int) -> Any:
    return (Notification.user_id == user_id) & (Notification.channel == "screen")


async def unread_count(session: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(_mine(user_id), Notification.read_at.is_(None))
    return int(await session.scalar(query) or 0)


async def recent(
    session: AsyncSession, user_id: int, *, limit: int = LIMIT, unread_only: bool = False
) -> list[dict[str, Any]]:
    """The user's screen notifications, newest first, with the order each is about."""
    query = (
        select(Notification, WorkOrder.number, WorkOrder.status)
        .outerjoin(WorkOrder, WorkOrder.id == Notification.order_id)
        .where(_mine(user_id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [view(row, number, status) for row, number, status in await session.execute(query)]


def view(row: Notification, number: str | None = None, status: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind or "alert",  # a row from before kinds were kept, not read from its words
        "urgency": row.urgency,
        "sticky": row.urgency in STICKY,
        "message": row.body,
        "order_id": row.order_id,
        "number": number or "",
        "status": status or "",
        "at": _iso(row.created_at),
        "read_at": _iso(row.read_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


async def unread_about(session: AsyncSession, user_id: int, order_id: int) -> list[int]:
    """The ids of the user's unread rows about this order (read when they open it)."""
    query = select(Notification.id).where(
        _mine(user_id), Notification.read_at.is_(None), Notification.order_id == order_id
    )
    return list(await session.scalars(query))


async def mark_read(
    session: AsyncSession, user_id: int, staff_no: str, ids: Iterable[int] | None
) -> dict[str, Any]:
    """Mark the user's own rows read (``ids`` None: all of them). Rows of others, or unknown
    ids, are left alone: the answer lists the ids that were marked. Queues ``ScreenAlertsRead``."""
    now = utcnow()
    where = [_mine(user_id), Notification.read_at.is_(None)]
    wanted = None if ids is None else sorted({int(i) for i in ids})
    if wanted is not None:
        if not wanted:
            return {"ids": [], "unread": await unread_count(session, user_id)}
        where.append(Notification.id.in_(wanted))
    marked = list(await session.scalars(select(Notification.id).where(*where)))
    if marked:
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(marked))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
    unread = await unread_count(session, user_id)
    queue_event(
        session, ScreenAlertsRead(staff_no=staff_no, ids=tuple(marked), every=wanted is None, unread=unread)
    )
    return {"ids": marked, "unread": unread}


def routed_rows(people: Iterable[Any], status: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The screen rows of an order reaching these people's desk (without ``order_id``: a new
    order's rows go in with it, ``workflow.insert``)."""
    return [
        {
            "channel": "screen",
            "recipient": person.staff_no,
            "user_id": person.id,
            "urgency": "normal",
            "subject": "[normal]",
            "body": f"新工单已派给你（{status}）",
            "state": "sent",
            "sent_at": now,
            "kind": "routed",
            "created_at": now,
        }
        for person in people
        if getattr(person, "id", None) is not None
    ]


def record_routed(session: AsyncSession, order: WorkOrder, people: Iterable[Any], status: str) -> None:
    """An order reached these people's desk (its next step, an automatic 改派): a screen row
    each, besides the pop-up, so that 有新工单 is still there when they look."""
    now = utcnow()
    for row in routed_rows(people, status, now):
        session.add(Notification(order_id=order.id, **row))
