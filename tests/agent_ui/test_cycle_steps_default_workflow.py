"""环节处理时长 opens on the workflow the period's orders ran on most (QA item 16: it opened on the
catalogue's first, the one-step 信息咨询, and showed nothing with 故障报修 orders in the period);
a workflow picked is still shown as asked."""

from __future__ import annotations

from tests.agent_ui.conftest import order_at_dispatch, sign_in


async def test_the_steps_report_defaults_to_the_busiest_workflow(aiohttp_client, client, world):
    await order_at_dispatch(aiohttp_client, client)  # a 故障报修 order today, its first steps done
    supervisor = await sign_in(aiohttp_client, client, "3001")
    status, catalog = await supervisor.call("GET", "/api/reports")
    assert status == 200
    assert catalog["workflows"][0]["key"] != "fault_repair"  # the catalogue's first is another
    status, data = await supervisor.call("GET", "/api/reports/cycle_time_steps")
    assert status == 200, data
    assert (data["summary"]["workflow"], data["summary"]["workflow_name"]) == ("fault_repair", "故障报修")
    assert data["rows"] and data["rows"][0][0] == "受理"  # the 受理 step, done by the agent
    first = catalog["workflows"][0]["key"]
    status, asked = await supervisor.call("GET", f"/api/reports/cycle_time_steps?workflow={first}")
    assert status == 200 and asked["summary"]["workflow"] == first
