"""The centre's KPI is its own queues': the wallboard's 合计 and the queue report's 合计 row,
summary and charts count only the hotline's queues (those users have skills for, and the default
skills'); another queue on the same Asterisk (another line's, a test's) keeps its rows, apart as
其他队列, and never turns the hotline's 服务水平 red (QA: a test queue's abandons read 放弃率 100 %)."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from agent_ui.board_today import day_start
from cti.call_events import CallAnswered, CallEnded, CallOffered
from tests.agent_ui.conftest import login
from tests.agent_ui.test_wallboard_today import supervisors_wallboard
from ticketing.calls import CallLinker

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-20"
PERIOD = {"from": DAY, "to": DAY, "interval": "day"}
OTHER = "cti-elsewhere"  # a queue of the same Asterisk nobody of the hotline has a skill for


def _answered(call_id: str, queue: str, queued: float) -> list:
    """A call answered by 1001 after 5 s, talked 30 s."""
    return [
        CallOffered(
            call_id=call_id, agent_id="1001", caller="13800001111", queue=queue, offered_at=queued + 4
        ),
        CallAnswered(call_id=call_id, agent_id="1001", queue=queue, answered_at=queued + 5),
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome="answered",
            caller="13800001111",
            queue=queue,
            agent_id="1001",
            started_at=queued,
            queued_at=queued,
            answered_at=queued + 5,
            ended_at=queued + 35,
        ),
    ]


def _abandoned(call_id: str, queue: str, queued: float) -> list:
    """A caller who gave up after 60 s of waiting."""
    return [
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome="abandoned_queue",
            caller="13800002222",
            queue=queue,
            started_at=queued,
            queued_at=queued,
            ended_at=queued + 60,
        )
    ]


async def _store(world, events: list) -> None:
    linker = CallLinker(world.services.sessionmaker)
    for event in events:
        await linker.handle(event)


async def test_the_queue_report_totals_the_hotlines_queues_and_shows_the_others_apart(client, world):
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ).timestamp()
    await _store(
        world,
        _answered("own-1", "fault", at)
        + _abandoned("other-1", OTHER, at + 60)
        + _abandoned("other-2", OTHER, at + 120),
    )
    await login(client, "9001")
    data = await (await client.get("/api/reports/queues", params=PERIOD)).json()
    keys = [c["key"] for c in data["columns"]]
    rows = [dict(zip(keys, r, strict=True)) for r in data["rows"]]
    # the hotline's queue by its name and its 合计 first, then the other queue's block, said so
    assert [(r["queue"], r["interval"]) for r in rows] == [
        ("故障报修", DAY),
        ("故障报修", "合计"),
        (f"其他队列：{OTHER}", DAY),
        (f"其他队列：{OTHER}", "合计"),
    ]
    assert (rows[2]["offered"], rows[2]["abandoned"]) == (2, 2)
    # the summary and the per-interval chart are the hotline's: 1 call, answered within 20 s
    summary = data["summary"]
    assert (summary["offered"], summary["service_level"], summary["abandon_rate"]) == (1, 1.0, 0.0)
    answered, abandoned = data["charts"][0]["series"]
    assert (answered["values"], abandoned["values"]) == ([1], [0])
    # asked for the other queue itself, the report is that queue's
    alone = await (await client.get("/api/reports/queues", params={**PERIOD, "queue": OTHER})).json()
    assert (alone["summary"]["offered"], alone["summary"]["abandon_rate"]) == (2, 1.0)
    # the export says it as the page does
    export = await client.get("/api/reports/queues/export", params={**PERIOD, "format": "csv"})
    assert f"其他队列：{OTHER}" in (await export.read()).decode("utf-8")


async def test_the_wallboards_total_is_the_hotlines_queues(client, world):
    now = time.time()
    if now - day_start(dt.datetime.now(dt.UTC), world.services.site_timezone).timestamp() < 600:
        pytest.skip("the site's day began less than ten minutes ago: the calls would be yesterday's")
    await _store(
        world, _answered("own-today", "fault", now - 400) + _abandoned("other-today", OTHER, now - 300)
    )
    async with supervisors_wallboard(client) as (_, board):
        today = board["today"]
        assert "fault" in board["own_queues"] and OTHER not in board["own_queues"]
        # the other queue keeps its row, named as one of the other queues
        assert today["queues"][OTHER]["abandoned"] == 1 and today["other_queues"] == [OTHER]
        total = today["total"]
        assert (total["offered"], total["abandoned"], total["service_level"], total["abandon_rate"]) == (
            1,
            0,
            1.0,
            0.0,
        )
