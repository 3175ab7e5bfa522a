"""Orders already waiting at a step with its own calendar get that step's deadline.

A step's ``sla.calendar`` (故障报修's 到达现场: 24x7) was ignored until 8846a07: its due time,
reminders, overrun and automatic action were computed on the workflow's calendar (business
hours), so a crew dispatched on Friday at 17:45 was due on Monday at 10:30 instead of 19:45 that
evening. Orders that entered such a step before the fix kept those timers. Here each open order
waiting at a step whose own calendar differs from its workflow's has its pending timers of that
step, and its due time, computed again from when it entered the step, on the step's calendar.

Only what the old code wrote is changed: a timer (or due time) is recomputed when it is exactly
what the workflow's calendar gives for one of the step's limits (a reminder's ``after``, the
limit itself for the overrun and the action) from ``node_entered_at``. Timers written since the
fix, a coordination order's limit taken anew at its conversion, a deadline computed for a site
the order has since left, fired and cancelled timers: none of them matches, and each is left as
it is. Running it again changes nothing. A deadline the correction puts in the past is overdue
at once: the SLA worker's next pass sends its overrun alert, as it would have then.

The calendars are built as ``ticketing.sla.calendar_for`` builds them (the site's
``sites.calendar`` with the Chinese holidays, else the Chinese business default; 24x7 round the
clock). Not undone on downgrade: the older code keeps whatever deadlines it finds.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

from cti.calendar import WorkCalendar
from ticketing.workflow.conditions import parse_duration

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CALENDARS = ("business", "24x7")

_WORKFLOWS = sa.table("workflow_definitions", sa.column("id", sa.Integer), sa.column("body", sa.JSON))
_SITES = sa.table(
    "sites", sa.column("id", sa.Integer), sa.column("timezone", sa.String), sa.column("calendar", sa.JSON)
)
_ORDERS = sa.table(
    "work_orders",
    sa.column("id", sa.Integer),
    sa.column("workflow_id", sa.Integer),
    sa.column("current_node", sa.String),
    sa.column("site_id", sa.Integer),
    sa.column("form", sa.JSON),
    sa.column("node_entered_at", sa.DateTime),
    sa.column("due_at", sa.DateTime),
    sa.column("is_open", sa.Boolean),
)
_TIMERS = sa.table(
    "timers",
    sa.column("id", sa.Integer),
    sa.column("order_id", sa.Integer),
    sa.column("node", sa.String),
    sa.column("kind", sa.String),
    sa.column("due_at", sa.DateTime),
    sa.column("state", sa.String),
    sa.column("payload", sa.JSON),
)


def _own_calendar_steps(body: Any) -> dict[str, Mapping[str, Any]]:
    """The steps (node id -> its sla) whose own valid calendar differs from the workflow's."""
    if not isinstance(body, Mapping):
        return {}
    workflow = str(body.get("calendar") or "business")
    steps = {}
    for node in body.get("nodes") or ():
        if not isinstance(node, Mapping) or not isinstance(node.get("sla"), Mapping):
            continue
        own = str(node["sla"].get("calendar") or "")
        if own in CALENDARS and own != workflow:
            steps[str(node.get("id"))] = node["sla"]
    return steps


def _calendar(name: str, site: tuple[str, Any] | None) -> WorkCalendar:
    if name == "24x7":
        return WorkCalendar.always_open()
    if site is not None and site[1]:
        return WorkCalendar.from_dict({"include_holidays": "cn", "timezone": site[0], **site[1]})
    return WorkCalendar.china()


def _limit(sla: Mapping[str, Any], form: Mapping[str, Any]) -> str | None:
    by = sla.get("limit_by")
    if isinstance(by, Mapping):
        chosen = (by.get("values") or {}).get(form.get(by.get("field")))
        if chosen:
            return str(chosen)
    return str(sla["limit"]) if sla.get("limit") else None


def _due(calendar: WorkCalendar, entered: dt.datetime, text: str) -> dt.datetime:
    days, rest = parse_duration(text)
    return calendar.add_working_time(entered, calendar.working_days(days) + rest)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _stored(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)  # as the models store it: naive UTC


def upgrade() -> None:
    conn = op.get_bind()
    steps: dict[int, dict[str, Mapping[str, Any]]] = {}
    workflow_calendar: dict[int, str] = {}
    for workflow_id, body in conn.execute(sa.select(_WORKFLOWS.c.id, _WORKFLOWS.c.body)).all():
        own = _own_calendar_steps(body)
        if own:
            steps[workflow_id] = own
            workflow_calendar[workflow_id] = str(body.get("calendar") or "business")
    if not steps:
        return
    sites = {
        site_id: (timezone or "Asia/Shanghai", calendar)
        for site_id, timezone, calendar in conn.execute(
            sa.select(_SITES.c.id, _SITES.c.timezone, _SITES.c.calendar)
        ).all()
    }
    orders = conn.execute(
        sa.select(
            _ORDERS.c.id,
            _ORDERS.c.workflow_id,
            _ORDERS.c.current_node,
            _ORDERS.c.site_id,
            _ORDERS.c.form,
            _ORDERS.c.node_entered_at,
            _ORDERS.c.due_at,
        ).where(_ORDERS.c.is_open.is_(True), _ORDERS.c.workflow_id.in_(list(steps)))
    ).all()
    for order_id, workflow_id, node, site_id, form, entered, due_at in orders:
        sla = steps[workflow_id].get(node)
        if sla is None or entered is None:
            continue
        entered = _utc(entered)
        site = sites.get(site_id) if site_id is not None else None
        try:
            old = _calendar(workflow_calendar[workflow_id], site)
            new = _calendar(str(sla["calendar"]), site)
            limit = _limit(sla, form if isinstance(form, Mapping) else {})
            # each limit of the step: the due time the old code gave it -> the one on the step's calendar
            afters = [str(r.get("after")) for r in sla.get("reminders") or () if isinstance(r, Mapping)]
            reminders = {_due(old, entered, a): _due(new, entered, a) for a in afters if a}
            at_limit = (_due(old, entered, limit), _due(new, entered, limit)) if limit else None
        except ValueError:  # a duration or calendar the engine could not have used either
            continue
        timers = conn.execute(
            sa.select(_TIMERS.c.id, _TIMERS.c.kind, _TIMERS.c.due_at, _TIMERS.c.payload).where(
                _TIMERS.c.order_id == order_id, _TIMERS.c.node == node, _TIMERS.c.state == "pending"
            )
        ).all()
        for timer_id, kind, timer_due, payload in timers:
            timer_due = _utc(timer_due)
            reminder = kind == "remind" and (payload or {}).get("kind") == "reminder"
            if reminder:
                corrected = reminders.get(timer_due)
            else:
                corrected = at_limit[1] if at_limit and timer_due == at_limit[0] else None
            if corrected is not None and corrected != timer_due:
                conn.execute(
                    _TIMERS.update().where(_TIMERS.c.id == timer_id).values(due_at=_stored(corrected))
                )
        if at_limit and _utc(due_at) == at_limit[0] and at_limit[1] != at_limit[0]:
            conn.execute(_ORDERS.update().where(_ORDERS.c.id == order_id).values(due_at=_stored(at_limit[1])))


def downgrade() -> None:
    pass
