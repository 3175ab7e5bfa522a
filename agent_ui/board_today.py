"""The wallboard's figures for 今日 (DOMAIN §8): per queue and in total 呼入, 接通, 放弃, 放弃率,
服务水平, ASA and AHT, and the occupancy of the seats on the board, from the site's midnight on.

One source of truth: the ended calls are added up by the queue report (``queue_intervals``
over today, one interval of a day: the 今天 report's own figures) and the occupancy is the agent
report's (``occupancy``), so after a bridge or web restart the board still says today's. A call
still in progress is counted by no report until it ends; the board counts it from its answer
(the bridge's live calls, per queue leg as the report counts them: a call answered in one
queue and waiting in a second stays on the first's row), merged into the report's figures by
the report's own ``QueueFigures`` (its wait counts for ASA at once; its handle time, known at
the end of its after-call work, counts for AHT only then).

The total is the hotline's own queues' (``own_queues``, as the queue report's 合计): another queue on the same Asterisk (another line's, a test's) keeps its row, marked as one of
the ``other_queues``, and never moves the centre's 服务水平 or 放弃率.

Beside them, per queue and in total, the callers waiting now to be called back (待回拨: they
pressed 9 to keep their place; ``campaigns.store.callbacks_waiting``, the pending contacts of the
queue's callback campaigns), read with the stored part.

The gateway works these out when a board opens and again while boards are open, at most once a
second: the stored part (three grouped queries) after a call's end or the end of an after-call
work, news of the callers waiting to be called back (the gateway's ``_CALLBACK_NEWS``: a callback
request stored, a campaign call offered, placed or ended, a result recorded by hand, a campaign
started, paused or finished, a number put on or taken off the do-not-call list), and every
``REFRESH_SECONDS`` anyway (occupancy moves with time; the day turns at midnight); the live part
alone (no query) after queue news or an answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from agent_ui import bodies
from campaigns import store as campaign_store
from cti.queues import SERVICE_LEVEL_SECONDS
from ticketing import call_reports, users
from ticketing.call_reports import QueueFigures

#: the period the board's figures are for: the site's day so far
PERIOD = "today"
#: while boards are open the figures are worked out again at least this often
REFRESH_SECONDS = 15.0
#: and at most this often after news
MIN_GAP_SECONDS = 1.0


async def own_queues(session: Any, services: Any) -> frozenset[str]:
    """The hotline's queues (``users.own_queues``) for this app's routing and default skills."""
    return await users.own_queues(session, services.queues, services.default_skills)


def hotline_queues(services: Any, staffed: Iterable[str]) -> frozenset[str]:
    """``own_queues`` from the staffed queues already read (``users.staffed_queues``)."""
    return users.hotline_queues(services.queues, staffed)


def day_start(now: dt.datetime, tz: str) -> dt.datetime:
    """The site's midnight that began ``now``'s day, in UTC (as the 今天 report's period starts)."""
    return bodies.day_start(now.astimezone(ZoneInfo(tz)).date(), tz)


def in_progress(
    calls: Iterable[dict[str, Any]], threshold: float = SERVICE_LEVEL_SECONDS
) -> dict[str, QueueFigures]:
    """Per queue, the calls not ended yet, counted per queue leg as the queue report will once
    they end: a leg answered there is offered and answered, within ``threshold`` or not, after
    its wait; a leg left unanswered for another queue (overflow) or for a callback is offered
    there; the leg the caller still waits in is not decided yet. A call answered in one queue and waiting in a
    second keeps its first queue's leg. A call without legs (an older bridge): answered in the
    queue it is in now."""
    figures: dict[str, QueueFigures] = {}

    def count(queue: str, outcome: str, wait: float) -> None:
        f = figures.setdefault(queue, QueueFigures())
        f.offered += 1
        if outcome == "answered":
            wait = round(max(0.0, wait), 1)
            f.answered += 1
            f.answered_in_sl += int(wait <= threshold)
            f.wait_answered += wait

    for call in calls:
        if call.get("direction") != "inbound" or call.get("ended_at"):
            continue
        legs = call.get("queue_legs") or ()
        if legs:
            for leg in legs:
                queue, queued_at, left_at, outcome = (
                    (leg.get("queue"), leg.get("queued_at"), leg.get("left_at"), leg.get("outcome"))
                    if isinstance(leg, dict)
                    else tuple(leg)[:4]
                )
                if queue and outcome in ("answered", "overflow", "callback"):
                    count(str(queue), str(outcome), float(left_at or 0.0) - float(queued_at or 0.0))
            continue
        queue = str(call.get("queue") or "")
        answered_at = float(call.get("answered_at") or 0.0)
        queued_at = float(call.get("queued_at") or 0.0)
        if not queue or not answered_at:
            continue
        if queued_at and queued_at > answered_at:
            continue  # handed to this queue after its answer, no legs known: counted when it ends
        count(queue, "answered", float(call.get("waited") or 0.0))
    return figures


def combine(ended: QueueFigures | None, live: QueueFigures | None) -> dict[str, Any]:
    """A queue's (or the total's) board row: the report's figures of its ended calls, with the
    calls in progress merged in (AHT stays the ended calls': a live call's handle time is not
    known yet)."""
    figures = QueueFigures()
    if ended is not None:
        figures.merge(ended)
    if live is not None:
        figures.merge(live)
    return {**figures.row(), "aht": (ended or QueueFigures()).row()["aht"]}


@dataclasses.dataclass
class Stored:
    """What the database says of today so far: the queue report's sums of the ended calls (per
    queue, and overall over the hotline's ``own`` queues) and the occupancy of the seats, worked
    out at ``at`` for ``seats``."""

    start: dt.datetime
    tz: str
    queues: dict[str, QueueFigures]
    overall: QueueFigures
    occupancy: float | None
    seats: frozenset[str]
    at: dt.datetime
    #: the hotline's queues (``own_queues``): the total counts only these
    own: frozenset[str] = frozenset()
    #: per queue, the callers waiting to be called back (待回拨, ``store.callbacks_waiting``):
    #: not a figure of the day but of now, read with the rest
    callbacks: dict[str, int] = dataclasses.field(default_factory=dict)


async def stored_figures(services: Any, seats: Iterable[str], now: dt.datetime | None = None) -> Stored:
    """Today's figures of the stored calls and states (two grouped queries), and the callers
    waiting to be called back now (a third)."""
    now = now or dt.datetime.now(dt.UTC)
    tz = services.site_timezone
    start = day_start(now, tz)
    seats = frozenset(str(s) for s in seats if s)
    async with services.sessionmaker() as session:
        own = await own_queues(session, services)
        _, ended, _, overall = await call_reports.queue_figures(
            session, call_reports.QueueQuery(start, now, interval="day", tz=tz, now=now, own_queues=own)
        )
        occupancy = (
            await call_reports.occupancy(session, start, now, agents=seats, now=now) if seats else None
        )
        callbacks = await campaign_store.callbacks_waiting(session, now)
    return Stored(start, tz, ended, overall, occupancy, seats, now, own, callbacks)


def with_live(stored: Stored, calls: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The board's ``today``: ``stored`` with the calls in progress merged in (no query: the
    gateway does this alone when only a live call changed)."""
    live = in_progress(calls)
    total_live = QueueFigures()
    for name, figures in live.items():
        if name in stored.own:
            total_live.merge(figures)
    names = sorted(set(stored.queues) | set(live))
    return {
        "period": PERIOD,
        "start": stored.start.timestamp(),
        "tz": stored.tz,
        "threshold": SERVICE_LEVEL_SECONDS,
        "queues": {name: combine(stored.queues.get(name), live.get(name)) for name in names},
        # the hotline's queues together; the others' rows are shown apart (其他队列)
        "total": combine(stored.overall, total_live),
        "other_queues": [name for name in names if name not in stored.own],
        "occupancy": stored.occupancy,
        # 待回拨 now, per queue (a queue with none is left out), and in all
        "callbacks": dict(stored.callbacks),
        "callbacks_total": sum(stored.callbacks.values()),
        "at": stored.at.timestamp(),
    }


async def today_figures(
    services: Any,
    calls: Iterable[dict[str, Any]],
    seats: Iterable[str],
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The board's ``today``: the period, a row per queue, the total row, and the occupancy of
    ``seats`` (the 工号 of the seats it shows), as the 今天 reports count them."""
    return with_live(await stored_figures(services, seats, now), calls)
