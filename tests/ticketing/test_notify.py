"""Templates render per category × step; SMTP against a real aiosmtpd server; SMS over HTTP."""

import socket

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ticketing import create_order, submit_step
from ticketing.customers import create_customer
from ticketing.models import Contact, Notification, NotificationTemplate
from ticketing.notify import Dispatcher, HttpSmsGateway, SmtpGateway, TemplateError, check_template, render


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
async def sms_server(aiohttp_server):
    received = []
    fail = {"on": False}

    async def handler(request):
        if fail["on"]:
            return web.Response(status=503, text="busy")
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    return server, received, fail


def test_templates_render_and_bad_ones_are_refused():
    assert render("您好{{ customer.name }}", {"customer": {"name": "王"}}) == "您好王"
    assert render("{{ missing.deep }}x", {}) == "x"
    with pytest.raises(TemplateError):
        check_template("{% if %}")
    with pytest.raises(TemplateError):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


async def test_auto_sms_and_email_delivered_through_real_servers(
    session, sm, seeded, smtp_server, sms_server
):
    controller, inbox = smtp_server
    server, received, fail = sms_server
    customer = await create_customer(
        session, "7700000001", "赵女士", phones=["13712345678"], site_id=seeded.sites["440100"].id
    )
    session.add(Contact(customer_id=customer.id, name="赵女士", email="zhao@example.com"))
    agent, handler = seeded.users["1001"], seeded.users["5101"]
    # the complaint's 处理 email is for its handlers (audience: handler: the bureau's two, whose
    # addresses the demo gives them), never the customer
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={"故障地址": "越秀区1号", "所属供电局": "440100"},
    )
    await submit_step(session, handler, order)  # enters 'dispatch': the seeded SMS template auto-sends
    complaint = await create_order(
        session,
        agent,
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={
            "类别1": "一类",
            "所属区域": "440100",
            "标题": "态度差",
            "投诉内容": "营业员态度差",
            "严重程度": "一般",
        },
    )
    await submit_step(session, seeded.users["2001"], complaint, _action="approve")  # → handle: email template
    await session.commit()
    rows = list(await session.scalars(select(Notification).where(Notification.channel.in_(("sms", "email")))))
    assert {(r.channel, r.recipient) for r in rows} == {
        ("sms", "13712345678"),
        ("email", "5101@hotline.example"),
        ("email", "5102@hotline.example"),
    }
    email_row = next(r for r in rows if r.channel == "email")
    assert "已分派给您处理" in email_row.body
    sms_row = next(r for r in rows if r.channel == "sms")
    assert "赵女士" in sms_row.body and order.number in sms_row.body
    await session.commit()  # end the read transaction: on SQLite it would hold the dispatcher back

    sms = HttpSmsGateway(str(server.make_url("/sms")), token="t0k")
    email = SmtpGateway("127.0.0.1", controller.port, sender="95598@hotline.example")
    dispatcher = Dispatcher(sm, sms=sms, email=email)
    fail["on"] = True
    assert await dispatcher.deliver_pending() == (2, 1)  # SMS gateway down: the row is kept as failed
    failed = await session.scalar(select(Notification).where(Notification.state == "failed"))
    await session.refresh(failed)
    assert "503" in failed.error
    await session.commit()
    fail["on"] = False
    assert await dispatcher.retry_failed() == 1
    assert await dispatcher.deliver_pending() == (1, 0)
    assert received[0][0] == "Bearer t0k" and received[0][1]["to"] == "13712345678"
    assert order.number in received[0][1]["text"]
    assert sorted(rcpt for rcpt, _ in inbox.messages) == [["5101@hotline.example"], ["5102@hotline.example"]]
    assert all(complaint.number in content for _, content in inbox.messages)


def test_only_the_complaint_handle_email_is_seeded_for_the_handler():
    from ticketing.seed import load_seed

    audiences = {
        (t["category"], t["node"], t["channel"]): t.get("audience", "customer")
        for t in load_seed("notifications.yaml")
    }
    assert audiences.pop(("complaint", "handle", "email")) == "handler"
    assert set(audiences.values()) == {"customer"}


async def test_auto_sms_goes_to_the_orders_contact_number_before_the_customers_phones(session, seeded):
    customer = await create_customer(
        session, "7700000002", "钱先生", phones=["13712340000"], site_id=seeded.sites["440100"].id
    )
    fault = {"故障地址": "越秀区2号", "所属供电局": "440100"}

    async def sms_to(caller_number: str) -> str:
        order = await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            customer_id=customer.id,
            form=fault,
            caller_number=caller_number,
        )
        await submit_step(session, seeded.users["5101"], order)  # → dispatch: the seeded SMS
        return await session.scalar(
            select(Notification.recipient).where(
                Notification.order_id == order.id, Notification.channel == "sms"
            )
        )

    assert await sms_to("138-1111-2222") == "13811112222"  # what the caller gave for this matter
    assert await sms_to("02088886666") == "13712340000"  # a landline: the customer's mobile


async def test_a_template_sent_by_hand_with_a_blank_merge_field_is_refused_naming_it(session, seeded):
    from ticketing.notify import TemplateFieldsBlank, send_template

    template = NotificationTemplate(
        name="测试模板1",
        category="complaint",
        node="register",
        channel="sms",
        subject="投诉受理回执（工单 {{ order.number }}）",
        body="您的投诉（{{ form.get('标题', '') }}）已受理，我们将在时限 {{ due_at }} 前答复。"
        "{% for x in ['a'] %}{{ x }}{% endfor %}",
    )
    session.add(template)
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "a", "答复内容": "b"},
        caller_number="13500000000",
    )
    order.due_at = None
    with pytest.raises(TemplateFieldsBlank) as refused:
        await send_template(session, order, template)
    assert refused.value.details["problems"] == {
        "标题": "template_field_blank",
        "due_at": "template_field_blank",
    }
    assert list(await session.scalars(select(Notification).where(Notification.order_id == order.id))) == []


async def test_manual_template_send(session, seeded):
    from ticketing.notify import send_template

    template = NotificationTemplate(
        name="测试模板2",
        category="consult",
        node="done",
        channel="sms",
        body="工单{{ order.number }}已办结",
        auto_send=False,
    )
    session.add(template)
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "a", "答复内容": "b"},
        caller_number="13500000000",
    )
    row = await send_template(session, order, template)
    assert row.recipient == "13500000000" and row.body == f"工单{order.number}已办结"
    template.enabled = False
    with pytest.raises(TemplateError):
        await send_template(session, order, template)


async def test_the_outbox_sends_several_at_once_but_one_recipients_messages_in_order(sm, aiohttp_server):
    """An outage notice queues many SMS: the dispatcher keeps ``concurrency`` of them in flight
    (not one after another, not all at once), and the messages to one phone go in turn, in
    the order they were queued."""
    import asyncio

    in_flight = {"now": 0, "most": 0}
    arrived: list[tuple[str, str, int]] = []  # (phone, text, messages in flight to that phone)
    busy_phones: dict[str, int] = {}

    async def handler(request):
        body = await request.json()
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])
        busy_phones[body["to"]] = busy_phones.get(body["to"], 0) + 1
        arrived.append((body["to"], body["text"], busy_phones[body["to"]]))
        await asyncio.sleep(0.05)
        busy_phones[body["to"]] -= 1
        in_flight["now"] -= 1
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    queued = [("13800000001", f"停电通知 {n}") for n in range(4)]
    queued += [(f"1390000{n:04}", "停电通知") for n in range(12)]
    async with sm.begin() as s:
        s.add_all(Notification(channel="sms", recipient=to, body=text) for to, text in queued)
    dispatcher = Dispatcher(sm, sms=HttpSmsGateway(str(server.make_url("/sms"))), concurrency={"sms": 3})
    assert await dispatcher.deliver_pending() == (16, 0)
    assert in_flight["most"] == 3
    assert [text for to, text, _ in arrived if to == "13800000001"] == [f"停电通知 {n}" for n in range(4)]
    assert all(at_once == 1 for _, _, at_once in arrived)
    async with sm() as s:
        states = (await s.scalars(select(Notification.state))).all()
        assert states == ["sent"] * 16


async def test_a_send_failing_outside_the_gateways_own_errors_fails_that_message_only(sm):
    """A gateway's bug on one message (an exception that is not a GatewayError) fails that
    row for good, with the reason; the messages beside it and the same recipient's later ones
    are sent, and the pass ends normally (left pending, the row would fail every pass)."""
    import asyncio

    class Gateway:
        def __init__(self):
            self.sent = []

        async def send(self, recipient, subject, body):
            if body == "bad":
                raise RuntimeError("a bug in the gateway")
            await asyncio.sleep(0.02)
            self.sent.append((recipient, body))

    async with sm.begin() as s:
        s.add(Notification(channel="sms", recipient="13800000009", body="bad"))
        s.add_all(Notification(channel="sms", recipient=f"1380000000{n}", body="x") for n in range(10))
    gateway = Gateway()
    dispatcher = Dispatcher(sm, sms=gateway, concurrency={"sms": 4})
    assert await dispatcher.deliver_pending() == (10, 1)
    async with sm() as s:
        rows = (await s.scalars(select(Notification).order_by(Notification.id))).all()
    assert (rows[0].state, rows[0].error) == ("failed", "RuntimeError: a bug in the gateway")
    assert all(row.state == "sent" for row in rows[1:])
    assert ("13800000009", "x") in gateway.sent and len(gateway.sent) == 10
    assert await dispatcher.deliver_pending() == (0, 0)
