"""QA #15: 发短信 with a template on the order page was filled from the order as saved, so an
answer the agent had typed and not saved went out as the old one. A template is filled with the
page's form as sent (``form``: what the step's holder typed), each value taken as 暂存 would take
it: the preview says so, the send sends exactly the preview it names (``shown``), a typed value
the template reads that 暂存 would refuse is named before anything is sent, and nobody but the
step's holder changes what a template says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import Session, new_order
from ticketing.models import Notification, NotificationTemplate

SAVED = "每年7-9月执行"
TYPED = "每年6-9月执行，以当地公告为准"


@pytest.fixture
async def templates(world) -> dict[str, int]:
    """Two manual SMS templates of 信息咨询 at 受理: one reads 答复内容, one does not."""
    async with world.services.sessionmaker.begin() as db:
        rows = {
            "answer": NotificationTemplate(
                name="咨询答复短信", category="consult", node="accept", channel="sms", auto_send=False,
                body="【95598】您的咨询（工单 {{ order.number }}）答复：{{ form.get('答复内容', '') }}",
            ),
            "taken": NotificationTemplate(
                name="咨询受理短信", category="consult", node="accept", channel="sms", auto_send=False,
                body="【95598】您的咨询（工单 {{ order.number }}）已受理。",
            ),
        }  # fmt: skip
        db.add_all(rows.values())
        await db.flush()
        return {name: row.id for name, row in rows.items()}


async def _consult(agent: Session) -> dict:
    """A 信息咨询 order 1001 registered and holds at 受理, its 答复内容 saved as SAVED."""
    return await new_order(
        agent,
        "consult",
        {"咨询内容": "峰谷电价何时执行", "答复内容": SAVED},
        caller_number="13800138000",
        submit=False,  # 保存,现在处理: the agent keeps its 受理
    )


async def _sent(world) -> list[str]:
    async with world.services.sessionmaker() as db:
        return list(await db.scalars(select(Notification.body).where(Notification.channel == "sms")))


async def test_the_template_says_what_is_typed_and_is_sent_as_previewed(client, world, templates):
    agent = await Session.signed_in(client, "1001")
    order = await _consult(agent)
    preview_path = f"/api/orders/{order['id']}/messages/preview"
    status, preview = await agent.call(
        "POST",
        preview_path,
        {"channel": "sms", "template_id": templates["answer"], "form": {"答复内容": TYPED}},
    )
    expected = f"【95598】您的咨询（工单 {order['number']}）答复：{TYPED}"
    assert status == 200, preview
    assert preview == {
        "id": templates["answer"], "subject": "", "text": expected, "blank": [], "problems": {}, "problem_values": {},
    }  # fmt: skip

    # the preview of another moment (as saved) is not what would go now: nothing is sent
    send = {"to": "13800138000", "template_id": templates["answer"], "form": {"答复内容": TYPED}}
    stale = f"【95598】您的咨询（工单 {order['number']}）答复：{SAVED}"
    status, refused = await agent.call(
        "POST", f"/api/orders/{order['id']}/sms", send | {"shown": {"subject": "", "text": stale}}
    )
    assert (status, refused["error_id"]) == (409, "message_changed"), refused
    assert refused["details"]["text"] == expected
    assert await _sent(world) == []

    status, queued = await agent.call(
        "POST", f"/api/orders/{order['id']}/sms", send | {"shown": {"subject": "", "text": expected}}
    )
    assert status == 201, queued
    assert await _sent(world) == [expected]
    # nothing typed was saved by sending it
    status, view = await agent.call("GET", f"/api/orders/{order['id']}")
    assert {f["name"]: f["value"] for f in view["form"]}["答复内容"] == SAVED

    # an emptied field is blank as on screen: named, not filled from the saved value
    status, preview = await agent.call(
        "POST", preview_path, {"channel": "sms", "template_id": templates["answer"], "form": {"答复内容": ""}}
    )
    assert preview["blank"] == ["答复内容"]


async def test_a_typed_value_that_would_be_refused_is_named_before_sending(client, world, templates):
    agent = await Session.signed_in(client, "1001")
    order = await _consult(agent)
    too_long = {"答复内容": "答" * 5001}  # over a textarea's 5000: 暂存 refuses it
    status, preview = await agent.call(
        "POST",
        f"/api/orders/{order['id']}/messages/preview",
        {"channel": "sms", "template_id": templates["answer"], "form": too_long},
    )
    assert status == 200, preview
    assert preview["problems"] == {"答复内容": "field_too_long"}

    status, refused = await agent.call(
        "POST",
        f"/api/orders/{order['id']}/sms",
        {"to": "13800138000", "template_id": templates["answer"], "form": too_long},
    )
    assert (status, refused["error_id"]) == (422, "invalid_fields"), refused
    assert refused["details"]["problems"] == {"答复内容": "field_too_long"}
    assert "答复内容" in refused["message"]
    assert await _sent(world) == []

    # a template that does not read it is sent: the typed value is no reason to refuse it
    status, queued = await agent.call(
        "POST",
        f"/api/orders/{order['id']}/sms",
        {"to": "13800138000", "template_id": templates["taken"], "form": too_long},
    )
    assert status == 201, queued
    assert await _sent(world) == [f"【95598】您的咨询（工单 {order['number']}）已受理。"]


async def test_only_the_steps_holder_changes_what_a_template_says(client, aiohttp_client, world, templates):
    order = await _consult(await Session.signed_in(client, "1001"))
    # 3001 (班长, may send) sees the order but does not hold its 受理
    leader = await Session.signed_in(await aiohttp_client(client.server), "3001")
    typed = {"答复内容": "别人写的答复"}
    status, preview = await leader.call(
        "POST",
        f"/api/orders/{order['id']}/messages/preview",
        {"channel": "sms", "template_id": templates["answer"], "form": typed},
    )
    assert status == 200, preview
    assert preview["problems"] == {"答复内容": "field_not_editable"}
    assert preview["text"].endswith(f"答复：{SAVED}")  # the saved value, never the text sent
    status, refused = await leader.call(
        "POST",
        f"/api/orders/{order['id']}/sms",
        {"to": "13800138000", "template_id": templates["answer"], "form": typed},
    )
    assert (status, refused["details"]["problems"]) == (422, {"答复内容": "field_not_editable"}), refused
    assert await _sent(world) == []
