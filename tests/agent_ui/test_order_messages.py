"""发短信 / 发邮件 from an order (QA F18): written text or a manual template of the order's
category for a step it is or was at, filled with the order's fields; the address offered is the
order's 联系电话 (a mobile) or the customer's email. The row goes in the outbox, audited, shows
on the order's timeline with its state, and the dispatcher sends it through a real HTTP SMS
gateway / SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from aiohttp import web
from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login
from ticketing.models import AuditLog, Contact, Customer, Notification, NotificationTemplate, WorkOrder
from ticketing.notify import Dispatcher, HttpSmsGateway, SmtpGateway


@pytest.fixture
async def sms_gateway(aiohttp_server):
    received: list[dict] = []

    async def handler(request):
        received.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    return HttpSmsGateway(url=str(server.make_url("/sms"))), received


@pytest.fixture
async def templates(world) -> dict[str, int]:
    """Manual templates of 信息咨询: an SMS at 受理 (where a new order is), an email at 处理完毕
    (reached once it is closed), and an auto-sent SMS at 受理, which is not offered by hand."""
    async with world.services.sessionmaker.begin() as db:
        rows = {
            "sms": NotificationTemplate(
                name="测试模板1", category="consult", node="accept", channel="sms", auto_send=False,
                body="【95598】您的咨询（工单 {{ order.number }}）答复：{{ form.get('答复内容', '') }}",
            ),
            "email": NotificationTemplate(
                name="测试模板2", category="consult", node="done", channel="email", auto_send=False,
                subject="咨询答复（工单 {{ order.number }}）",
                body="尊敬的{{ customer.name if customer else '客户' }}：\n{{ form.get('答复内容', '') }}",
            ),
            "auto": NotificationTemplate(
                name="测试模板3", category="consult", node="accept", channel="sms", audience="handler", auto_send=True,
                body="新咨询 {{ order.number }}",
            ),
        }  # fmt: skip
        db.add_all(rows.values())
        await db.flush()
        return {name: row.id for name, row in rows.items()}


async def _order(client, csrf, *, submit=False, customer_id=None, caller="13800138000", **form) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行", **form}, "submit": submit,
              "caller_number": caller} | ({"customer_id": customer_id} if customer_id else {}),
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def _customer(world) -> int:
    async with world.services.sessionmaker.begin() as db:
        customer = Customer(account_no="1000000001", name="张三")
        customer.contacts = [Contact(name="张三", email="zhang@example.com")]
        db.add(customer)
        await db.flush()
        return customer.id


async def _outbox(world) -> list[Notification]:
    async with world.services.sessionmaker() as db:
        return list(await db.scalars(select(Notification).order_by(Notification.id)))


async def test_an_agent_texts_the_customer_written_text_and_the_gateway_gets_it(client, world, sms_gateway):
    gateway, received = sms_gateway
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    choices = await (await client.get(f"/api/orders/{order['id']}/messages")).json()
    assert choices["sms"]["to"] == "13800138000"  # the order's 联系电话
    assert choices["email"] == {
        "to": "",
        "recipients": [],
        "templates": [],
    }  # no customer, no email template at 受理

    resp = await client.post(
        f"/api/orders/{order['id']}/sms",
        json={"to": "138 0013 8000", "text": "峰时段 8:00-22:00，谷时段 22:00-次日 8:00。"},
        headers={"X-CSRF-Token": csrf},
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    assert (queued["channel"], queued["recipient"], queued["state"]) == ("sms", "13800138000", "pending")
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
        assert row.order_id == order["id"] and row.user_id == world.people["1001"]
        # signed as the message templates are: a carrier shows the sender by it (QA-8's follow-up)
        assert row.body == "【95598】峰时段 8:00-22:00，谷时段 22:00-次日 8:00。"
        audit = await db.scalar(select(AuditLog).where(AuditLog.action == "message.send"))
        assert (audit.entity, audit.entity_id, audit.actor) == ("work_order", str(order["id"]), "1001")
        assert audit.after == {"channel": "sms", "to": "13800138000", "notification": row.id,
                               "order_id": order["id"]}  # fmt: skip

    def on_timeline(view):
        return [(e["number"], e["state"], e["content"]) for e in view["timeline"] if e["kind"] == "sms"]

    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert on_timeline(view) == [("13800138000", "pending", row.body)]

    assert await Dispatcher(world.services.sessionmaker, sms=gateway).deliver_pending() == (1, 0)
    assert received == [{"to": "13800138000", "text": row.body, "sign": "95598"}]
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert on_timeline(view) == [("13800138000", "sent", row.body)]


async def test_a_manual_email_template_goes_to_the_customer_at_once_through_the_dispatcher(
    client, world, smtp, templates
):
    """The closed order was at 处理完毕: its email template is offered, filled, and the request's
    commit wakes the running dispatcher (NotificationQueued), which mails it."""
    mailbox, port = smtp
    csrf = await login(client, "1001")
    order = await _order(
        client, csrf, submit=True, customer_id=await _customer(world), 答复内容="每年7-9月执行"
    )
    choices = await (await client.get(f"/api/orders/{order['id']}/messages")).json()
    assert choices["email"]["to"] == "zhang@example.com"
    [offered] = choices["email"]["templates"]
    assert offered == {"id": templates["email"], "name": "测试模板2", "node": "done",
                       "subject": f"咨询答复（工单 {order['number']}）", "text": "尊敬的张三：\n每年7-9月执行",
                       "blank": []}  # fmt: skip
    # the 受理 SMS template: the order was there; the auto-sent one is never offered by hand
    assert [t["id"] for t in choices["sms"]["templates"]] == [templates["sms"]]

    dispatcher = Dispatcher(world.services.sessionmaker, email=SmtpGateway(host="127.0.0.1", port=port))
    subscription = dispatcher.listen(world.bus)
    running = asyncio.create_task(dispatcher.run(poll_seconds=60))
    try:
        await asyncio.sleep(0.1)  # its first pass found nothing
        resp = await client.post(
            f"/api/orders/{order['id']}/email",
            json={"to": "zhang@example.com", "template_id": templates["email"]},
            headers={"X-CSRF-Token": csrf},
        )
        answered = time.monotonic()
        queued = await resp.json()
        assert resp.status == 201, queued
        async with asyncio.timeout(5):
            while not mailbox.messages:  # noqa: ASYNC110 (aiosmtpd answers in its own thread)
                await asyncio.sleep(0.01)
        assert time.monotonic() - answered < 1.0
        async with asyncio.timeout(5):  # the dispatcher records it once the server took it
            while (await _outbox(world))[0].state != "sent":  # noqa: ASYNC110 (another task writes it)
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await subscription.close()
    [(rcpt, mail)] = mailbox.messages
    assert rcpt == ["zhang@example.com"] and mail["Subject"] == f"咨询答复（工单 {order['number']}）"
    assert "尊敬的张三" in mail.get_content() and "每年7-9月执行" in mail.get_content()
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [email] = [e for e in view["timeline"] if e["kind"] == "email"]
    assert (email["number"], email["state"], email["subject"]) == (
        "zhang@example.com",
        "sent",
        mail["Subject"],
    )


async def test_refusals_queue_nothing(client, world, templates):
    csrf = await login(client, "1001")
    order = await _order(client, csrf)  # at 受理, no 答复内容 yet

    async def refused(channel, body, status, error_id):
        resp = await client.post(
            f"/api/orders/{order['id']}/{channel}", json=body, headers={"X-CSRF-Token": csrf}
        )
        answer = await resp.json()
        assert (resp.status, answer["error_id"]) == (status, error_id), answer
        return answer

    await refused("sms", {"to": "", "text": "您好"}, 422, "recipient_required")
    await refused("sms", {"text": "您好"}, 422, "recipient_required")
    await refused("sms", {"to": "010-88886666", "text": "您好"}, 422, "recipient_invalid")  # a landline
    await refused("sms", {"to": "95598", "text": "您好"}, 422, "recipient_invalid")  # a service number
    await refused("email", {"to": "13800138000", "subject": "答复", "text": "您好"}, 422, "recipient_invalid")
    answer = await refused("sms", {"to": "13800138000", "text": "长" * 501}, 422, "invalid_fields")
    assert answer["details"]["problems"] == {"text": "field_too_long"}
    answer = await refused("email", {"to": "a@example.com", "text": "您好"}, 422, "invalid_fields")
    assert answer["details"]["problems"] == {"subject": "field_required"}
    answer = await refused("sms", {"to": "13800138000", "text": "  "}, 422, "invalid_fields")
    assert answer["details"]["problems"] == {"text": "field_required"}
    # the merge field 答复内容 is still empty: refused by name, never sent with a hole in it
    [offered] = (await (await client.get(f"/api/orders/{order['id']}/messages")).json())["sms"]["templates"]
    assert offered["blank"] == ["答复内容"]
    answer = await refused(
        "sms", {"to": "13800138000", "template_id": templates["sms"]}, 422, "template_fields_blank"
    )
    assert answer["details"]["problems"] == {"答复内容": "template_field_blank"}
    # not a manual template of a step this order has been at, or of this channel
    for template in ("auto", "email"):
        await refused("sms", {"to": "13800138000", "template_id": templates[template]}, 404, "not_found")
    assert await _outbox(world) == []


async def test_only_who_may_fax_for_the_order_may_text_or_mail_about_it(client, world):
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    await client.delete("/api/session", headers={"X-CSRF-Token": csrf})
    csrf = await login(client, "2001")  # a bureau's handler: no knowledge.send, as for a fax
    for channel in ("sms", "email"):
        resp = await client.post(
            f"/api/orders/{order['id']}/{channel}",
            json={
                "to": "13800138000" if channel == "sms" else "a@example.com",
                "subject": "答复",
                "text": "您好",
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"
    assert (await client.get(f"/api/orders/{order['id']}/messages")).status == 403
    assert await _outbox(world) == []


async def test_the_seeded_complaint_answer_sms_is_offered_at_handle_and_sent_once_answered(client, world):
    """The demo's manual template (投诉举报建议 · 处理 · 短信 · 客户, 自动发送 off: QA F18's example)."""
    csrf = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "complaint",
            "form": {"标题": "停电频繁"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    url = f"/api/orders/{order['id']}/messages"
    assert (await (await client.get(url)).json())["sms"]["templates"] == []  # not at 处理 yet
    async with world.services.sessionmaker.begin() as db:
        row = await db.get(WorkOrder, order["id"])
        row.current_node = "handle"
    [offered] = (await (await client.get(url)).json())["sms"]["templates"]
    assert (offered["name"], offered["node"], offered["blank"]) == (
        "投诉处理结果短信",
        "handle",
        ["处理结果"],
    )
    send = {"to": "13800138000", "template_id": offered["id"]}
    resp = await client.post(f"/api/orders/{order['id']}/sms", json=send, headers={"X-CSRF-Token": csrf})
    assert resp.status == 422 and (await resp.json())["error_id"] == "template_fields_blank"

    async with world.services.sessionmaker.begin() as db:
        row = await db.get(WorkOrder, order["id"])
        row.form = {**row.form, "处理结果": "已更换台区变压器"}
    resp = await client.post(f"/api/orders/{order['id']}/sms", json=send, headers={"X-CSRF-Token": csrf})
    queued = await resp.json()
    assert resp.status == 201, queued
    [sms] = await _outbox(world)
    assert (
        sms.body
        == f"【95598】您反映的问题（工单 {order['number']}）处理结果：已更换台区变压器。如有疑问请致电95598。"
    )


async def test_a_category_on_another_workflow_is_offered_that_workflows_templates_unless_it_has_its_own(
    client, world, templates
):
    """用户信息查询 (query) takes orders on 信息咨询's workflow: its orders are offered consult's
    manual templates, until query has one of its own for that step and channel."""
    csrf = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "category": "query", "form": {"咨询内容": "户名查询"}, "submit": False,
              "caller_number": "13800138000"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    order = await resp.json()
    assert resp.status == 201 and order["category"] == "query", order
    choices = await (await client.get(f"/api/orders/{order['id']}/messages")).json()
    assert [t["id"] for t in choices["sms"]["templates"]] == [templates["sms"]]

    async with world.services.sessionmaker.begin() as db:
        own = NotificationTemplate(
            name="测试模板4",
            category="query",
            node="accept",
            channel="sms",
            auto_send=False,
            body="【95598】查询结果：{{ order.number }}",
        )
        db.add(own)
        await db.flush()
        own_id = own.id
    choices = await (await client.get(f"/api/orders/{order['id']}/messages")).json()
    assert [t["id"] for t in choices["sms"]["templates"]] == [own_id]


async def test_every_problem_of_a_message_is_named_at_once(client, world, templates):
    """QA: an empty 正文 and a bad address were refused in two rounds (the text first, the
    address once the text was there); now one answer names both, as any form does."""
    csrf = await login(client, "1001")
    order = await _order(client, csrf)  # at 受理, no 答复内容 yet

    async def refused(channel, body):
        resp = await client.post(
            f"/api/orders/{order['id']}/{channel}", json=body, headers={"X-CSRF-Token": csrf}
        )
        answer = await resp.json()
        assert (resp.status, answer["error_id"]) == (422, "invalid_fields"), answer
        return answer

    answer = await refused("sms", {"to": "010-88886666", "text": " "})
    assert answer["details"]["problems"] == {"to": "recipient_invalid", "text": "field_required"}
    assert "收件人（须为手机号）" in answer["message"] and "正文（必填）" in answer["message"], answer[
        "message"
    ]
    answer = await refused("email", {"to": "", "subject": "", "text": ""})
    assert answer["details"]["problems"] == {
        "to": "recipient_required",
        "text": "field_required",
        "subject": "field_required",
    }
    # a template with an empty merge field, to a landline: both in one answer
    answer = await refused("sms", {"to": "010-88886666", "template_id": templates["sms"]})
    assert answer["details"]["problems"] == {"to": "recipient_invalid", "答复内容": "template_field_blank"}
    assert await _outbox(world) == []


async def test_a_bad_address_is_refused_in_its_channels_own_words(client, world, templates):
    """QA: an SMS to a landline was told 短信须为手机号,邮件须为邮箱地址,传真须为传真号码 (every
    channel's rule at once); now each channel says its own (and the form's problem too)."""
    csrf = await login(client, "1001")
    order = await _order(client, csrf)

    async def message(channel, body):
        resp = await client.post(
            f"/api/orders/{order['id']}/{channel}", json=body, headers={"X-CSRF-Token": csrf}
        )
        return (await resp.json())["message"]

    sms = await message("sms", {"to": "010-88886666", "text": "您好"})
    assert "手机号" in sms and "邮箱" not in sms and "传真" not in sms, sms
    mail = await message("email", {"to": "13800138000", "subject": "答复", "text": "您好"})
    assert "邮箱地址" in mail and "短信" not in mail and "传真" not in mail, mail
    both = await message("email", {"to": "x", "subject": "答复", "text": ""})
    assert "收件人（须为邮箱地址）" in both and "正文（必填）" in both, both
    texts = Texts()
    fax = texts.error("zh-CN", "recipient_invalid", details={"channel": "fax"})
    assert "传真号码" in fax and "短信" not in fax and "邮箱" not in fax, fax
    assert "mobile" in texts.error("en", "recipient_invalid", details={"channel": "sms"})
