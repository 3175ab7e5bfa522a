"""The reports count a call that visited two queues in each (its queue legs), as the wallboard
does, and a call still in progress in no report until it has ended, listed 通话中 meanwhile
(QA: 投诉 offered 6 in the report and 7 on the board; the call detail showed the transferred
call only under its last queue, wait 0.0; the agent report counted live calls the queue report
did not). SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from cti.call_events import CallAnswered, CallEnded, CallOffered
from ticketing.call_reports import CallsQuery, QueueQuery, agent_report, call_detail, queue_intervals
from ticketing.calls import CallLinker

TZ = ZoneInfo("Asia/Shanghai")
DAY_START = dt.datetime(2026, 11, 26, tzinfo=TZ)
DAY_END = DAY_START + dt.timedelta(days=1)
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=TZ)
DAILY = QueueQuery(DAY_START, DAY_END, interval="day", now=NOW)


def t(hms: str) -> float:
    h, m, s = (int(x) for x in hms.split(":"))
    return dt.datetime(2026, 11, 26, h, m, s, tzinfo=TZ).timestamp()


def transferred(call_id: str, *, second: str = "answered") -> list:
    """Queued in ``service`` at 09:20:00, answered by 1001 after 4 s, blind-transferred to
    ``complaint`` at 09:21:00, where 1002 answers after 6 s (or the caller gives up after 40 s)."""
    answered_there = second == "answered"
    ended = "09:23:06" if answered_there else "09:21:40"
    events = [
        CallOffered(
            call_id=call_id, agent_id="1001", caller="13800001111", queue="service", offered_at=t("09:20:01")
        ),
        CallAnswered(call_id=call_id, agent_id="1001", queue="service", answered_at=t("09:20:04")),
    ]
    if answered_there:
        events.append(
            CallAnswered(call_id=call_id, agent_id="1002", queue="complaint", answered_at=t("09:21:06"))
        )
    events.append(
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome="answered" if answered_there else "abandoned_queue",
            caller="13800001111",
            queue="complaint",
            agent_id="1002" if answered_there else "1001",
            started_at=t("09:19:50"),
            queued_at=t("09:21:00"),
            answered_at=t("09:20:04"),
            ended_at=t(ended),
            waited=6.0 if answered_there else 40.0,
            legs=(("1001", t("09:20:04"), t("09:21:00")),)
            + ((("1002", t("09:21:06"), t(ended)),) if answered_there else ()),
            queue_legs=(
                ("service", t("09:20:00"), t("09:20:04"), "answered", "1001"),
                (
                    "complaint",
                    t("09:21:00"),
                    t("09:21:06") if answered_there else t(ended),
                    second,
                    "1002" if answered_there else "",
                ),
            ),
        )
    )
    return events


async def _stored(sm, *events) -> None:
    linker = CallLinker(sm)
    for event in events:
        await linker.handle(event)


async def test_a_call_transferred_to_a_queue_is_offered_and_answered_in_each_queue(sm, session, seeded):
    await _stored(sm, *transferred("x1"))
    report = await queue_intervals(session, DAILY)
    totals = {r["queue"]: r for r in report["totals"]}
    assert {q: (r["offered"], r["answered"], r["abandoned"], r["asa"]) for q, r in totals.items()} == {
        "complaint": (1, 1, 0, 6.0),
        "service": (1, 1, 0, 4.0),
    }
    # each queue's handle time is its own leg's talk: 1001 from 09:20:04 to the transfer at
    # 09:21:00, 1002 from 09:21:06 to the end at 09:23:06
    assert (totals["service"]["aht"], totals["complaint"]["aht"]) == (56.0, 120.0)
    assert (report["overall"]["offered"], report["overall"]["answered"]) == (2, 2)
    # the queue filter finds the earlier queue's leg too
    only = await queue_intervals(session, dataclasses.replace(DAILY, queue="service"))
    assert [(r["queue"], r["offered"], r["answered"], r["asa"]) for r in only["totals"]] == [
        ("service", 1, 1, 4.0)
    ]
    # the call detail lists the call under either queue, with both legs and the time it waited in all
    for queue in ("service", "complaint"):
        (row,) = (await call_detail(session, CallsQuery(DAY_START, DAY_END, queue=queue)))["rows"]
        assert row["call_id"] == "x1"
    assert row["queue_legs"] == [
        {"queue": "service", "wait": 4.0, "outcome": "answered", "agent_id": "1001"},
        {"queue": "complaint", "wait": 6.0, "outcome": "answered", "agent_id": "1002"},
    ]
    assert (row["wait"], row["handled_by"], row["outcome"]) == (10.0, ["1001", "1002"], "answered")
    # the agents who took it: one call each, as the queues answered one each
    handled = {
        r["agent_id"]: r["handled"]
        for r in (await agent_report(session, CallsQuery(DAY_START, DAY_END, now=NOW)))["rows"]
    }
    assert (handled["1001"], handled["1002"]) == (1, 1)


async def test_a_caller_answered_then_given_up_in_the_queue_transferred_to_is_each_queues_own(
    sm, session, seeded
):
    await _stored(sm, *transferred("x2", second="abandoned_queue"))
    report = await queue_intervals(session, DAILY)
    totals = {r["queue"]: r for r in report["totals"]}
    assert (totals["service"]["answered"], totals["service"]["abandoned"]) == (1, 0)
    assert (totals["complaint"]["answered"], totals["complaint"]["abandoned"]) == (0, 1)


async def test_a_call_in_progress_is_in_no_report_yet_and_listed_in_progress(sm, session, seeded):
    await _stored(
        sm,
        CallOffered(
            call_id="live", agent_id="1001", caller="13800001111", queue="service", offered_at=t("10:00:00")
        ),
        CallAnswered(call_id="live", agent_id="1001", queue="service", answered_at=t("10:00:05")),
        CallOffered(
            call_id="rings", agent_id="1002", caller="13800002222", queue="service", offered_at=t("10:01:00")
        ),
        *transferred("done"),
    )
    answered = sum(r["answered"] for r in (await queue_intervals(session, DAILY))["totals"])
    handled = sum(
        r["handled"] for r in (await agent_report(session, CallsQuery(DAY_START, DAY_END, now=NOW)))["rows"]
    )
    assert answered == handled == 2  # the ended call's two legs; the live one in neither yet
    rows = {r["call_id"]: r for r in (await call_detail(session, CallsQuery(DAY_START, DAY_END)))["rows"]}
    assert (rows["live"]["outcome"], rows["rings"]["outcome"]) == ("in_progress", "ringing")
    assert rows["live"]["wait"] == 5.0
