"""What the product put on a user's screen, kept for them: the header's 提醒.

A pop-up fades; its ``notifications`` row (channel ``screen``) stays unread until its user
reads it here. Reminders, overrun alerts, 督办 and CCs come from ``sla.notify_users``; an order
routed to a handler (``record_routed``) is one too, and an order sent back (退单) to its creator
says so, by whom and why (``returned_message``). Everything is scoped to the reading user:
nobody reads, counts or marks another's rows; and the list and its unread count hold only the
rows whose order the user may open (the data scope ``can_access`` checks when opening one):
an order that moved to another bureau, or a step named to someone outside its scope, would
otherwise be a row that opens on a refusal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ticketing import directory, sms_status
from ticketing.events import ScreenAlertsRead, queue_event
from ticketing.models import Notification, OrderAlert, WorkOrder, utcnow
from ticketing.users import orders_within

if TYPE_CHECKING:  # the workflow package builds on this module
    from ticketing.workflow.definition import Node

#: urgencies that stay on screen until acknowledged (not a toast that fades)
STICKY = ("urgent", "high")
LIMIT = 50


def _mine(user_id: int) -> Any:
    return (Notification.user_id == user_id) & (Notification.channel == "screen")


async def _openable(session: AsyncSession, user_id: int) -> Any:
    """The user's rows they may follow: about no order, or about one within their data scope."""
    paths = (await directory.load(session)).scope_paths(user_id)
    return _mine(user_id) & (Notification.order_id.is_(None) | orders_within(paths))


async def who_may_open(session: AsyncSession, order_id: int, staff_nos: Iterable[str]) -> set[str]:
    """Those of these 工号 who may open the order (``can_access``): the live pop-up's audience."""
    site_id = await session.scalar(select(WorkOrder.site_id).where(WorkOrder.id == order_id))
    known = await directory.load(session)
    people = (known.active_by_staff_no.get(s) for s in staff_nos)
    return {p.staff_no for p in people if p is not None and known.covers(p.id, site_id)}


async def shut_out(session: AsyncSession, order_id: int, site_id: int | None) -> list[str]:
    """The 工号 of the users with 提醒 about the order who may not open it at ``site_id``: an order
    moved there takes its rows off their list and count (``_openable``), and the rows their tabs
    show already are withdrawn (``ScreenAlertsWithdrawn``)."""
    user_ids = await session.scalars(
        select(Notification.user_id)
        .where(
            Notification.order_id == order_id,
            Notification.channel == "screen",
            Notification.user_id.is_not(None),
        )
        .distinct()
    )
    known = await directory.load(session)
    people = (known.people.get(user_id) for user_id in user_ids)
    return sorted(p.staff_no for p in people if p is not None and not known.covers(p.id, site_id))


async def unread_count(session: AsyncSession, user_id: int) -> int:
    """Every unread row the list would show, not only the newest ``LIMIT``."""
    query = (
        select(func.count())
        .select_from(Notification)
        .outerjoin(WorkOrder, WorkOrder.id == Notification.order_id)
        .where(await _openable(session, user_id), Notification.read_at.is_(None))
    )
    return int(await session.scalar(query) or 0)


async def recent(
    session: AsyncSession, user_id: int, *, limit: int = LIMIT, unread_only: bool = False
) -> list[dict[str, Any]]:
    """The user's screen notifications, newest first, with the order each is about (and the
    message, an SMS that did not arrive: ``about``)."""
    said = aliased(Notification)
    query = (
        select(Notification, WorkOrder.number, WorkOrder.status, said)
        .outerjoin(WorkOrder, WorkOrder.id == Notification.order_id)
        .outerjoin(said, said.id == Notification.about_id)
        .where(await _openable(session, user_id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [view(row, number, status, about) for row, number, status, about in await session.execute(query)]


def view(
    row: Notification, number: str | None = None, status: str | None = None, about: Notification | None = None
) -> dict[str, Any]:
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
        # what the console words the message from in the reader's language (``message`` is the
        # Chinese it was stored with: a row from before, or its SMS purged since)
        "about": about_view(about),
    }


def about_view(about: Notification | None) -> dict[str, Any] | None:
    """The SMS a ``sms_failed`` 提醒 is about (``sms_status.about``); None for other rows."""
    if about is None or about.channel != "sms" or about.delivery not in ("failed", "expired"):
        return None
    return sms_status.about(about)


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


#: screen rows about an order that its 处理过程 lists (``agent_ui.order_views.timeline``): not an
#: order routed to a handler (its status change says it) nor one sent back (its 退单 opinion)
NOT_IN_HISTORY = ("routed", "returned")
#: what an order's 处理过程 keeps of a purged screen row (``OrderAlert``: the same columns)
_KEPT = ("id", "order_id", "channel", "recipient", "user_id", "urgency", "subject", "body", "state", "kind")


async def purge_read(session: AsyncSession, before: dt.datetime) -> int:
    """Delete the screen rows read and made before ``before`` (the notices' retention, run by
    ``sla.SlaWorker``): unread ones wait for their user however old, and the outbox's SMS,
    email and fax rows are the record of what was sent. The 提醒 about an order its 处理过程
    lists are copied to ``order_alerts`` first, in the same statement's transaction: the
    order's history keeps what it showed. The number deleted."""
    purged = (
        Notification.channel == "screen",
        Notification.read_at.is_not(None),
        Notification.created_at < before,
    )
    columns = [*_KEPT, "created_at", "read_at"]
    await session.execute(
        insert(OrderAlert).from_select(
            columns,
            select(*(getattr(Notification, c) for c in columns)).where(
                *purged,
                Notification.order_id.is_not(None),
                Notification.kind.not_in(NOT_IN_HISTORY),
            ),
        )
    )
    result = await session.execute(
        delete(Notification).where(*purged).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """What reaching someone's desk tells them: its ``kind`` (what the list calls it) and words,
    and the ``step`` it reached by name (派工) where it is about one: the pop-up names it."""

    kind: str
    message: str
    step: str = ""


def routed(step: Node) -> Notice:
    """An order reached a handler at ``step``: named by the step that is now
    theirs (派工), not the order's status, which may be the step before's name (故障报修's 派工
    is 接收确认); the status follows, marked as such, when it is not the step's name."""
    name = step.name or step.id
    status = f"（状态：{step.status}）" if step.status and step.status != name else ""
    return Notice("routed", f"新工单已派给您：{name}{status}", step=name)


def voicemail_report(seconds: float) -> Notice:
    """An IVR 故障报修留言 the system made a fault order of, at its 受理 on the agent's desk: new
    work, theirs to listen to and complete (``Intake.open_fault_report``)."""
    return Notice("routed", f"客户语音报修留言（{seconds:.0f} 秒）已生成工单，请回听录音、补全故障信息后提交")


def returned(step: str, sent_back_as: str, by: Any, opinion: str) -> Notice:
    """An order sent back to its creator (退单 at 接收确认): not a new order to them, but theirs to
    correct, so it says from which step, by whom and why."""
    return Notice("returned", f"工单在{step}被{by.name}（{by.staff_no}）{sent_back_as}，意见：{opinion}")


def _subject(kind: str, number: str, title: str | None) -> str:
    """The Chinese subject of a notice to staff, as the SLA ones (``sla.subject``):
    ``【新工单】GZ20261127000001 天河路1号停电``, 【退单】 for one sent back."""
    from ticketing.sla import SUBJECTS, headline  # sla builds on this module

    return headline(SUBJECTS.get(kind, "工单提醒"), number, title)


def new_order_subject(title: str | None) -> Callable[[str], str]:
    """A new order's routed rows' subject from its number, taken as the rows go in with it
    (``workflow.insert.OrderRows.notice_subject``)."""
    return functools.partial(_subject, "routed", title=title)


def routed_rows(
    people: Iterable[Any], notice: Notice, now: dt.datetime, subject: str = ""
) -> list[dict[str, Any]]:
    """The screen rows of an order reaching these people's desk (without ``order_id``: a new
    order's rows go in with it, ``workflow.insert``, which gives them their ``subject`` once
    the order's number is taken: ``new_order_subject``)."""
    return [
        {
            "channel": "screen",
            "recipient": person.staff_no,
            "user_id": person.id,
            "urgency": "normal",
            "subject": subject,
            "body": notice.message,
            "state": "sent",
            "sent_at": now,
            "kind": notice.kind,
            "created_at": now,
        }
        for person in people
        if getattr(person, "id", None) is not None
    ]


def record_routed(session: AsyncSession, order: WorkOrder, people: Iterable[Any], notice: Notice) -> None:
    """An order reached these people's desk (its next step, an automatic 改派, a 退单): a screen
    row each, besides the pop-up, so that 有新工单 is still there when they look."""
    heading = _subject(notice.kind, order.number, order.title)
    for row in routed_rows(people, notice, utcnow(), heading):
        session.add(Notification(order_id=order.id, **row))
