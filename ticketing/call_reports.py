"""Call, queue-interval and agent reports (DOMAIN §8, §10) on the stored call records.

The data: ``interactions`` rows of kind "call" (written by ``ticketing.calls.CallLinker``;
``payload`` carries queue, outcome, queued_at, answered_at, hold_seconds) and
``agent_state_intervals`` (``ticketing.agent_states``). Definitions, as the wallboard's:

* offered: calls that entered the queue, less short abandons (hung up within
  ``short_abandon`` seconds of queueing: a misdial, not a lost customer);
* service level: answered within ``threshold`` seconds of queueing ÷ offered;
* ASA: mean wait of the answered calls;
* AHT: talk + hold + after-call work, averaged over the answered calls (the call's
  ACW is the agent's after-call-work time carrying its call id);
* abandonment rate: abandoned (not short) ÷ offered;
* occupancy: (talk + hold + ACW) ÷ (that + ready + ringing) from the agent's states.

Data scope: a viewer who sees everything sees every call. Queues do not belong to
sites, so a viewer limited to some sites sees the agents of those sites, their
calls, and the queues those agents are skilled in (every call of such a queue,
abandoned ones too, so the queue's figures stay whole).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

# the wallboard's thresholds, which the bridge counts live: a report says what the board said
from cti.queues import SERVICE_LEVEL_SECONDS, SHORT_ABANDON_SECONDS
from ticketing.models import (
    AgentStateInterval,
    CallLeg,
    Interaction,
    Site,
    User,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.users import scope_paths

INTERVALS = (15, 30, 60, "day")
ABANDONED = ("abandoned_queue", "abandoned_ringing")
#: agent states counted as handling a call, and as waiting for one
BUSY_STATES = ("talking", "on_hold", "after_call_work")
AVAILABLE_STATES = ("ready", "ringing")


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which agents and queues a report covers; ``None`` members mean all of them."""

    agents: frozenset[str] | None = None
    queues: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.agents is None


async def call_scope(session: AsyncSession, viewer: User | None, site_id: int | None = None) -> Scope:
    """The agents (工号) of the viewer's sites, narrowed to ``site_id``'s subtree, and their queues."""
    paths = await scope_paths(session, viewer) if viewer is not None else None
    if paths is None and site_id is None:
        return Scope()
    stmt = select(User.staff_no, User.skills).join(Site, Site.id == User.site_id)
    if paths is not None:
        stmt = stmt.where(or_(*(Site.path.startswith(p) for p in paths)) if paths else false())
    if site_id is not None:
        site_path = await session.scalar(select(Site.path).where(Site.id == site_id))
        stmt = stmt.where(Site.path.startswith(site_path) if site_path else false())
    agents: set[str] = set()
    queues: set[str] = set()
    for staff_no, skills in (await session.execute(stmt)).all():
        agents.add(staff_no)
        queues.update((skills or {}).keys())
    return Scope(frozenset(agents), frozenset(queues))


def _queue_of() -> Any:
    return Interaction.payload["queue"].as_string()


def _call_filter(scope: Scope, queue: str, start: dt.datetime, end: dt.datetime) -> list[ColumnElement[bool]]:
    """The calls of the period that ``scope`` may see (of ``queue``, if given)."""
    where: list[ColumnElement[bool]] = [
        Interaction.kind == "call",
        Interaction.occurred_at >= start,
        Interaction.occurred_at < end,
    ]
    if queue:
        where.append(_queue_of() == queue)
    if not scope.everything:
        where.append(
            or_(
                Interaction.agent_id.in_(scope.agents or ()),
                _queue_of().in_(scope.queues or ()),
            )
        )
    return where


@dataclasses.dataclass(frozen=True)
class CallRecord:
    id: int
    call_id: str
    direction: str
    started_at: dt.datetime
    queued_at: dt.datetime | None
    ended_at: dt.datetime | None
    number: str
    queue: str
    agent_id: str
    outcome: str
    wait: float
    talk: float
    hold: float
    recording: str
    survey: int | None = None  # the caller's 1-5 after the call, if they gave one

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"

    @property
    def abandoned(self) -> bool:
        return self.outcome in ABANDONED


def _epoch(seconds: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC) if seconds else None


# What a call record is made of, read by the database out of the row and its payload: a
# month of a busy hotline is a million rows, and loading each as an ORM object with its whole
# payload took most of a report's time.
_RECORD_COLUMNS = (
    Interaction.id,
    Interaction.external_id,
    Interaction.direction,
    Interaction.occurred_at,
    Interaction.ended_at,
    Interaction.number,
    Interaction.agent_id,
    Interaction.status,
    Interaction.duration,
    Interaction.file_path,
    Interaction.payload["queued_at"].as_float(),
    Interaction.payload["answered_at"].as_float(),
    Interaction.payload["outcome"].as_string(),
    Interaction.payload["queue"].as_string(),
    Interaction.payload["hold_seconds"].as_float(),
    Interaction.payload["survey_score"].as_integer(),
)


def _record(row: Any) -> CallRecord:
    (id_, call_id, direction, occurred, ended, number, agent_id, status, duration, path) = row[:10]
    queued_at, answered_at, outcome, queue, hold_seconds, survey = row[10:]
    outcome = (outcome or "") if status == "ended" else ""
    # in Unix seconds: no datetime made per call just to subtract two times
    entered = queued_at or occurred.timestamp()
    if outcome == "answered":
        left = answered_at or None
    elif outcome == "ivr":
        left = None  # its time was spent in the menus, never waiting for an agent
    else:
        left = ended.timestamp() if ended is not None else None
    wait = max(0.0, left - entered) if left is not None else 0.0
    hold = float(hold_seconds or 0.0)
    return CallRecord(
        id=id_,
        call_id=call_id,
        direction=direction,
        started_at=occurred,
        queued_at=_epoch(queued_at),
        ended_at=ended,
        number=number,
        queue=queue or "",
        agent_id=agent_id,
        outcome=outcome,
        wait=round(wait, 1),
        # the stored duration runs from answer to hang-up, holds included
        talk=round(max(0.0, float(duration or 0.0) - hold), 1),
        hold=round(hold, 1),
        recording=path,
        survey=int(survey) if survey else None,
    )


async def _calls(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[CallRecord]:
    """The calls ``where`` picks (``_call_filter``), oldest first."""
    stmt = (
        select(*_RECORD_COLUMNS)
        .where(*where)
        .order_by(Interaction.occurred_at, Interaction.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    connection = await session.connection()  # plain rows: no ORM loading for a million of them
    return [_record(row) for row in await connection.execute(stmt)]


async def after_call_work(
    session: AsyncSession, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> dict[str, float]:
    """Seconds of after-call work per call id, for calls whose ACW began in the period (+ a day
    for calls that ended near its end)."""
    now = now or utcnow()
    rows = await session.execute(
        select(AgentStateInterval.call_id, AgentStateInterval.started_at, AgentStateInterval.ended_at).where(
            AgentStateInterval.state == "after_call_work",
            AgentStateInterval.call_id != "",
            AgentStateInterval.started_at >= start,
            AgentStateInterval.started_at < end + dt.timedelta(days=1),
        )
    )
    acw: dict[str, float] = defaultdict(float)
    for call_id, began, ended in rows.all():
        acw[call_id] += max(0.0, ((ended or now) - began).total_seconds())
    return dict(acw)


# --- call detail -------------------------------------------------------------------------


async def call_detail(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
    queue: str = "",
    offset: int = 0,
    limit: int | None = 200,
) -> dict[str, Any]:
    """Every call of the period, oldest first: waits, talk, hold, ACW, recording, linked orders,
    and every agent who was on it (``handled_by``: after a transfer, the one who answered first)."""
    scope = await call_scope(session, viewer, site_id)
    where = _call_filter(scope, queue, start, end)
    total = await session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
    calls = await _calls(session, where, offset=offset, limit=limit)
    acw = await after_call_work(session, start, end)
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    orders: dict[int, list[str]] = defaultdict(list)
    if calls:
        for interaction_id, number in await session.execute(
            select(order_interactions.c.interaction_id, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
            .where(order_interactions.c.interaction_id.in_([c.id for c in calls]))
            .order_by(WorkOrder.number)
        ):
            orders[interaction_id].append(number)
    handled_by: dict[int, list[str]] = defaultdict(list)  # every agent on the call, in the order they came
    if calls:
        for interaction_id, agent_id in await session.execute(
            select(CallLeg.interaction_id, CallLeg.agent_id)
            .where(CallLeg.interaction_id.in_([c.id for c in calls]))
            .order_by(CallLeg.answered_at, CallLeg.id)
        ):
            if agent_id not in handled_by[interaction_id]:
                handled_by[interaction_id].append(agent_id)
    rows = [
        {
            "call_id": c.call_id,
            "started_at": c.started_at,
            "direction": c.direction,
            "number": c.number,
            "queue": c.queue,
            "agent_id": c.agent_id,
            "agent_name": names.get(c.agent_id, "") if c.agent_id else "",
            "handled_by": handled_by.get(c.id, []),
            "outcome": c.outcome,
            "wait": c.wait,
            "talk": c.talk,
            "hold": c.hold,
            "acw": round(acw.get(c.call_id, 0.0), 1),
            "recording": c.recording,
            "survey": c.survey,
            "orders": orders.get(c.id, []),
        }
        for c in calls
    ]
    return {"total": total, "rows": rows}


# --- queue intervals ---------------------------------------------------------------------


def bucket_start(moment: dt.datetime, interval: int | str, tz: ZoneInfo) -> dt.datetime:
    """The start (in the site's time) of the interval ``moment`` falls in."""
    local = moment.astimezone(tz)
    if interval == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = local.hour * 60 + local.minute
    floor = minutes - minutes % int(interval)
    return local.replace(hour=floor // 60, minute=floor % 60, second=0, microsecond=0)


@dataclasses.dataclass
class QueueFigures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_sl: int = 0
    wait_answered: float = 0.0
    handle: float = 0.0

    def add(self, call: CallRecord, acw: float, threshold: float, short_abandon: float) -> None:
        if call.abandoned and call.wait < short_abandon:
            self.short_abandoned += 1
            return
        self.offered += 1
        if call.answered:
            self.answered += 1
            self.wait_answered += call.wait
            self.handle += call.talk + call.hold + acw
            if call.wait <= threshold:
                self.answered_in_sl += 1
        elif call.abandoned:
            self.abandoned += 1

    def merge(self, other: QueueFigures) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def row(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "answered_in_sl": self.answered_in_sl,
            "service_level": round(self.answered_in_sl / self.offered, 4) if self.offered else None,
            "asa": round(self.wait_answered / self.answered, 1) if self.answered else None,
            "aht": round(self.handle / self.answered, 1) if self.answered else None,
            "abandon_rate": round(self.abandoned / self.offered, 4) if self.offered else None,
        }


async def queue_intervals(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    interval: int | str = 30,
    tz: str = "Asia/Shanghai",
    threshold: float = SERVICE_LEVEL_SECONDS,
    short_abandon: float = SHORT_ABANDON_SECONDS,
    viewer: User | None = None,
    site_id: int | None = None,
    queue: str = "",
) -> dict[str, Any]:
    """Per queue and interval (15/30/60 minutes or a day, in the site's time): offered,
    answered, abandoned, SL, ASA, AHT, abandonment rate; ``totals`` per queue, ``by_interval``
    all queues together per interval, and ``overall``."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}")
    zone = ZoneInfo(tz)
    scope = await call_scope(session, viewer, site_id)
    calls = [
        c
        for c in await _calls(session, _call_filter(scope, queue, start, end))
        if c.queue and c.direction == "inbound" and c.outcome
    ]
    acw = await after_call_work(session, start, end)
    cells: dict[tuple[str, dt.datetime], QueueFigures] = defaultdict(QueueFigures)
    per_queue: dict[str, QueueFigures] = defaultdict(QueueFigures)
    per_interval: dict[dt.datetime, QueueFigures] = defaultdict(QueueFigures)
    overall = QueueFigures()
    for call in calls:
        begin = bucket_start(call.queued_at or call.started_at, interval, zone)
        cells[(call.queue, begin)].add(call, acw.get(call.call_id, 0.0), threshold, short_abandon)
    # the totals are sums of the cells: each call is added up once
    for (queue_name, begin), cell in cells.items():
        for figures in (per_queue[queue_name], per_interval[begin], overall):
            figures.merge(cell)
    label = "%Y-%m-%d" if interval == "day" else "%Y-%m-%d %H:%M"
    rows = [
        {"queue": q, "interval": begin.strftime(label), **figures.row()}
        for (q, begin), figures in sorted(cells.items())
    ]
    totals = [{"queue": q, "interval": "", **f.row()} for q, f in sorted(per_queue.items())]
    by_interval = [
        {"queue": "", "interval": begin.strftime(label), **f.row()}
        for begin, f in sorted(per_interval.items())
    ]
    return {
        "interval": interval,
        "threshold": threshold,
        "short_abandon": short_abandon,
        "rows": rows,
        "totals": totals,
        "by_interval": by_interval,
        "overall": overall.row(),
    }


# --- agents ------------------------------------------------------------------------------


async def agent_report(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Per agent: logged-in time, ready, pause (total and by reason), talk, hold, ACW,
    calls handled, occupancy. Times in seconds, states clipped to the period."""
    now = now or utcnow()
    scope = await call_scope(session, viewer, site_id)
    stmt = select(AgentStateInterval).where(
        AgentStateInterval.started_at < end,
        or_(AgentStateInterval.ended_at.is_(None), AgentStateInterval.ended_at > start),
    )
    if not scope.everything:
        stmt = stmt.where(AgentStateInterval.agent_id.in_(scope.agents or ()))
    seconds: dict[str, Counter[str]] = defaultdict(Counter)
    pauses: dict[str, Counter[str]] = defaultdict(Counter)
    for row in await session.scalars(stmt):
        began = max(row.started_at, start)
        ended = min(row.ended_at or now, end, now)
        span = (ended - began).total_seconds()
        if span <= 0:
            continue
        seconds[row.agent_id][row.state] += span
        if row.state == "not_ready":
            pauses[row.agent_id][row.reason or "—"] += span
    # A call counts for every agent who took it in the period: the one who answered, and a
    # transfer target or conference member too (their legs).
    legs = (
        select(CallLeg.agent_id, func.count(func.distinct(CallLeg.interaction_id)))
        .where(CallLeg.answered_at >= start, CallLeg.answered_at < end)
        .group_by(CallLeg.agent_id)
    )
    if not scope.everything:
        legs = legs.where(CallLeg.agent_id.in_(scope.agents or ()))
    handled = Counter({agent_id: calls for agent_id, calls in await session.execute(legs)})
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    reasons = sorted({r for p in pauses.values() for r in p})
    rows = []
    for agent in sorted(set(seconds) | set(handled)):
        s = seconds[agent]
        busy = sum(s[x] for x in BUSY_STATES)
        available = sum(s[x] for x in AVAILABLE_STATES)
        rows.append(
            {
                "agent_id": agent,
                "agent_name": names.get(agent, ""),
                "login": round(sum(v for k, v in s.items() if k != "logged_out")),
                "ready": round(s["ready"]),
                "pause": round(s["not_ready"]),
                "pauses": {r: round(pauses[agent][r]) for r in reasons},
                "talk": round(s["talking"]),
                "hold": round(s["on_hold"]),
                "acw": round(s["after_call_work"]),
                "handled": handled[agent],
                "occupancy": round(busy / (busy + available), 4) if busy + available else None,
            }
        )
    return {"reasons": reasons, "rows": rows}


# --- post-call survey ---------------------------------------------------------------------


async def survey_report(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
    queue: str = "",
) -> dict[str, Any]:
    """The callers' own 1-5 after their call, per agent: how many, the mean, the share of 4 and 5."""
    scope = await call_scope(session, viewer, site_id)
    scores: dict[str, list[int]] = defaultdict(list)
    for call in await _calls(session, _call_filter(scope, queue, start, end)):
        if call.survey is not None:
            scores[call.agent_id].append(call.survey)
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    rows = [
        {
            "agent_id": agent,
            "agent_name": names.get(agent, ""),
            "count": len(given),
            "mean": round(sum(given) / len(given), 2),
            "satisfied": round(sum(1 for g in given if g >= 4) / len(given), 4),
            "by_score": {n: given.count(n) for n in range(1, 6)},
        }
        for agent, given in sorted(scores.items())
    ]
    every = [g for given in scores.values() for g in given]
    total = {
        "count": len(every),
        "mean": round(sum(every) / len(every), 2) if every else None,
        "satisfied": round(sum(1 for g in every if g >= 4) / len(every), 4) if every else None,
    }
    return {"rows": rows, "total": total}
