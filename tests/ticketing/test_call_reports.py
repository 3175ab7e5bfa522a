"""Call detail, queue-interval and agent reports on known calls and agent states (SQLite and PostgreSQL).

The calls go in the way production writes them: CTI events through ``CallLinker`` and
``AgentStateRecorder``; the expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered
from ticketing.agent_states import AgentStateRecorder
from ticketing.call_reports import (
    CallsQuery,
    QueueQuery,
    agent_report,
    call_detail,
    queue_intervals,
    survey_report,
)
from ticketing.calls import CallLinker
from ticketing.models import AgentStateInterval
from ticketing.users import create_user

TZ = ZoneInfo("Asia/Shanghai")
DAY_START = dt.datetime(2026, 11, 26, tzinfo=TZ)
DAY_END = DAY_START + dt.timedelta(days=1)
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=TZ)


def t(hms: str) -> float:
    """Unix seconds of a time of 2026-11-26 in Shanghai."""
    h, m, s = (int(x) for x in hms.split(":"))
    return dt.datetime(2026, 11, 26, h, m, s, tzinfo=TZ).timestamp()


def call(call_id, queue, agent, queued, outcome, *, answered=None, ended, hold=0.0):
    """The events CallLinker stores for one inbound queue call."""
    events = []
    if outcome == "answered":
        events += [
            CallOffered(
                call_id=call_id, agent_id=agent, caller="13800001111", queue=queue, offered_at=t(queued)
            ),
            CallAnswered(call_id=call_id, agent_id=agent, queue=queue, answered_at=t(answered)),
        ]
    events.append(
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome=outcome,
            caller="13800001111",
            queue=queue,
            agent_id=agent if outcome == "answered" else "",
            started_at=t(queued) - 15,  # the IVR before the queue
            queued_at=t(queued),
            answered_at=t(answered) if answered else 0.0,
            ended_at=t(ended),
            hold_seconds=hold,
        )
    )
    return events


CALLS = [
    # service 08:00–08:30: wait 10 s (in SL), talk 100 + hold 20, ACW 30
    *call("c1", "service", "1001", "08:00:00", "answered", answered="08:00:10", ended="08:02:10", hold=20),
    # wait 30 s (outside SL), talk 200, ACW 60
    *call("c2", "service", "1002", "08:05:00", "answered", answered="08:05:30", ended="08:08:50"),
    # gone after 3 s: a short abandon, not counted
    *call("c3", "service", "", "08:10:00", "abandoned_queue", ended="08:10:03"),
    # gone after 40 s: abandoned
    *call("c4", "service", "", "08:20:00", "abandoned_queue", ended="08:20:40"),
    # service 08:30–09:00: wait 5 s, talk 60, no ACW
    *call("c5", "service", "1001", "08:40:00", "answered", answered="08:40:05", ended="08:41:05"),
    # fault 09:00–09:30: wait 15 s, talk 90, answered by a Guangzhou agent
    *call("c6", "fault", "6001", "09:00:00", "answered", answered="09:00:15", ended="09:01:45"),
]


def states(agent, *changes):
    out, previous = [], "logged_out"
    for at, state, *rest in changes:
        reason, call_id = (rest + ["", ""])[:2]
        out.append(
            AgentStateChanged(
                agent_id=agent,
                state=state,
                previous=previous,
                seconds_in_previous=0.0,
                reason=reason,
                call_id=call_id,
                at=t(at),
            )
        )
        previous = state
    return out


STATES = [
    *states(
        "1001",
        ("07:50:00", "not_ready", "登录"),
        ("07:55:00", "ready"),
        ("08:00:08", "ringing", "", "c1"),
        ("08:00:10", "talking", "", "c1"),
        ("08:01:00", "on_hold", "", "c1"),
        ("08:01:20", "talking", "", "c1"),
        ("08:02:10", "after_call_work", "话后处理", "c1"),
        ("08:02:40", "ready"),
        ("08:30:00", "not_ready", "小休"),
        ("08:39:00", "ready"),
        ("08:40:03", "ringing", "", "c5"),
        ("08:40:05", "talking", "", "c5"),
        ("08:41:05", "ready"),
        ("09:00:00", "logged_out"),
    ),
    *states(
        "1002",
        ("08:04:00", "not_ready", "登录"),
        ("08:04:30", "ready"),
        ("08:05:28", "ringing", "", "c2"),
        ("08:05:30", "talking", "", "c2"),
        ("08:08:50", "after_call_work", "话后处理", "c2"),
        ("08:09:50", "ready"),  # still ready at NOW (10:00)
    ),
]


@pytest.fixture
async def known(sm, session, seeded):
    gz = seeded.sites["440100"]
    await create_user(
        session, "6001", "广州坐席", "secret123", roles=["agent"], site_id=gz.id, skills={"fault": 1}
    )
    await session.commit()
    linker = CallLinker(sm)
    for event in CALLS:
        await linker.handle(event)
    recorder = AgentStateRecorder(sm)
    for event in STATES:
        await recorder.handle(event)
    return seeded


async def test_queue_intervals_on_known_calls(session, known):
    report = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval=30))
    rows = {(r["queue"], r["interval"]): r for r in report["rows"]}
    assert list(rows) == [
        ("fault", "2026-11-26 09:00"),
        ("service", "2026-11-26 08:00"),
        ("service", "2026-11-26 08:30"),
    ]
    first = rows[("service", "2026-11-26 08:00")]
    # c1, c2, c4 offered (c3 a short abandon); c1 within 20 s
    assert first == {
        "queue": "service",
        "interval": "2026-11-26 08:00",
        "offered": 3,
        "answered": 2,
        "abandoned": 1,
        "short_abandoned": 1,
        "answered_in_sl": 1,
        "service_level": 0.3333,
        "asa": 20.0,  # (10 + 30) / 2
        "aht": 205.0,  # ((100 + 20 + 30) + (200 + 60)) / 2
        "abandon_rate": 0.3333,
    }
    assert rows[("service", "2026-11-26 08:30")]["service_level"] == 1.0
    assert rows[("service", "2026-11-26 08:30")]["aht"] == 60.0
    totals = {r["queue"]: r for r in report["totals"]}
    assert totals["service"]["offered"] == 4
    assert totals["service"]["service_level"] == 0.5
    assert totals["service"]["asa"] == 15.0  # (10 + 30 + 5) / 3
    assert totals["service"]["aht"] == 156.7  # (150 + 260 + 60) / 3
    assert totals["service"]["abandon_rate"] == 0.25
    assert [(r["interval"], r["offered"]) for r in report["by_interval"]] == [
        ("2026-11-26 08:00", 3),
        ("2026-11-26 08:30", 1),
        ("2026-11-26 09:00", 1),
    ]
    assert report["overall"]["service_level"] == 0.6  # c1, c5, c6 of 5
    assert report["overall"]["asa"] == 15.0  # (10 + 30 + 5 + 15) / 4
    assert report["overall"]["aht"] == 140.0  # (150 + 260 + 60 + 90) / 4


async def test_queue_intervals_by_hour_day_threshold_and_queue(session, known):
    hourly = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval=60, queue="service"))
    [eight] = hourly["rows"]
    assert (eight["interval"], eight["offered"], eight["answered_in_sl"]) == ("2026-11-26 08:00", 4, 2)
    daily = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval="day", threshold=30))
    assert [(r["queue"], r["interval"], r["service_level"]) for r in daily["rows"]] == [
        ("fault", "2026-11-26", 1.0),
        ("service", "2026-11-26", 0.75),  # c2's 30 s now counts
    ]
    # short abandons set to 2 s: c3 (3 s) counts as abandoned
    strict = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval="day", short_abandon=2))
    assert strict["totals"][1]["abandoned"] == 2 and strict["totals"][1]["offered"] == 5
    with pytest.raises(ValueError):
        await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval=45))


async def test_agent_report_from_state_intervals(session, known):
    report = await agent_report(session, CallsQuery(DAY_START, DAY_END, now=NOW))
    rows = {r["agent_id"]: r for r in report["rows"]}
    # the not-ready after signing in (登录) is no break: 签入未就绪 apart, not in 暂停 (QA)
    assert report["reasons"] == ["小休"]
    assert rows["1001"] == {
        "agent_id": "1001",
        "agent_name": known.users["1001"].name,
        "login": 4200,  # 07:50 → 09:00
        "ready": 3146,  # 308 + 1640 + 63 + 1135
        "pause": 540,
        "pauses": {"小休": 540},
        "after_login": 300,
        "talk": 160,
        "hold": 20,
        "acw": 30,
        "handled": 2,
        "occupancy": 0.0625,  # 210 / (210 + 3146 + 4 ringing)
    }
    assert rows["1002"]["login"] == 6960  # 08:04 → NOW, still signed in
    assert rows["1002"]["ready"] == 58 + 6610
    assert rows["1002"]["occupancy"] == round(260 / (260 + 58 + 6610 + 2), 4)
    # answered a call but no states recorded (e.g. before the recorder ran)
    assert rows["6001"]["handled"] == 1 and rows["6001"]["occupancy"] is None
    # a part of the day: 08:00–08:30 clips the intervals (1002 signed in at 08:04, 1001 before)
    half = await agent_report(
        session, CallsQuery(DAY_START.replace(hour=8), DAY_START.replace(hour=8, minute=30), now=NOW)
    )
    first = {r["agent_id"]: r for r in half["rows"]}["1001"]
    assert first["login"] == 1800 and first["talk"] == 100 and first["pauses"] == {}
    assert first["after_login"] == 0


async def test_a_transferred_call_counts_for_each_agent_who_took_it(sm, session, known):
    await CallLinker(sm).handle(
        CallAnswered(call_id="c7", agent_id="1001", queue="service", answered_at=t("09:10:00"))
    )
    for event in [
        CallAnswered(call_id="c7", agent_id="1002", queue="service", answered_at=t("09:11:00")),
        CallEnded(
            call_id="c7",
            direction="inbound",
            outcome="answered",
            caller="13800001111",
            queue="service",
            agent_id="1002",
            queued_at=t("09:09:50"),
            answered_at=t("09:10:00"),
            ended_at=t("09:12:00"),
            legs=(("1001", t("09:10:00"), t("09:10:58")), ("1002", t("09:11:00"), t("09:12:00"))),
        ),
    ]:
        await CallLinker(sm).handle(event)
    report = await agent_report(session, CallsQuery(DAY_START, DAY_END, now=NOW))
    handled = {r["agent_id"]: r["handled"] for r in report["rows"]}
    assert (handled["1001"], handled["1002"], handled["6001"]) == (3, 2, 1)
    # the record itself stays one call, ended by the agent who had it last
    detail = await call_detail(session, CallsQuery(DAY_START, DAY_END))
    (c7,) = [r for r in detail["rows"] if r["call_id"] == "c7"]
    assert c7["agent_id"] == "1002" and c7["handled_by"] == ["1001", "1002"]
    (c1,) = [r for r in detail["rows"] if r["call_id"] == "c1"]
    assert c1["handled_by"] == ["1001"]


async def test_state_changes_replayed_or_out_of_order_give_the_same_rows(sm, session, known):
    async def snapshot():
        async with sm() as s:
            rows = await s.scalars(
                select(AgentStateInterval).order_by(
                    AgentStateInterval.agent_id, AgentStateInterval.started_at
                )
            )
            return [(r.agent_id, r.state, r.reason, r.call_id, r.started_at, r.ended_at) for r in rows]

    before = await snapshot()
    assert len(before) == len(STATES)
    recorder = AgentStateRecorder(sm)
    for event in STATES:  # a replay
        await recorder.handle(event)
    assert await snapshot() == before
    async with sm.begin() as s:
        await s.execute(AgentStateInterval.__table__.delete())
    for event in reversed(STATES):  # late, backwards
        await recorder.handle(event)
    assert await snapshot() == before


async def test_call_detail_has_waits_talk_acw_and_links(session, known):
    detail = await call_detail(session, CallsQuery(DAY_START, DAY_END))
    assert detail["total"] == 6
    rows = {r["call_id"]: r for r in detail["rows"]}
    assert list(rows) == ["c6", "c5", "c4", "c3", "c2", "c1"]  # newest first
    c1 = rows["c1"]
    assert (c1["queue"], c1["agent_id"], c1["outcome"]) == ("service", "1001", "answered")
    assert (c1["wait"], c1["talk"], c1["hold"], c1["acw"]) == (10.0, 100.0, 20.0, 30.0)
    assert c1["agent_name"] == known.users["1001"].name
    assert c1["started_at"] == dt.datetime.fromtimestamp(t("07:59:45"), dt.UTC)
    assert (rows["c4"]["outcome"], rows["c4"]["wait"]) == ("abandoned_queue", 40.0)
    page = await call_detail(session, CallsQuery(DAY_START, DAY_END), offset=4, limit=10)
    assert [r["call_id"] for r in page["rows"]] == ["c2", "c1"] and page["total"] == 6
    assert (await call_detail(session, CallsQuery(DAY_START, DAY_END, queue="fault")))["total"] == 1


async def test_call_reports_keep_to_the_viewers_sites(session, known):
    users = known.users
    gz_viewer = users["5101"]  # a Guangzhou handler: sees Guangzhou's agents and their queue
    detail = await call_detail(session, CallsQuery(DAY_START, DAY_END, viewer=gz_viewer))
    assert [r["call_id"] for r in detail["rows"]] == ["c6"]
    queues = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, viewer=gz_viewer))
    assert [r["queue"] for r in queues["totals"]] == ["fault"]
    agents = await agent_report(session, CallsQuery(DAY_START, DAY_END, viewer=gz_viewer, now=NOW))
    assert [r["agent_id"] for r in agents["rows"]] == ["6001"]
    hq_leader = users["2001"]
    assert (await call_detail(session, CallsQuery(DAY_START, DAY_END, viewer=hq_leader)))["total"] == 6
    # HQ narrowed to the Shenzhen bureau: no agents there, nothing to see
    sz = known.sites["440300"].id
    narrowed = CallsQuery(DAY_START, DAY_END, viewer=hq_leader, site_id=sz)
    assert (await call_detail(session, narrowed))["total"] == 0


async def test_post_call_survey_per_agent(sm, session, known):
    from ivr.events import SurveyAnswered

    linker = CallLinker(sm)
    for call_id, score in (("c1", 5), ("c5", 2), ("c2", 4)):
        await linker.handle(SurveyAnswered(call_id=call_id, score=score, caller="13800001111"))
    got = await survey_report(session, CallsQuery(DAY_START, DAY_END))
    by_agent = {r["agent_id"]: r for r in got["rows"]}
    # 1001: 5 and 2 -> mean 3.5, one of two satisfied; 1002: a 4
    assert by_agent["1001"]["count"] == 2 and by_agent["1001"]["mean"] == 3.5
    assert by_agent["1001"]["satisfied"] == 0.5 and by_agent["1001"]["by_score"][2] == 1
    assert by_agent["1002"]["mean"] == 4 and by_agent["1002"]["satisfied"] == 1
    assert got["total"] == {"count": 3, "mean": round(11 / 3, 2), "satisfied": round(2 / 3, 4)}
    detail = {r["call_id"]: r for r in (await call_detail(session, CallsQuery(DAY_START, DAY_END)))["rows"]}
    assert detail["c1"]["survey"] == 5 and detail["c4"]["survey"] is None
    assert (await survey_report(session, CallsQuery(DAY_START, DAY_END, queue="fault")))["rows"] == []


async def test_a_call_that_ended_in_the_ivr_is_listed_as_such_with_no_queue_wait(sm, session, known):
    await CallLinker(sm).handle(
        CallEnded(
            call_id="ivr1",
            direction="inbound",
            outcome="ivr",
            caller="13800002222",
            started_at=t("09:10:00"),
            ended_at=t("09:11:30"),  # 90 s in the menus: self-service, no agent asked for
        )
    )
    detail = await call_detail(session, CallsQuery(DAY_START, DAY_END))
    row = next(r for r in detail["rows"] if r["call_id"] == "ivr1")
    assert (row["outcome"], row["queue"], row["wait"]) == ("ivr", "", 0.0)
