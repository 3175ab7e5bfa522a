"""处理过程 (QA-2): 接收确认 was listed twice, the handler's 接收确认 with its opinion and the status
change it caused, whose status is also named 接收确认; later steps read 已派工 apart from 提交 派工.
The timeline now ties each status change to the action that caused it, both ways: the change
names its action (``comment_id``, ``action``, ``action_name``, ``node_name``) and the action's
entry the status it led to (``led_to``), for the page to draw them as one line."""

from __future__ import annotations

from tests.agent_ui.conftest import order_at_dispatch


async def test_each_status_change_names_its_action_and_the_action_its_status(aiohttp_client, client):
    handler, view = await order_at_dispatch(aiohttp_client, client)  # 接收确认 with 收到
    timeline = view["timeline"]
    statuses = [e for e in timeline if e["kind"] == "status"]
    assert [(e["status"], e["action"], e["node_name"], e["action_name"]) for e in statuses] == [
        ("已受理", "create", "受理", ""),
        ("已流转", "submit", "受理", ""),
        ("接收确认", "submit", "接收确认", "接收确认"),
    ]
    [received] = [e for e in timeline if e["kind"] == "comment"]  # the only one with words
    assert received["text"] == "收到" and received["led_to"] == "接收确认"
    assert statuses[-1]["comment_id"] == received["id"]
    # the ones without words are said on their status change alone
    assert statuses[0]["comment_id"] != statuses[1]["comment_id"]
    assert received["id"] not in (statuses[0]["comment_id"], statuses[1]["comment_id"])
