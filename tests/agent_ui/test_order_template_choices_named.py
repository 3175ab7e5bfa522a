"""The order page's template pickers (发短信, 发邮件, 发传真) name each template by its 模板名称, the
name the admins gave it and the agents know it by, beside what this order's message would read; a
rename shows at once."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, sign_in

ACCEPT = {"category": "consult", "node": "accept"}


async def _choices(agent: Session, order: dict) -> dict[str, list[dict]]:
    _, messages = await agent.call("GET", f"/api/orders/{order['id']}/messages")
    _, fax = await agent.call("GET", f"/api/orders/{order['id']}/fax")
    return {
        "sms": messages["sms"]["templates"],
        "email": messages["email"]["templates"],
        "fax": fax["templates"],
    }


async def test_each_picker_names_a_template_by_its_name_and_follows_a_rename(aiohttp_client, client):
    agent = await Session.signed_in(client, "1001")
    admin = await sign_in(aiohttp_client, client, "9001")
    made = {}
    for channel, name, body in (
        ("sms", "咨询受理告知短信", {"body": "【95598】您的咨询已受理（工单 {{ order.number }}）"}),
        ("email", "咨询受理告知邮件", {"subject": "咨询受理（工单 {{ order.number }}）", "body": "您好"}),
    ):
        status, made[channel] = await admin.call(
            "POST", "/api/message-templates", {**ACCEPT, "channel": channel, "name": name, **body}
        )
        assert status == 201, made[channel]
    status, order = await agent.call(
        "POST",
        "/api/orders",
        {
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价何时执行"},
            "submit": False,
            "caller_number": "13800138000",
        },
    )
    assert status == 201, order
    number = order["number"]

    choices = await _choices(agent, order)
    [sms], [email], [fax] = choices["sms"], choices["email"], choices["fax"]
    # the name to pick it by, what the customer would get beside it
    assert (sms["name"], sms["text"]) == ("咨询受理告知短信", f"【95598】您的咨询已受理（工单 {number}）")
    assert (email["name"], email["subject"]) == ("咨询受理告知邮件", f"咨询受理（工单 {number}）")
    assert (fax["name"], fax["subject"]) == ("咨询答复函（传真）", f"国网客服中心 答复函（工单 {number}）")

    for template_id, renamed in ((made["sms"]["id"], "咨询受理短信"), (fax["id"], "咨询答复传真")):
        status, body = await admin.call("PATCH", f"/api/message-templates/{template_id}", {"name": renamed})
        assert status == 200, body
    choices = await _choices(agent, order)
    assert [t["name"] for t in choices["sms"]] == ["咨询受理短信"]
    assert [t["name"] for t in choices["fax"]] == ["咨询答复传真"]
