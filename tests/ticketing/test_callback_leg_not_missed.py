"""A caller who pressed 9 in the queue (call me back) is neither a missed call nor an abandon
(QA F11: logged abandoned_queue and put in an agent's inbox as 未接来电, while already in the
callback campaign: called back twice, and the abandonment rate inflated). The call model's
record of such a call, stored by ticketing: no missed_call, offered in the queue report, neither
answered nor abandoned."""

from __future__ import annotations

from sqlalchemy import select

from cti.call_events import CallEnded
from tests.cti.test_calls import CALLER_1, CALLER_2, LINKED, World
from tests.cti.test_queue_timeout_overflow import CALLER_2_UID, _frame, _snapshot
from tests.ticketing.test_call_report_queue_legs import DAILY, t
from ticketing.call_reports import queue_intervals
from ticketing.calls import CallLinker
from ticketing.intake import Intake
from ticketing.models import Interaction


def _callback_call() -> CallEnded:
    w = World()
    w.incoming(t("09:30:00"))
    snap = _snapshot(CALLER_2, CALLER_2_UID, "hotline-queue", "general")
    _frame(w, "QueueCallerLeave", t("09:30:40"), **snap, Queue="general", Count="0", Position="1")
    _frame(
        w,
        "UserEvent",
        t("09:30:41"),
        **_snapshot(CALLER_2, CALLER_2_UID, "hotline-queue-exit", "9"),
        UserEvent="HotlineCallback",
        Queue="general",
    )
    w.hangup(CALLER_2, CALLER_2_UID, t("09:30:47"))
    w.hangup(CALLER_1, LINKED, t("09:30:47"))
    (ended,) = w.of(CallEnded)
    return ended


async def test_a_callback_request_is_no_missed_call_nor_an_abandon(sm, session, seeded):
    intake = Intake()
    intake.logged_in = {"1001", "1002"}
    linker = CallLinker(sm, intake=intake)
    await linker.handle(_callback_call())
    rows = list(await session.scalars(select(Interaction).order_by(Interaction.id)))
    assert [r.kind for r in rows] == ["call"]
    assert rows[0].payload["outcome"] == "callback"
    (general,) = [r for r in (await queue_intervals(session, DAILY))["totals"] if r["queue"] == "general"]
    assert (general["offered"], general["answered"], general["abandoned"], general["abandon_rate"]) == (
        1,
        0,
        0,
        0.0,
    )
