"""The wallboard's figures for 今日 (agent_ui.board_today) are the 今天 reports' for the same calls:
呼入, 接通, 放弃, 放弃率, 服务水平, ASA, AHT per queue and in total from the queue report, the
occupancy of the seats on the board from the agent report's states; a call in progress counts
from its answer (its wait for ASA at once, its handle time for AHT once it has ended).
The known calls and states of test_call_reports (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from agent_ui.board_today import day_start, today_figures
from tests.ticketing.test_call_reports import DAY_END, DAY_START, NOW, TZ, known, t  # noqa: F401 (the fixture)
from ticketing.call_reports import CallsQuery, QueueQuery, agent_report, occupancy, queue_intervals


def _services(sm):
    # the hotline's own queues (board_today.own_queues): the routing's, here every queue the calls
    # were in, so the board's 合计 is the report's overall over all of them
    return SimpleNamespace(
        site_timezone="Asia/Shanghai", sessionmaker=sm, queues=("service", "fault"), default_skills=()
    )


def _row(report_row):
    return {k: v for k, v in report_row.items() if k not in ("queue", "interval")}


@pytest.mark.usefixtures("known")  # test_call_reports' calls and states, stored as production does
async def test_the_board_figures_are_the_today_reports(sm, session):
    today = await today_figures(_services(sm), [], ["1001", "1002"], now=NOW.astimezone(dt.UTC))
    assert today["period"] == "today" and today["start"] == DAY_START.timestamp()
    assert today["tz"] == "Asia/Shanghai"
    report = await queue_intervals(session, QueueQuery(DAY_START, DAY_END, interval="day", now=NOW))
    assert today["queues"] == {row["queue"]: _row(row) for row in report["totals"]}
    assert today["total"] == report["overall"]
    service = today["queues"]["service"]
    # c1, c2, c4, c5 offered (c3 gone in 3 s: a short abandon); waits 10, 30, 5; handle 150, 260, 60
    assert (service["offered"], service["answered"], service["abandoned"]) == (4, 3, 1)
    assert service["abandon_rate"] == 0.25 and service["service_level"] == 0.5
    assert service["asa"] == 15.0 and service["aht"] == 156.7
    # occupancy of 1001 and 1002 together: busy 210 + 260 s; ready and ringing 3150 + 6670 s
    assert today["occupancy"] == round(470 / (470 + 9820), 4)
    # one seat's is the agent report's own
    agents = {
        row["agent_id"]: row
        for row in (await agent_report(session, CallsQuery(DAY_START, DAY_END, now=NOW)))["rows"]
    }
    await session.rollback()  # its reads done: SQLite lets the board's own session begin
    one = await today_figures(_services(sm), [], ["1002"], now=NOW.astimezone(dt.UTC))
    assert one["occupancy"] == agents["1002"]["occupancy"] == round(260 / (260 + 6670), 4)
    assert (
        await occupancy(session, DAY_START, NOW, agents=frozenset({"1001"}), now=NOW)
        == agents["1001"]["occupancy"]
    )


@pytest.mark.usefixtures("known")
async def test_a_call_in_progress_counts_from_its_answer(sm, session):
    live = [
        # answered in service after 25 s, still talking: offered, answered, not in SL, ASA
        {"call_id": "live", "direction": "inbound", "queue": "service", "queued_at": t("09:59:00"),
         "answered_at": t("09:59:25"), "waited": 25.0, "ended_at": 0.0},
        # still waiting: the board's 排队, not decided yet
        {"call_id": "wait", "direction": "inbound", "queue": "service", "queued_at": t("09:59:50")},
        # answered in fault, then handed to service where it waits: counted there when it ends
        {"call_id": "moved", "direction": "inbound", "queue": "service", "queued_at": t("09:59:40"),
         "answered_at": t("09:58:00"), "waited": 3.0},
        # a callback: no queue call
        {"call_id": "out", "direction": "outbound", "queue": "", "answered_at": t("09:59:00")},
    ]  # fmt: skip
    today = await today_figures(_services(sm), live, [], now=NOW.astimezone(dt.UTC))
    service = today["queues"]["service"]
    assert (service["offered"], service["answered"], service["abandoned"]) == (5, 4, 1)
    assert service["service_level"] == 0.4 and service["abandon_rate"] == 0.2
    assert service["asa"] == 17.5  # (10 + 30 + 5 + 25) / 4
    assert service["aht"] == 156.7  # the ended calls': the live one's handle time is not known yet
    assert (today["total"]["offered"], today["total"]["answered"]) == (6, 5)  # fault's c6 too
    assert today["occupancy"] is None  # no seat on the board


def test_the_day_starts_at_the_sites_midnight():
    late = dt.datetime(2026, 11, 26, 23, 30, tzinfo=TZ)
    assert day_start(late.astimezone(dt.UTC), "Asia/Shanghai") == DAY_START.astimezone(dt.UTC)
    # 16:30 UTC on the 26th is already the 27th in Shanghai
    assert day_start(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC), "Asia/Shanghai") == DAY_END
