"""回复客户 of 故障报修 has one 处理意见: the workflow's field (``opinion: true``) is the step's
opinion, not a second box beside it. The order view names it (``opinion_field``) for the page to
draw no generic box there; the action's words (the timeline, the audit) are the field's; an
opinion sent alone fills the field; one that contradicts the field is refused, not dropped."""

from __future__ import annotations

import pytest

from tests.agent_ui.conftest import act, new_order, order_at_dispatch, sign_in
from tests.agent_ui.test_orders import FAULT, repair_forms
from ticketing.errors import WorkflowInvalid
from ticketing.models import WorkOrder
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse

REPLY = {"回复内容": "已恢复供电", "客户满意": "满意"}


async def at_reply(aiohttp_client, client):
    agent = await sign_in(aiohttp_client, client, "1001")
    order = await new_order(agent, form=FAULT)
    handler = await sign_in(aiohttp_client, client, "2001")
    for form in repair_forms():
        view = await act(handler, order, body={"form": form})
    assert view["node"]["id"] == "reply"
    return agent, order


async def test_the_reply_step_names_its_field_as_its_opinion(aiohttp_client, client):
    agent, order = await at_reply(aiohttp_client, client)
    status, view = await agent.call("GET", f"/api/orders/{order['id']}")
    assert status == 200
    assert view["opinion_field"] == "处理意见"


async def test_a_step_without_such_a_field_keeps_the_generic_box(aiohttp_client, client):
    _, view = await order_at_dispatch(aiohttp_client, client)
    assert view["node"]["id"] == "dispatch"
    assert view["opinion_field"] is None


async def test_the_fields_words_are_the_actions_opinion(aiohttp_client, client):
    agent, order = await at_reply(aiohttp_client, client)
    view = await act(
        agent, order, body={"form": {**REPLY, "处理意见": "已电话告知客户恢复供电"}, "opinion": ""}
    )
    said = [
        e
        for e in view["timeline"]
        if e["kind"] == "comment" and e["action"] == "submit" and e["node"] == "reply"
    ]
    assert [e["text"] for e in said] == ["已电话告知客户恢复供电"]


async def test_an_opinion_sent_alone_fills_the_required_field(aiohttp_client, client, world):
    agent, order = await at_reply(aiohttp_client, client)
    view = await act(agent, order, body={"form": REPLY, "opinion": "客户确认已来电"})
    assert view["node"]["id"] == "visit"
    async with world.services.sessionmaker() as db:
        assert (await db.get(WorkOrder, order["id"])).form["处理意见"] == "客户确认已来电"
    said = [e["text"] for e in view["timeline"] if e["kind"] == "comment" and e.get("node") == "reply"]
    assert said == ["客户确认已来电"]


async def test_an_opinion_contradicting_the_field_is_refused(aiohttp_client, client):
    agent, order = await at_reply(aiohttp_client, client)
    status, body = await agent.call(
        "POST",
        f"/api/orders/{order['id']}/submit",
        {"form": {**REPLY, "处理意见": "已修复"}, "opinion": "另一段话"},
    )
    assert status == 409, body
    assert body["error_id"] == "opinion_disagrees"
    status, view = await agent.call("GET", f"/api/orders/{order['id']}")
    assert view["node"]["id"] == "reply"  # nothing changed


def test_seeded_opinion_fields_are_marked():
    fault = parse(workflow_source("fault_repair"))
    assert fault.opinion_field(fault.node("reply")) == "处理意见"
    assert fault.opinion_field(fault.node("dispatch")) is None  # hidden there: the generic box
    complaint = parse(workflow_source("complaint"))
    assert complaint.opinion_field(complaint.node("confirm")) == "经理确认意见"


def test_a_stored_version_without_the_mark_reads_the_field_named_so():
    data = workflow_source("fault_repair")
    data["fields"]["处理意见"] = {"type": "textarea"}
    old = parse(data, stored=True)
    assert old.opinion_field(old.node("reply")) == "处理意见"


def test_an_opinion_mark_on_a_select_or_two_at_a_step_is_refused():
    data = workflow_source("fault_repair")
    data["fields"]["客户满意"]["opinion"] = True
    with pytest.raises(WorkflowInvalid) as bad:
        parse(data)
    assert "bad_opinion_field" in {p[0] for p in bad.value.problems}
    data = workflow_source("fault_repair")
    data["fields"]["回复内容"]["opinion"] = True
    with pytest.raises(WorkflowInvalid) as bad:
        parse(data)
    twice = [p for p in bad.value.problems if p[0] == "opinion_field_twice"]
    assert twice and twice[0].where["node"] == "reply"
