"""The lists agents live in: 我未完成任务, 待回复工单, 超期工单, 到达现场超期工单, by type, and search.

Server-side filtering, sorting and paging on indexed columns, always inside the
user's data scope (``ticketing.users.order_scope_clause``), so a page of 20 out
of 100,000 orders costs two indexed queries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.bodies import day_start
from agent_ui.errors import UiError
from agent_ui.order_views import order_summary, subcategory_names
from cti.phones import InvalidPhoneNumber, normalize
from ticketing.contractors import dispatched_to
from ticketing.models import (
    Assignment,
    Category,
    Interaction,
    OrderLink,
    User,
    WorkflowDefinition,
    WorkOrder,
    utcnow,
)
from ticketing.surveys import COMPLAINT_LINK
from ticketing.users import order_scope_clause
from ticketing.workflow.actions import stranded_clause
from ticketing.workflow.definition import DEFAULT_PATTERN

LISTS = ("mine", "to_reply", "overdue", "arrival_overdue", "stranded", "search")
SORTS = {
    "created_at": WorkOrder.created_at,
    "number": WorkOrder.number,
    "status": WorkOrder.status,
    "due_at": WorkOrder.due_at,
    "category": WorkOrder.category,
    "updated_at": WorkOrder.updated_at,
}
#: sorts on a column an order may leave empty (no 时限): those orders go last both ways
NULLABLE_SORTS = frozenset(name for name, column in SORTS.items() if column.nullable)
#: nodes where the customer is waiting for our reply (回复客户)
REPLY_NODES = ("reply",)
#: the crew-arrival step (到达现场): its SLA runs from dispatch until the crew reports arrival
ARRIVAL_NODES = ("onsite",)


@dataclasses.dataclass(frozen=True)
class ListQuery:
    name: str = "search"
    category: str = ""
    status: str = ""
    number: str = ""
    caller: str = ""
    receiver: str = ""  # 工号 of the agent who received the order
    contractor: int | None = None  # dispatched to this contractor (外委单位)
    open_only: bool = False
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    sort: str = "created_at"
    descending: bool = True
    page: int = 1
    size: int = 20


def _mine(user: User) -> ColumnElement[bool]:
    """我未完成任务: open orders waiting for the user, and open orders the user received (受理,
    created at intake) until they are done. A complaint the user's visit-back opened is created
    by them but not received: it goes on to 报事审核, its reviewers' work, and is the user's
    only while it waits for them (at 登记, when nobody may review it); they find it by 受理人."""
    pending_for_me = exists().where(
        Assignment.order_id == WorkOrder.id, Assignment.user_id == user.id, Assignment.state == "pending"
    )
    opened_by_visit_back = exists().where(
        OrderLink.to_order_id == WorkOrder.id, OrderLink.kind == COMPLAINT_LINK
    )
    received = and_(WorkOrder.created_by_id == user.id, ~opened_by_visit_back)
    return and_(WorkOrder.is_open.is_(True), or_(pending_for_me, received))


def _to_reply(user: User) -> ColumnElement[bool]:
    return and_(WorkOrder.is_open.is_(True), WorkOrder.current_node.in_(REPLY_NODES))


def _overdue(now: dt.datetime) -> ColumnElement[bool]:
    return and_(WorkOrder.is_open.is_(True), WorkOrder.due_at.is_not(None), WorkOrder.due_at < now)


def _arrival_overdue(now: dt.datetime) -> ColumnElement[bool]:
    # the order's deadline is its current step's, so at the arrival step it is the crew's
    return and_(_overdue(now), WorkOrder.current_node.in_(ARRIVAL_NODES))


def _starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix`` (a whole number is its own prefix): a range on the
    column's index (ix_work_orders_caller, the number's unique index) on SQLite and PostgreSQL
    alike, whatever the collation (the bound is the prefix with its last character's
    successor: ZX2026 → ZX2027), and LIKE to keep exactly the rows in it that begin so."""
    bound = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < bound, column.startswith(prefix, autoescape=True))


def _phone_prefix(raw: str) -> str:
    """联系电话 as stored (``cti.phones.normalize``: +86 138-0013-8000 → 13800138000), or its
    digits when it is only the start of a number (138 0013)."""
    text = raw.strip()
    try:
        return normalize(text)
    except InvalidPhoneNumber:
        return text


def _digits(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


#: 尾号 (a phone's last digits, a 工单号's sequence) cannot use an index on the column: it is
#: looked for among the orders received in at most this many days (the search's 受理日期 range,
#: its last days when longer, or the last days up to now), found on ix_work_orders_created, so a
#: search costs the same with 100,000 orders as with 1,000
SUFFIX_DAYS = 92
#: the shortest 尾号 looked for: fewer digits would match a good part of the window
PHONE_TAIL_DIGITS = 4
NUMBER_TAIL_DIGITS = 3


def _suffix_window(q: ListQuery, tz: str, now: dt.datetime) -> ColumnElement[bool]:
    until = day_start(q.received_to + dt.timedelta(days=1), tz) if q.received_to else now
    since = until - dt.timedelta(days=SUFFIX_DAYS)
    if q.received_from:
        since = max(since, day_start(q.received_from, tz))
    return and_(WorkOrder.created_at >= since, WorkOrder.created_at < until)


def _ends_with(column: Any, tail: str, window: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(window, column.endswith(tail, autoescape=True))


async def number_leads(db: AsyncSession) -> list[str]:
    """The literal start of every number pattern orders are or were numbered by (GZ of
    ``GZ{yyyyMMdd}{seq:05}``): a 工单号 typed without it (20261127000123) is looked for after each,
    on the number's unique index."""
    patterns = {
        str((body or {}).get("number_pattern", DEFAULT_PATTERN))
        for body in await db.scalars(select(WorkflowDefinition.body))
    }
    patterns |= set(await db.scalars(select(Category.number_pattern).where(Category.number_pattern != "")))
    return sorted({p.split("{", 1)[0] for p in patterns} - {""})


async def conditions(db: AsyncSession, user: User, q: ListQuery, tz: str) -> list[ColumnElement[bool]]:
    now = utcnow()
    where: list[ColumnElement[bool]] = [await order_scope_clause(db, user)]
    if q.name == "mine":
        where.append(_mine(user))
    elif q.name == "to_reply":
        where.append(_to_reply(user))
    elif q.name == "overdue":
        where.append(_overdue(now))
    elif q.name == "arrival_overdue":
        where.append(_arrival_overdue(now))
    elif q.name == "stranded":
        where.append(stranded_clause())  # 待改派, as the order page says it
    if q.category:
        where.append(WorkOrder.category == q.category)
    if q.status:
        where.append(WorkOrder.status == q.status)  # picked from the workflows' statuses
    if q.number.strip():
        # 工单号 as typed or in capitals (the patterns' letters: zx2026… finds ZX2026…), without
        # its letters (20261127… after each pattern's GZ, ZX…), and by its last digits (尾号)
        term = q.number.strip()
        starts = dict.fromkeys((term, term.upper()))
        if term.isdigit():
            starts.update(dict.fromkeys(lead + term for lead in await number_leads(db)))
        found = [_starts_with(WorkOrder.number, t) for t in starts]
        if term.isdigit() and len(term) >= NUMBER_TAIL_DIGITS:
            found.append(_ends_with(WorkOrder.number, term, _suffix_window(q, tz, now)))
        where.append(or_(*found))
    if q.caller.strip():
        # 联系电话 from its start, or its 尾号 (0360: the last digits the caller says)
        found = [_starts_with(WorkOrder.caller_number, _phone_prefix(q.caller))]
        tail = _digits(q.caller)
        if len(tail) >= PHONE_TAIL_DIGITS and tail == q.caller.strip():
            found.append(_ends_with(WorkOrder.caller_number, tail, _suffix_window(q, tz, now)))
        where.append(or_(*found))
    if q.open_only:
        where.append(WorkOrder.is_open.is_(True))
    if q.receiver:
        where.append(
            WorkOrder.created_by_id == select(User.id).where(User.staff_no == q.receiver).scalar_subquery()
        )
    if q.contractor is not None:
        where.append(dispatched_to([q.contractor]))
    if q.received_from:
        where.append(WorkOrder.created_at >= day_start(q.received_from, tz))
    if q.received_to:
        where.append(WorkOrder.created_at < day_start(q.received_to + dt.timedelta(days=1), tz))
    return where


async def run_list(db: AsyncSession, user: User, q: ListQuery, tz: str) -> dict[str, Any]:
    if q.name not in LISTS:
        raise UiError("not_found")
    if q.sort not in SORTS:
        raise UiError("request.invalid", f"sort must be one of {', '.join(SORTS)}", field="sort")
    where = await conditions(db, user, q, tz)
    total = await db.scalar(select(func.count()).select_from(WorkOrder).where(*where)) or 0
    column = SORTS[q.sort]
    ordered = column.desc() if q.descending else column.asc()
    if q.sort in NULLABLE_SORTS:
        # an order with no deadline is the least urgent either way round, on both databases
        # (SQLite puts NULLs first ascending, PostgreSQL last): NULLS LAST said, not left to each
        ordered = ordered.nulls_last()
    order_by = [ordered, WorkOrder.id.desc()]
    rows = list(
        await db.scalars(
            select(WorkOrder).where(*where).order_by(*order_by).offset((q.page - 1) * q.size).limit(q.size)
        )
    )
    now = utcnow()
    names = await subcategory_names(db, rows)
    return {
        "list": q.name,
        "items": [order_summary(o, now, names.get(o.id, "")) for o in rows],
        "total": total,
        "page": q.page,
        "size": q.size,
        "sort": q.sort,
        "dir": "desc" if q.descending else "asc",
    }


async def counts(db: AsyncSession, user: User) -> dict[str, int]:
    scope = await order_scope_clause(db, user)
    now = utcnow()

    async def count(*where: ColumnElement[bool]) -> int:
        return await db.scalar(select(func.count()).select_from(WorkOrder).where(scope, *where)) or 0

    inbox = await db.scalar(
        select(func.count())
        .select_from(Interaction)
        .where(Interaction.assigned_to_id == user.id, Interaction.status != "handled")
    )
    return {
        "mine": await count(_mine(user)),
        "to_reply": await count(_to_reply(user)),
        "overdue": await count(_overdue(now)),
        "arrival_overdue": await count(_arrival_overdue(now)),
        "inbox": inbox or 0,
    }
