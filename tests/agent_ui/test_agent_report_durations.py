"""坐席工作报表 reads like a shift (QA item 15): its times are durations the page shows as 时:分:秒
(the JSON keeps whole seconds, kind ``duration``), the exports keep seconds and say so in the
heading, and a 合计 row adds every agent up, with the occupancy of all their time."""

from __future__ import annotations

import io

import openpyxl

from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import PERIOD, calls, csv_rows  # noqa: F401 (the fixture)


async def test_agent_times_are_durations_with_a_total_row(client, calls):  # noqa: F811
    await login(client, "3001")
    data = await (await client.get("/api/reports/agents", params=PERIOD)).json()
    kinds = {c["key"]: c["kind"] for c in data["columns"]}
    labels = {c["key"]: c["label"] for c in data["columns"]}
    for key in ("login", "ready", "after_login", "pause", "pause:小休", "talk", "hold", "acw"):
        assert kinds[key] == "duration", key
    assert (labels["login"], labels["talk"], labels["acw"]) == ("登录时长", "通话", "话后处理")
    keys = [c["key"] for c in data["columns"]]
    rows = [dict(zip(keys, r, strict=True)) for r in data["rows"]]
    agent, total = rows
    assert agent["agent_id"] == "1001" and total["agent_id"] == "合计" and total["agent_name"] == ""
    for key in ("login", "ready", "pause", "pause:小休", "talk", "acw", "handled"):
        assert total[key] == agent[key], key
    assert total["occupancy"] == agent["occupancy"]
    # the exports keep the seconds, the heading says so, and carry the 合计 too
    export = await client.get("/api/reports/agents/export", params={**PERIOD, "format": "csv"})
    head, first, last = csv_rows(await export.read())
    assert head[2] == "登录时长（秒）" and "暂停·小休（秒）" in head
    assert (first[2], last[0], last[2]) == ("3600", "合计", "3600")
    xlsx = await client.get("/api/reports/agents/export", params={**PERIOD, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await xlsx.read())).active
    assert (sheet["C2"].value, sheet["A3"].value, sheet["C3"].value) == (3600, "合计", 3600)


async def test_no_agent_no_total(client, world):
    await login(client, "3001")
    data = await (await client.get("/api/reports/agents", params=PERIOD)).json()
    assert data["rows"] == []
