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

The queue, agent and survey reports are added up by the database (``ReportSql`` spells
what SQLite and PostgreSQL spell differently); the call detail lists its page of calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    extract,
    false,
    func,
    join,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

# the wallboard's thresholds, which the bridge counts live: a report says what the board said
from cti.agents import LOGIN_REASON
from cti.queues import SERVICE_LEVEL_SECONDS, SHORT_ABANDON_SECONDS
from ticketing.models import (
    AgentStateInterval,
    CallLeg,
    CampaignAttempt,
    CampaignContact,
    Interaction,
    Site,
    User,
    UtcDateTime,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.models.campaigns import REQUESTED_CALLBACK, callback_campaigns
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


def _call_filter(
    scope: Scope, queue: str, start: dt.datetime, end: dt.datetime, number: str = ""
) -> list[ColumnElement[bool]]:
    """The calls of the period that ``scope`` may see (of ``queue``, if given; with ``number``
    in the caller's or called number, if given: all of it or the part a supervisor remembers)."""
    where: list[ColumnElement[bool]] = [
        Interaction.kind == "call",
        Interaction.occurred_at >= start,
        Interaction.occurred_at < end,
    ]
    if number:
        where.append(Interaction.number.contains(number, autoescape=True))
    if queue:
        # the call's (last) queue, or any queue it was in before (a transfer to a queue)
        path = Interaction.payload["queue_path"].as_string()
        where.append(or_(_queue_of() == queue, path.contains(f"|{queue}|", autoescape=True)))
    where.append(calls_within(scope))
    return where


def calls_within(scope: Scope) -> ColumnElement[bool]:
    """The calls ``scope`` covers: of its agents, or of its queues."""
    if scope.everything:
        return true()
    return or_(Interaction.agent_id.in_(scope.agents or ()), _queue_of().in_(scope.queues or ()))


async def reports_show(session: AsyncSession, viewer: User, interaction_ids: list[int]) -> bool:
    """Whether one of ``interaction_ids`` is a call the reports list for ``viewer`` (``call_scope``):
    such a call's recording is theirs to play, as the call detail's 播放 offers it."""
    scope = await call_scope(session, viewer)
    found = await session.scalar(
        select(Interaction.id)
        .where(Interaction.id.in_(interaction_ids), Interaction.kind == "call", calls_within(scope))
        .limit(1)
    )
    return found is not None


def _leg_filter(
    scope: Scope, start: dt.datetime, end: dt.datetime, leg_queue: Any
) -> list[ColumnElement[bool]]:
    """The ended inbound calls of the period whose earlier queue legs ``scope`` may see: those of
    its agents, and the legs in its queues (a leg is its queue's, whoever had the call last)."""
    where: list[ColumnElement[bool]] = [
        Interaction.kind == "call",
        Interaction.occurred_at >= start,
        Interaction.occurred_at < end,
        Interaction.direction == "inbound",
        Interaction.status == "ended",
    ]
    if not scope.everything:
        where.append(or_(Interaction.agent_id.in_(scope.agents or ()), leg_queue.in_(scope.queues or ())))
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
    # each queue it was in, when more than one: queue, wait there, outcome there, who answered
    queue_legs: tuple[dict[str, Any], ...] = ()

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
    Interaction.payload["queue_legs"],
)

#: a call not ended yet: answered (通话中), or not yet (ringing an agent, being dialled)
IN_PROGRESS = "in_progress"
NOT_ANSWERED_YET = "ringing"


def _record(row: Any) -> CallRecord:
    (id_, call_id, direction, occurred, ended, number, agent_id, status, duration, path) = row[:10]
    queued_at, answered_at, outcome, queue, hold_seconds, survey, queue_legs = row[10:]
    if status != "ended":
        # still going: no outcome yet, and said so (通话中), not left blank
        outcome = IN_PROGRESS if status in ("answered", "talking") else NOT_ANSWERED_YET
    outcome = outcome or ""
    # in Unix seconds: no datetime made per call just to subtract two times
    entered = queued_at or occurred.timestamp()
    if outcome in ("answered", IN_PROGRESS):
        left = answered_at or None
    elif outcome == "ivr":
        left = None  # its time was spent in the menus, never waiting for an agent
    else:
        left = ended.timestamp() if ended is not None else None
    wait = max(0.0, left - entered) if left is not None else 0.0
    legs: tuple[dict[str, Any], ...] = ()
    if isinstance(queue_legs, list) and len(queue_legs) > 1:
        # in several queues (a transfer to a queue): its wait is the time it waited in them all
        legs = tuple(
            {
                "queue": leg.get("queue", ""),
                "wait": round(max(0.0, (leg.get("left_at") or 0.0) - (leg.get("queued_at") or 0.0)), 1),
                "outcome": leg.get("outcome", ""),
                "agent_id": leg.get("agent_id", ""),
            }
            for leg in queue_legs
            if isinstance(leg, dict)
        )
        wait = sum(leg["wait"] for leg in legs)
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
        # a call nobody talked on has no audio to play (rows stored before CallLinker knew it)
        recording=path if path and duration else "",
        survey=int(survey) if survey else None,
        queue_legs=legs,
    )


async def _calls(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    period: tuple[dt.datetime, dt.datetime],
    *,
    offset: int = 0,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> list[tuple[CallRecord, float]]:
    """The calls ``where`` picks (``_call_filter``), newest first, each with its seconds of
    after-call work (ACW that began in ``period`` or the day after, added up by the database)."""
    connection = await session.connection()  # plain rows: no ORM loading for a million of them
    acw = _after_call_work_seconds(ReportSql(connection.dialect.name), *period, now or utcnow())
    stmt = (
        select(*_RECORD_COLUMNS, func.coalesce(acw.c.seconds, _F(0.0)))
        .outerjoin(acw, acw.c.call_id == Interaction.external_id)
        .where(*where)
        # newest first: the call a supervisor looks for is mostly the one that just happened
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(_record(row[:-1]), float(row[-1])) for row in await connection.execute(stmt)]


@dataclasses.dataclass(frozen=True)
class CallsQuery:
    """What a call report is asked (``call_detail``, ``agent_report``, ``survey_report``; the
    queue report's ``QueueQuery`` adds to it): the calls of [start, end), only those ``viewer``
    may see (None: all), of ``site_id`` and of ``queue`` when given (the agent report counts
    every queue's), with ``number`` in the call's number (the call detail's 号码, normalised digits);
    ``now`` ends the states and after-call work still going on (None: the clock)."""

    start: dt.datetime
    end: dt.datetime
    _: dataclasses.KW_ONLY
    viewer: User | None = None
    site_id: int | None = None
    queue: str = ""
    number: str = ""
    now: dt.datetime | None = None


# --- call detail -------------------------------------------------------------------------


async def call_detail(
    session: AsyncSession, query: CallsQuery, *, offset: int = 0, limit: int | None = 200
) -> dict[str, Any]:
    """Every call of the period (of ``query.number`` when given), newest first: waits, talk, hold,
    ACW, recording, linked orders, and every agent who was on it (``handled_by``: after a
    transfer, the one who answered first)."""
    start, end = query.start, query.end
    scope = await call_scope(session, query.viewer, query.site_id)
    where = _call_filter(scope, query.queue, start, end, query.number)
    total = await session.scalar(select(func.count()).select_from(Interaction).where(*where)) or 0
    found = await _calls(session, where, (start, end), offset=offset, limit=limit, now=query.now)
    calls = [call for call, _ in found]
    acw = {call.call_id: seconds for call, seconds in found}
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    left = await left_in_the_ivr(session, [c.call_id for c in calls if c.outcome == "ivr"])
    # an unanswered campaign attempt: why (无人接听, 忙), and whose seat placed it (the record has no agent)
    dialled = await campaign_attempts_of(
        session, [c.call_id for c in calls if c.direction == "outbound" and c.outcome == "failed"]
    )
    agent_of = {c.call_id: c.agent_id or dialled.get(c.call_id, ("", ""))[1] for c in calls}
    # whose orders are a call's: its own, and those of the voicemail or fax it left in the IVR (the
    # fault order a voicemail opened), by interaction id
    of_call = {c.id: c.id for c in calls}
    of_call |= {left[c.call_id][1]: c.id for c in calls if left.get(c.call_id, ("", None))[1]}
    orders: dict[int, list[str]] = defaultdict(list)
    for ids in _chunks(list(of_call)):
        for interaction_id, number in await session.execute(
            select(order_interactions.c.interaction_id, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
            .where(order_interactions.c.interaction_id.in_(ids))
            .order_by(WorkOrder.number)
        ):
            if number not in orders[of_call[interaction_id]]:
                orders[of_call[interaction_id]].append(number)
    handled_by: dict[int, list[str]] = defaultdict(list)  # every agent on the call, in the order they came
    for ids in _chunks([c.id for c in calls]):  # a call's legs all come in its own chunk, in order
        for interaction_id, agent_id in await session.execute(
            select(CallLeg.interaction_id, CallLeg.agent_id)
            .where(CallLeg.interaction_id.in_(ids))
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
            "agent_id": agent_of[c.call_id],
            "agent_name": names.get(agent_of[c.call_id], ""),
            "handled_by": handled_by.get(c.id, []),
            "outcome": left[c.call_id][0]
            if c.call_id in left
            else dialled[c.call_id][0]
            if c.call_id in dialled
            else c.outcome,
            "wait": c.wait,
            "talk": c.talk,
            "hold": c.hold,
            "acw": round(acw.get(c.call_id, 0.0), 1),
            "recording": c.recording,
            "survey": c.survey,
            "orders": orders.get(c.id, []),
            "queue_legs": list(c.queue_legs),
        }
        for c in calls
    ]
    return {"total": total, "rows": rows}


#: call ids asked of the database at a time (an export lists a month of calls; SQLite takes at
#: most 32766 bound values in a statement)
_IDS_AT_A_TIME = 500


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _IDS_AT_A_TIME] for i in range(0, len(items), _IDS_AT_A_TIME)]


async def left_in_the_ivr(session: AsyncSession, call_ids: list[str]) -> dict[str, tuple[str, int | None]]:
    """What the callers of ``call_ids``, calls that ended in the IVR (outcome ``ivr``: the bridge
    saw them reach no queue), left there, by call id: ``voicemail`` or ``fax`` with that event's id
    (its orders are the call's: a fault report's voicemail opens a fault order), or ``callback``
    (预约回电 asked for at the menu: the queue callback campaign's contact of the call, as one
    asked for while queued) with None. A caller who only listened (停电信息, a bill) is not in it,
    and stays IVR 内结束. QA #10: a voicemail and a menu callback both read IVR 内结束, no 关联工单."""
    left: dict[str, tuple[str, int | None]] = {}
    for ids in _chunks(call_ids):
        for key in await session.scalars(
            select(CampaignContact.source_key).where(
                CampaignContact.campaign_id.in_(callback_campaigns()),
                CampaignContact.source_key.in_([f"{REQUESTED_CALLBACK}{call_id}" for call_id in ids]),
            )
        ):
            left[key.removeprefix(REQUESTED_CALLBACK)] = ("callback", None)
        for event_id, kind, call_id in await session.execute(
            select(Interaction.id, Interaction.kind, Interaction.external_id).where(
                Interaction.kind.in_(("voicemail", "fax")), Interaction.external_id.in_(ids)
            )
        ):
            left[call_id] = (kind, event_id)
    return left


#: what came of a campaign attempt nobody answered, as the campaign's reports say it (外呼拨打统计,
#: camp.outcome.*): the dialer read it from the call's DialStatus (campaigns.rules.outcome_of)
UNANSWERED_ATTEMPTS = ("no_answer", "busy", "agent_missed")


async def campaign_attempts_of(session: AsyncSession, call_ids: list[str]) -> dict[str, tuple[str, str]]:
    """What came of the campaign attempts among ``call_ids`` (outbound calls the bridge ended
    ``failed``: nobody answered them) and whose seat placed each, by call id: (outcome, agent).
    The outcome is the attempt's where it says why (no_answer 无人接听, busy 忙, agent_missed 坐席未接:
    the agent's own phone never picked up), ``failed`` for a real failure (CONGESTION,
    CHANUNAVAIL…) or an attempt not ended; the agent is the one it was placed for (none for a
    predictive call nobody took). A call no campaign placed (an agent's 回拨) is not in it.
    QA #11: 通话明细 said 呼叫失败 with no agent where 外呼拨打统计 said 无人接听."""
    dialled: dict[str, tuple[str, str]] = {}
    for ids in _chunks(call_ids):
        for call_id, outcome, agent_id in await session.execute(
            select(CampaignAttempt.call_id, CampaignAttempt.outcome, CampaignAttempt.agent_id).where(
                CampaignAttempt.call_id.in_(ids)
            )
        ):
            dialled[call_id] = (outcome if outcome in UNANSWERED_ATTEMPTS else "failed", agent_id or "")
    return dialled


# --- figures worked out by the database ---------------------------------------------------
#
# The reports add up in SQL (a month of a busy hotline is a million calls), the same figures
# on SQLite and PostgreSQL as the Python that added them up before: a call's wait, talk and
# hold are rounded to tenths of a second as Python's round(x, 1) does (to the nearest, ties to
# even, on the float's exact value), sums are of whole tenths and microseconds (exact, in
# any order), and a time's interval is the one its local wall-clock time falls in, with the
# zone's UTC offsets taken from Python's zoneinfo.


class ReportSql:
    """The few expressions the two databases spell differently."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def floor_int(self, x: Any) -> Any:
        """⌊x⌋ as an integer, for x ≥ 0."""
        return cast(func.floor(x), BigInteger) if self.pg else cast(x, Integer)

    def seconds(self, moment: Any) -> Any:
        """A stored time's whole Unix seconds (its microseconds dropped)."""
        if self.pg:
            return cast(func.floor(extract("epoch", moment)), BigInteger)
        return cast(func.strftime("%s", moment), Integer)

    def micros(self, moment: Any) -> Any:
        """A stored time in Unix microseconds, exactly."""
        if self.pg:
            return cast(extract("epoch", moment) * 1_000_000, BigInteger)
        # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite
        return cast(func.strftime("%s", moment), Integer) * 1_000_000 + cast(
            func.substr(moment, 21, 6), Integer
        )

    def tenths_of(self, x: Any) -> tuple[Any, Any]:
        """The columns ``tenths`` needs beside x: 10x and ⌊10x⌋ (computed once, a stage before)."""
        return x * _F(10.0), self.floor_int(x * _F(10.0))

    @staticmethod
    def tenths(x: Any, y: Any, r0: Any) -> Any:
        """round(x, 1) × 10 for x ≥ 0, as Python's round gives it: the nearest tenth of the
        float's exact value, a tie (x.x5 exactly, which only x.25 and x.75 can be) to the even
        tenth. y = 10x is off the exact value by half an ulp at most, which can only matter
        when y lands on a half: then 20x is compared with the odd integer 2⌊y⌋ + 1 exactly
        (16x and 4x are exact, their sum's rounding error recovered as in Knuth's TwoSum)."""
        frac = y - r0
        a, b = x * _F(16.0), x * _F(4.0)
        s = a + b
        bb = s - a
        error = (a - (s - bb)) + (b - bb)
        above = (s - (r0 * 2 + 1)) + error
        tie = case((above > 0, 1), (above < 0, 0), else_=r0 % 2)
        return r0 + case((frac > _F(0.5), 1), (frac < _F(0.5), 0), else_=tie)

    def payload_fields(self, payload: Any, **types: Any) -> tuple[Any, dict[str, Any]]:
        """A payload's fields as columns: PostgreSQL reads the JSON once for them all (a
        ``json_to_record`` joined to the row, returned to join), SQLite takes each out."""
        if self.pg:
            # a payload that is no object (JSON null, a list) reads as no fields, as ->> reads it
            whole = case((func.json_typeof(payload) == "object", payload), else_=null())
            record = func.json_to_record(whole).table_valued(*(column(n, t) for n, t in types.items()))
            record = record.render_derived(name="fields", with_types=True)
            return record, {n: record.c[n] for n in types}
        return None, {
            n: payload[n].as_float() if t is Float else payload[n].as_string() for n, t in types.items()
        }

    def form_text(self, form: Any, key: str) -> Any:
        """A JSON field as Python's ``str()`` of its value writes it: text as it is, a number as
        written, None, True, False; "" when the field is missing."""
        if self.pg:
            kind, text = func.json_typeof(form[key]), form[key].as_string()
        else:
            path = "$." + json.dumps(key)  # as the JSON has it: SQLite matches keys as written
            kind, text = func.json_type(form, path), cast(func.json_extract(form, path), String)
        return case(
            (kind.is_(None), ""),
            (kind == "null", "None"),
            (or_(kind == "true", and_(kind == "boolean", text == "true")), "True"),
            (or_(kind == "false", kind == "boolean"), "False"),
            else_=text,
        )

    def json_pairs(self, obj: Any) -> Any:
        """A JSON object's (key, value) pairs, values as text, as a table to join to its row."""
        if self.pg:
            pairs = func.json_each_text(obj).table_valued("key", "value")
        else:
            pairs = func.json_each(obj).table_valued("key", "value")
        return pairs.alias("pairs")

    def queue_legs_before(self, payload: Any) -> dict[str, Any]:
        """A call's earlier queue legs (payload ``queue_legs_before``, see ``ticketing.calls``) as
        a table to join to its row (``table``), one row per leg, and their fields as columns."""
        names = {"queue": String, "queued_at": Float, "left_at": Float, "outcome": String, "talk": Float}
        if self.pg:
            legs = payload["queue_legs_before"]
            whole = case((func.json_typeof(legs) == "array", legs), else_=null())
            table = func.json_to_recordset(whole).table_valued(*(column(n, t) for n, t in names.items()))
            table = table.render_derived(name="qlegs", with_types=True)
            return {"table": table, **{n: table.c[n] for n in names}}
        table = func.json_each(payload, "$.queue_legs_before").table_valued("value").alias("qlegs")
        return {
            "table": table,
            **{n: cast(func.json_extract(table.c.value, f"$.{n}"), t) for n, t in names.items()},
        }

    def not_below_zero(self, x: Any) -> Any:
        return case((x > 0, x), else_=_F(0.0))


def _F(value: float) -> Any:
    return literal(value, Float)


@functools.lru_cache(maxsize=64)
def _utc_offsets(tz: str, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
    """(from this Unix second on, the zone's UTC offset in seconds) over [lo, hi]: the first
    pair from ``lo``, then one per change of offset (found to the second)."""
    zone = ZoneInfo(tz)

    def offset(second: int) -> int:
        moment = dt.datetime.fromtimestamp(second, dt.UTC).astimezone(zone)
        return int(moment.utcoffset().total_seconds())  # type: ignore[union-attr]

    changes = [(lo, offset(lo))]
    step = 6 * 3600  # no zone changes its offset twice in six hours
    second = lo
    while second < hi:
        following = min(second + step, hi)
        if offset(following) != changes[-1][1]:
            low, high = second, following  # offset(low) is the old one, offset(high) the new
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset(high)))
        second = following
    return tuple(changes)


def _local_seconds(seconds: Any, tz: str, start: dt.datetime, end: dt.datetime) -> Any:
    """Unix ``seconds`` as the zone's wall-clock seconds (the offsets a month either side of
    the period's: a call queued a month after it began is no call)."""
    margin = 31 * 86400
    offsets = _utc_offsets(tz, int(start.timestamp()) - margin, int(end.timestamp()) + margin)
    if len(offsets) == 1:
        return seconds + offsets[0][1]
    whens = [(seconds < since, offset) for (_, offset), (since, _) in zip(offsets, offsets[1:], strict=False)]
    return seconds + case(*whens, else_=offsets[-1][1])


def _after_call_work_seconds(sql: ReportSql, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Any:
    """``after_call_work`` in SQL: seconds of ACW per call id, each interval's seconds as
    Python's ``timedelta.total_seconds()`` gives them (microseconds ÷ 10⁶)."""
    span = sql.micros(func.coalesce(AgentStateInterval.ended_at, literal(now, UtcDateTime()))) - sql.micros(
        AgentStateInterval.started_at
    )
    return (
        select(
            AgentStateInterval.call_id.label("call_id"),
            func.sum(case((span > 0, cast(span, Float) / _F(1e6)), else_=_F(0.0))).label("seconds"),
        )
        .where(
            AgentStateInterval.state == "after_call_work",
            AgentStateInterval.call_id != "",
            AgentStateInterval.started_at >= start,
            AgentStateInterval.started_at < end + dt.timedelta(days=1),
        )
        .group_by(AgentStateInterval.call_id)
        .subquery("acw")
    )


# --- queue intervals ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class QueueQuery(CallsQuery):
    """What the queue report is asked: a ``CallsQuery``'s calls added up per ``interval`` (15,
    30 or 60 minutes or a "day", on ``tz``'s wall clock), answered within ``threshold`` seconds
    for the service level, abandoned within ``short_abandon`` seconds not offered."""

    _: dataclasses.KW_ONLY
    interval: int | str = 30
    tz: str = "Asia/Shanghai"
    threshold: float = SERVICE_LEVEL_SECONDS
    short_abandon: float = SHORT_ABANDON_SECONDS
    #: the hotline's own queues (``agent_ui.board_today.own_queues``): the overall and per-interval
    #: sums count only these, so another line's (or a test's) queue on the same Asterisk never
    #: moves the centre's KPI; its rows stay. None: every queue is the hotline's.
    #: A report asked for one ``queue`` sums that queue, whichever it is.
    own_queues: frozenset[str] | None = None

    def counts_in_total(self, queue: str) -> bool:
        """Whether ``queue``'s calls count in the overall and per-interval sums."""
        return self.own_queues is None or bool(self.queue) or queue in self.own_queues


@dataclasses.dataclass
class QueueFigures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_sl: int = 0
    wait_answered: float = 0.0
    handle: float = 0.0

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


def _stage(stmt: Any, name: str) -> Any:
    """``stmt`` as a subquery the database works out once per row (OFFSET 0: neither SQLite nor
    PostgreSQL folds it into the query around it, which would repeat its expressions)."""
    return stmt.offset(0).subquery(name)


def _queue_cells(sql: ReportSql, scope: Scope, query: QueueQuery, now: dt.datetime) -> Any:
    """The statement adding the calls up per queue and interval: queue, interval (its start in
    the zone's wall-clock seconds), the cell's first call (time, id), offered, answered,
    abandoned, short abandons, answered in SL, and the answered calls' waits and handle times
    added up as Python did (``_record`` and ``QueueFigures.add`` before): in stages, each
    reading the one before."""
    start, end = query.start, query.end
    acw = _after_call_work_seconds(sql, start, end, now)
    # the calls of the period, each payload field read once; a call is counted in its (last)
    # queue here, and in every queue it was in before (a transfer to a queue: its queue legs)
    record, fields = sql.payload_fields(
        Interaction.payload,
        queue=String,
        outcome=String,
        queued_at=Float,
        answered_at=Float,
        queue_answered_at=Float,
        hold_seconds=Float,
    )
    where = [
        *_call_filter(scope, "", start, end),
        Interaction.direction == "inbound",
        Interaction.status == "ended",
    ]
    ended = sql.micros(Interaction.ended_at) / _F(1e6)
    # the last queue's answer, when the call was answered in an earlier one first: its wait
    # and talk there run from that answer
    last_answer = case((fields["queue_answered_at"] > 0, fields["queue_answered_at"]), else_=None)
    main = (
        select(
            fields["queue"].label("queue"),
            fields["outcome"].label("outcome"),
            fields["queued_at"].label("queued"),
            func.coalesce(last_answer, fields["answered_at"]).label("answered"),
            func.coalesce(fields["hold_seconds"], _F(0.0)).label("hold"),
            case(
                (last_answer.is_not(None), ended - last_answer),
                else_=func.coalesce(Interaction.duration, _F(0.0)),
            ).label("duration"),
            (sql.micros(Interaction.occurred_at) / _F(1e6)).label("began"),
            sql.seconds(Interaction.occurred_at).label("began_second"),
            ended.label("ended"),
            func.coalesce(acw.c.seconds, _F(0.0)).label("acw"),
            Interaction.occurred_at,
            Interaction.id,
        )
        .select_from(Interaction if record is None else join(Interaction, record, true()))
        .outerjoin(acw, acw.c.call_id == Interaction.external_id)
        .where(*where)
    )
    legs = sql.queue_legs_before(Interaction.payload)
    earlier = (
        select(
            legs["queue"].label("queue"),
            legs["outcome"].label("outcome"),
            legs["queued_at"].label("queued"),
            case((legs["outcome"] == "answered", legs["left_at"]), else_=None).label("answered"),
            _F(0.0).label("hold"),
            func.coalesce(legs["talk"], _F(0.0)).label("duration"),
            (sql.micros(Interaction.occurred_at) / _F(1e6)).label("began"),
            sql.seconds(Interaction.occurred_at).label("began_second"),
            legs["left_at"].label("ended"),
            _F(0.0).label("acw"),  # a call's after-call work stays with its last queue
            Interaction.occurred_at,
            Interaction.id,
        )
        .select_from(join(Interaction, legs["table"], true()))
        .where(*_leg_filter(scope, start, end, legs["queue"]))
    )
    raw = _stage(main.union_all(earlier), "raw")
    r = raw.c
    no_queue_time = or_(r.queued.is_(None), r.queued == 0)
    entered = case((no_queue_time, r.began), else_=r.queued)
    left = case(
        (r.outcome == "answered", case((or_(r.answered.is_(None), r.answered == 0), None), else_=r.answered)),
        (r.outcome == "ivr", None),  # its time was spent in the menus, never waiting for an agent
        else_=r.ended,
    )
    # the interval: the second the call was queued (as Python's datetime rounds it to the
    # microsecond), else the one it began, on the zone's wall clock
    queued_second = sql.floor_int(r.queued) + case(
        ((r.queued - sql.floor_int(r.queued)) * _F(1e6) >= _F(999_999.5), 1), else_=0
    )
    second = case((no_queue_time, r.began_second), else_=queued_second)
    times = _stage(
        select(
            r.queue,
            r.outcome,
            r.acw,
            r.occurred_at,
            r.id,
            sql.not_below_zero(func.coalesce(left - entered, _F(0.0))).label("wait"),
            sql.not_below_zero(r.duration - r.hold).label("talk"),
            r.hold,
            _local_seconds(second, query.tz, start, end).label("local"),
        ).where(r.queue != "", r.outcome != "", *((r.queue == query.queue,) if query.queue else ())),
        "times",
    )
    t = times.c
    size = 86400 if query.interval == "day" else int(query.interval) * 60
    measures = ("wait", "talk", "hold")
    prepared = _stage(
        select(
            t.queue,
            t.outcome,
            t.acw,
            t.occurred_at,
            t.id,
            (t.local - t.local % size).label("bucket"),
            *(
                column.label(f"{name}{part}")
                for name in measures
                for part, column in zip(("", "_y", "_r0"), (t[name], *sql.tenths_of(t[name])), strict=True)
            ),
        ),
        "prepared",
    )
    p = prepared.c
    calls = _stage(
        select(
            p.queue,
            p.bucket,
            p.outcome,
            p.acw,
            p.occurred_at,
            p.id,
            *(sql.tenths(p[m], p[f"{m}_y"], p[f"{m}_r0"]).label(m) for m in measures),
        ),
        "calls",
    )
    c = calls.c
    abandoned = c.outcome.in_(ABANDONED)
    wait_s = cast(c.wait, Float) / _F(10.0)  # round(wait, 1), the very float
    short = and_(abandoned, wait_s < literal(float(query.short_abandon), Float))
    answered = c.outcome == "answered"
    # The sums of seconds are floats added up call by call in the calls' order, as Python did:
    # at a mean on a tie (two waits of 6.4 and 6.5 s: 6.45) the last float bit rounds it.
    cell = (c.queue, c.bucket)
    in_order = {"partition_by": cell, "order_by": (c.occurred_at, c.id)}
    running = {**in_order, "rows": (None, 0)}
    handle = (cast(c.talk, Float) / _F(10.0) + cast(c.hold, Float) / _F(10.0)) + c.acw
    flagged = select(
        c.queue,
        c.bucket,
        c.occurred_at,
        c.id,
        case((short, 1), else_=0).label("short"),
        case((answered, 1), else_=0).label("answered"),
        case((and_(abandoned, not_(short)), 1), else_=0).label("abandoned"),
        case((and_(answered, wait_s <= literal(float(query.threshold), Float)), 1), else_=0).label("in_sl"),
        func.sum(case((answered, wait_s), else_=_F(0.0))).over(**running).label("waits"),
        func.sum(case((answered, handle), else_=_F(0.0))).over(**running).label("handles"),
        func.row_number().over(**in_order).label("n"),
        func.count().over(partition_by=cell).label("calls"),
    ).subquery("flagged")
    f = flagged.c
    last = f.n == f.calls
    return select(
        f.queue,
        f.bucket,
        func.max(case((f.n == 1, f.occurred_at))),
        func.max(case((f.n == 1, f.id))),
        func.count() - func.sum(f.short),
        func.sum(f.answered),
        func.sum(f.abandoned),
        func.sum(f.short),
        func.sum(f.in_sl),
        func.max(case((last, f.waits))),
        func.max(case((last, f.handles))),
    ).group_by(f.queue, f.bucket)


async def queue_intervals(session: AsyncSession, query: QueueQuery) -> dict[str, Any]:
    """Per queue and interval (15/30/60 minutes or a day, in the site's time): offered,
    answered, abandoned, SL, ASA, AHT, abandonment rate; ``totals`` per queue, ``by_interval``
    the hotline's queues together per interval, and ``overall`` (``QueueQuery.counts_in_total``).
    The database adds the calls up per queue and interval; the totals are sums of those cells."""
    cells, per_queue, per_interval, overall = await queue_figures(session, query)
    label = "%Y-%m-%d" if query.interval == "day" else "%Y-%m-%d %H:%M"

    def named(bucket: int) -> str:  # wall-clock seconds → the interval's name
        return (_WALL_EPOCH + dt.timedelta(seconds=bucket)).strftime(label)

    rows = [{"queue": q, "interval": named(b), **f.row()} for (q, b), f in sorted(cells.items())]
    totals = [{"queue": q, "interval": "", **f.row()} for q, f in sorted(per_queue.items())]
    by_interval = [{"queue": "", "interval": named(b), **f.row()} for b, f in sorted(per_interval.items())]
    return {
        "interval": query.interval,
        "threshold": query.threshold,
        "short_abandon": query.short_abandon,
        "rows": rows,
        "totals": totals,
        "by_interval": by_interval,
        "overall": overall.row(),
    }


async def queue_figures(
    session: AsyncSession, query: QueueQuery
) -> tuple[
    dict[tuple[str, int], QueueFigures], dict[str, QueueFigures], dict[int, QueueFigures], QueueFigures
]:
    """``queue_intervals``' sums before they are rows: per (queue, interval), per queue (every
    queue), per interval and overall (the hotline's queues: ``QueueQuery.counts_in_total``; the
    wallboard merges its calls in progress into them)."""
    if query.interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}")
    scope = await call_scope(session, query.viewer, query.site_id)
    connection = await session.connection()
    cells_stmt = _queue_cells(ReportSql(connection.dialect.name), scope, query, query.now or utcnow())
    found = []
    for queue_name, bucket, first_at, first_id, *counts, waits, handles in await connection.execute(
        cells_stmt
    ):
        figures = QueueFigures(*(int(n) for n in counts), float(waits), float(handles))
        found.append(((first_at, first_id), (queue_name, int(bucket)), figures))
    # the totals are sums of the cells, in the order Python met them: by each one's first call
    cells = {key: figures for _, key, figures in sorted(found, key=lambda x: x[0])}
    per_queue: dict[str, QueueFigures] = defaultdict(QueueFigures)
    per_interval: dict[int, QueueFigures] = defaultdict(QueueFigures)
    overall = QueueFigures()
    for (queue_name, bucket), figures in cells.items():
        per_queue[queue_name].merge(figures)
        if query.counts_in_total(queue_name):
            per_interval[bucket].merge(figures)
            overall.merge(figures)
    return cells, dict(per_queue), dict(per_interval), overall


_WALL_EPOCH = dt.datetime(1970, 1, 1)


# --- agents ------------------------------------------------------------------------------


def _micros(moment: dt.datetime) -> int:
    """An aware time in Unix microseconds."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


async def _state_micros(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    agents: frozenset[str] | None,
    now: dt.datetime,
) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
    """Per agent (of ``agents``; None: every agent), the microseconds in each state clipped to
    the period, and in ``not_ready`` per pause reason: added up by the database."""
    connection = await session.connection()
    sql = ReportSql(connection.dialect.name)
    began = sql.micros(AgentStateInterval.started_at)
    began = case((began > _micros(start), began), else_=_micros(start))
    ended = sql.micros(func.coalesce(AgentStateInterval.ended_at, literal(now, UtcDateTime())))
    until = min(_micros(end), _micros(now))
    ended = case((ended < until, ended), else_=until)
    reason = case(
        (AgentStateInterval.state != "not_ready", ""),
        (func.coalesce(AgentStateInterval.reason, "") == "", "—"),
        else_=AgentStateInterval.reason,
    )
    spans = (
        select(
            AgentStateInterval.agent_id.label("agent_id"),
            AgentStateInterval.state.label("state"),
            reason.label("reason"),
            (ended - began).label("us"),
        )
        .where(
            AgentStateInterval.started_at < end,
            or_(AgentStateInterval.ended_at.is_(None), AgentStateInterval.ended_at > start),
        )
        .subquery("spans")
    )
    stmt = (
        select(spans.c.agent_id, spans.c.state, spans.c.reason, func.sum(spans.c.us))
        .where(spans.c.us > 0)
        .group_by(spans.c.agent_id, spans.c.state, spans.c.reason)
    )
    if agents is not None:
        stmt = stmt.where(spans.c.agent_id.in_(agents))
    micros: dict[str, Counter[str]] = defaultdict(Counter)
    pauses: dict[str, Counter[str]] = defaultdict(Counter)
    for agent_id, state, paused_for, us in await connection.execute(stmt):
        micros[agent_id][state] += int(us)
        if state == "not_ready":
            pauses[agent_id][paused_for] += int(us)
    return micros, pauses


def occupancy_of(busy: float, available: float) -> float | None:
    """Occupancy: time handling calls (talk, hold, ACW) ÷ that and the time waiting for one
    (ready, ringing); None with neither."""
    return round(busy / (busy + available), 4) if busy + available else None


def _busy_available(seconds: dict[str, float]) -> tuple[float, float]:
    return (
        sum(seconds.get(x, 0.0) for x in BUSY_STATES),
        sum(seconds.get(x, 0.0) for x in AVAILABLE_STATES),
    )


async def occupancy(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    agents: frozenset[str],
    now: dt.datetime | None = None,
) -> float | None:
    """The occupancy of ``agents`` together over the period (the agent report's, of their
    times added up): the wallboard's for the seats it shows."""
    micros, _ = await _state_micros(session, start, end, agents, now or utcnow())
    busy = available = 0.0
    for states in micros.values():
        b, a = _busy_available({state: us / 1e6 for state, us in states.items()})
        busy, available = busy + b, available + a
    return occupancy_of(busy, available)


async def agent_report(session: AsyncSession, query: CallsQuery) -> dict[str, Any]:
    """Per agent: logged-in time, ready, pause (total and by reason; the not-ready after a
    sign-in apart as ``after_login``, 签入未就绪: no break), talk, hold, ACW,
    calls handled (of every queue), occupancy. Times in seconds, states clipped to the period;
    the database adds the clipped spans up per agent, state and pause reason, in whole
    microseconds. ``total`` (None without rows): every agent's together, the times and calls
    as the sums of the rows' and the occupancy of all their time (合计)."""
    start, end, now = query.start, query.end, query.now or utcnow()
    scope = await call_scope(session, query.viewer, query.site_id)
    micros, pauses = await _state_micros(session, start, end, scope.agents, now)
    # A call counts for every agent who took it in the period: the one who answered, and a
    # transfer target or conference member too (their legs).
    # A call still in progress is counted once it has ended, as the queue report counts it
    # (the call detail lists it meanwhile, 通话中).
    legs = (
        select(CallLeg.agent_id, func.count(func.distinct(CallLeg.interaction_id)))
        .join(Interaction, Interaction.id == CallLeg.interaction_id)
        .where(CallLeg.answered_at >= start, CallLeg.answered_at < end, Interaction.status == "ended")
        .group_by(CallLeg.agent_id)
    )
    if not scope.everything:
        legs = legs.where(CallLeg.agent_id.in_(scope.agents or ()))
    handled = Counter({agent_id: calls for agent_id, calls in await session.execute(legs)})
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    # 签入未就绪: the not-ready a sign-in starts in (cti.agents.LOGIN_REASON) until the agent is
    # first 就绪 is no break (小休): counted apart, in neither 暂停 nor its reasons
    reasons = sorted({r for p in pauses.values() for r in p} - {LOGIN_REASON})
    rows = []
    all_busy = all_available = 0.0
    for agent in sorted(set(micros) | set(handled)):
        s = {state: us / 1e6 for state, us in micros[agent].items()}
        busy, available = _busy_available(s)
        all_busy, all_available = all_busy + busy, all_available + available
        rows.append(
            {
                "agent_id": agent,
                "agent_name": names.get(agent, ""),
                "login": round(sum(us for k, us in micros[agent].items() if k != "logged_out") / 1e6),
                "ready": round(s.get("ready", 0.0)),
                "pause": round((micros[agent]["not_ready"] - pauses[agent][LOGIN_REASON]) / 1e6),
                "pauses": {r: round(pauses[agent][r] / 1e6) for r in reasons},
                "after_login": round(pauses[agent][LOGIN_REASON] / 1e6),
                "talk": round(s.get("talking", 0.0)),
                "hold": round(s.get("on_hold", 0.0)),
                "acw": round(s.get("after_call_work", 0.0)),
                "handled": handled[agent],
                "occupancy": occupancy_of(busy, available),
            }
        )
    total = None
    if rows:
        summed = ("login", "ready", "pause", "after_login", "talk", "hold", "acw", "handled")
        total = {
            "agent_id": "",
            "agent_name": "",
            **{key: sum(r[key] for r in rows) for key in summed},
            "pauses": {reason: sum(r["pauses"][reason] for r in rows) for reason in reasons},
            "occupancy": occupancy_of(all_busy, all_available),
        }
    return {"reasons": reasons, "rows": rows, "total": total}


# --- post-call survey ---------------------------------------------------------------------


async def survey_report(session: AsyncSession, query: CallsQuery) -> dict[str, Any]:
    """The callers' own 1-5 after their call, per agent: how many, the mean, the share of 4 and 5
    (counted by the database; a 0 or no score is none given)."""
    scope = await call_scope(session, query.viewer, query.site_id)
    score = Interaction.payload["survey_score"].as_integer()
    given = (
        select(Interaction.agent_id.label("agent_id"), score.label("score"))
        .where(*_call_filter(scope, query.queue, query.start, query.end))
        .subquery("given")
    )
    g = given.c

    def count(*when: Any) -> Any:
        return func.sum(case((and_(*when), 1), else_=0))

    stmt = (
        select(
            g.agent_id,
            func.count(),
            func.sum(g.score),
            count(g.score >= 4),
            *(count(g.score == n) for n in range(1, 6)),
        )
        .where(g.score.is_not(None), g.score != 0)
        .group_by(g.agent_id)
    )
    names = dict((await session.execute(select(User.staff_no, User.name))).all())
    rows = []
    every = summed = satisfied = 0
    for agent, n, total, happy, *by_score in sorted(await session.execute(stmt), key=lambda r: r[0]):
        every, summed, satisfied = every + n, summed + int(total), satisfied + int(happy)
        rows.append(
            {
                "agent_id": agent,
                "agent_name": names.get(agent, ""),
                "count": n,
                "mean": round(int(total) / n, 2),
                "satisfied": round(int(happy) / n, 4),
                "by_score": {k: int(c) for k, c in zip(range(1, 6), by_score, strict=True)},
            }
        )
    return {
        "rows": rows,
        "total": {
            "count": every,
            "mean": round(summed / every, 2) if every else None,
            "satisfied": round(satisfied / every, 4) if every else None,
        },
    }
