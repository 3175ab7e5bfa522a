"""批准 named per workflow step, as 退回 is by its reject exit: the seeded 故障报修's 接收确认 step
offers its handler 接收确认 (not 批准) beside 退单; a step naming none says 批准; only an approve
node may name it (``approve_name_not_on_approve``)."""

from __future__ import annotations

import pytest

from agent_ui.texts import Texts
from tests.agent_ui.conftest import Session, new_order, sign_in
from ticketing.errors import WorkflowInvalid
from ticketing.workflow.definition import parse

FAULT = {"故障名称": "停电", "故障地址": "海淀区中关村大街 9 号", "所属供电局": "HD"}


async def test_the_receipt_step_names_its_approve_button(client, aiohttp_client, world):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, form=FAULT)
    handler = await sign_in(aiohttp_client, client, "2001")
    status, view = await handler.call("GET", f"/api/orders/{order['id']}")
    assert status == 200 and view["node"]["name"] == "接收确认"
    assert "approve" in view["actions"]
    assert (view["approve_name"], view["reject_name"]) == ("接收确认", "退单")


def _definition(**node: object) -> dict:
    return {
        "key": "t",
        "name": "测试",
        "category": "t",
        "fields": {"说明": {"type": "text"}},
        "nodes": [
            {"id": "start", "type": "create", "exits": [{"to": "check"}]},
            {
                "id": "check",
                "type": "approve",
                "operators": {"batches": [[{"role": "supervisor"}]]},
                "exits": [{"to": "done"}, {"to": "start", "kind": "reject"}],
                **node,
            },
            {"id": "done", "type": "archive"},
        ],
    }


def test_a_step_names_its_approve_or_says_批准():
    assert parse(_definition(approve_name=" 审核通过 ")).node("check").approve_name == "审核通过"
    assert parse(_definition()).node("check").approve_name == ""
    assert Texts().get("zh-CN", "order.action.approve") == "批准"


def test_only_an_approve_node_names_its_approve():
    bad = _definition()
    bad["nodes"][0]["approve_name"] = "确认"
    with pytest.raises(WorkflowInvalid) as caught:
        parse(bad)
    assert [p[0] for p in caught.value.problems] == ["approve_name_not_on_approve"]
