"""The 报表 picker groups reports by what they count, and an export's file is named by the
days it covers (QA of 2026-11-29: 来电满意度评价 and both outbound reports were filed under
工单 by their position in the list; a month's file and its first day's were named alike)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from agent_ui.report_tables import GROUPS, REPORTS
from tests.agent_ui.conftest import login


def test_every_report_is_in_exactly_one_group():
    grouped = [name for _, names in GROUPS for name in names]
    assert sorted(grouped) == sorted(REPORTS)  # none left out, none twice


async def test_the_picker_files_call_outbound_and_order_reports_apart(client):
    await login(client, "3001")
    page = await (await client.get("/reports")).text()
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S))
    assert list(groups) == ["话务", "外呼", "工单"]
    assert "来电满意度评价" in groups["话务"] and "来电满意度评价" not in groups["工单"]
    assert "外呼活动结果" in groups["外呼"] and "外呼拨打统计" in groups["外呼"]
    assert "满意度回访结果" in groups["工单"]  # the visit-back asks about an order


def _file_name(resp) -> str:
    return unquote(resp.headers["Content-Disposition"].split("filename*=UTF-8''")[1])


async def test_an_export_is_named_by_the_days_it_covers(client):
    await login(client, "3001")
    month = await client.get(
        "/api/reports/agents/export", params={"from": "2026-11-01", "to": "2026-11-20", "format": "csv"}
    )
    assert month.status == 200
    assert _file_name(month) == "坐席工作报表-2026-11-01至2026-11-20.csv"
    day = await client.get(
        "/api/reports/agents/export", params={"from": "2026-11-01", "to": "2026-11-01", "format": "xlsx"}
    )
    assert _file_name(day) == "坐席工作报表-2026-11-01.xlsx"
