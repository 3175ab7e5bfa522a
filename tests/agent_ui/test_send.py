"""Sending a knowledge item or an outage notice to a customer from the console: the
message is queued in ticketing's outbox (with an audit row) and the Dispatcher
delivers it through a real SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import time

from sqlalchemy import select

from tests.agent_ui.conftest import knowledge_content, login
from ticketing.models import AuditLog, Notification
from ticketing.notify import SMS_LIMIT, Dispatcher, SmtpGateway


async def test_a_knowledge_item_goes_out_by_email_through_the_outbox(client, world, smtp):
    inbox, port = smtp
    article_id, _ = await knowledge_content(world)
    csrf = await login(client, "1001")
    resp = await client.post(
        f"/api/knowledge/{article_id}/send",
        json={"channel": "email", "to": "zhang@example.com"},
        headers={"X-CSRF-Token": csrf},
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    assert queued["state"] == "pending" and queued["recipient"] == "zhang@example.com"
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
        assert row.channel == "email" and row.subject == "峰谷电价执行时间"
        assert row.user_id == world.people["1001"]
        audit = await db.scalar(select(AuditLog).where(AuditLog.action == "message.send"))
        assert audit.entity == "kb_article" and audit.actor == "1001"
        assert audit.after["to"] == "zhang@example.com"

    dispatcher = Dispatcher(world.services.sessionmaker, email=SmtpGateway(host="127.0.0.1", port=port))
    assert await dispatcher.deliver_pending() == (1, 0)
    [(rcpt, mail)] = inbox.messages
    assert rcpt == ["zhang@example.com"]
    assert mail["Subject"] == "峰谷电价执行时间"
    assert "谷时段" in mail.get_content()
    async with world.services.sessionmaker() as db:
        assert (await db.get(Notification, queued["id"])).state == "sent"


async def test_a_dispatcher_on_the_bus_sends_the_agents_email_at_once(client, world, smtp):
    """发送 from the console: the request's commit wakes the running dispatcher through the bus,
    so the mail leaves at once, not at the dispatcher's next poll (a minute away here)."""
    inbox, port = smtp
    article_id, _ = await knowledge_content(world)
    csrf = await login(client, "1001")
    dispatcher = Dispatcher(world.services.sessionmaker, email=SmtpGateway(host="127.0.0.1", port=port))
    subscription = dispatcher.listen(world.bus)
    running = asyncio.create_task(dispatcher.run(poll_seconds=60))
    try:
        await asyncio.sleep(0.1)  # its first pass, at start, found nothing
        resp = await client.post(
            f"/api/knowledge/{article_id}/send",
            json={"channel": "email", "to": "zhang@example.com"},
            headers={"X-CSRF-Token": csrf},
        )
        answered = time.monotonic()
        assert resp.status == 201, await resp.text()
        async with asyncio.timeout(5):
            while not inbox.messages:  # noqa: ASYNC110 (aiosmtpd answers in its own thread)
                await asyncio.sleep(0.01)
        assert time.monotonic() - answered < 1.0
        [(rcpt, mail)] = inbox.messages
        assert rcpt == ["zhang@example.com"] and mail["Subject"] == "峰谷电价执行时间"
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await subscription.close()


async def test_an_outage_notice_goes_out_by_sms_and_bad_recipients_are_refused(client, world):
    _, key = await knowledge_content(world)
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post(
        f"/api/notices/{key}/send", json={"channel": "sms", "to": "138-0013-8000"}, headers=headers
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    assert queued["recipient"] == "13800138000"
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
        assert "中关村大街" in row.body and "线路检修" in row.body and len(row.body) <= SMS_LIMIT

    landline = await client.post(
        f"/api/notices/{key}/send", json={"channel": "sms", "to": "010-88886666"}, headers=headers
    )
    assert landline.status == 422 and (await landline.json())["error_id"] == "recipient_invalid"
    assert "手机号" in (await landline.json())["message"]
    bad_mail = await client.post(
        f"/api/notices/{key}/send", json={"channel": "email", "to": "not-an-address"}, headers=headers
    )
    assert (await bad_mail.json())["error_id"] == "recipient_invalid"
    pigeon = await client.post(
        f"/api/notices/{key}/send", json={"channel": "pigeon", "to": "x"}, headers=headers
    )
    assert pigeon.status == 400  # faxes are tested in test_fax.py
    missing = await client.post(
        "/api/notices/nosuchkey/send", json={"channel": "sms", "to": "13800138000"}, headers=headers
    )
    assert missing.status == 404
    async with world.services.sessionmaker() as db:
        assert len(list(await db.scalars(select(Notification)))) == 1  # refusals queued nothing


async def test_a_handler_may_read_but_not_send(client, world):
    article_id, _ = await knowledge_content(world)
    csrf = await login(client, "2001")
    resp = await client.post(
        f"/api/knowledge/{article_id}/send",
        json={"channel": "sms", "to": "13800138000"},
        headers={"X-CSRF-Token": csrf},
    )
    assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"


async def test_a_message_sent_for_an_order_shows_on_its_timeline(client, world):
    _, key = await knowledge_content(world)
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "何时来电"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers=headers,
    )
    order = await resp.json()
    assert resp.status == 201, order
    nowhere = await client.post(
        f"/api/notices/{key}/send",
        json={"channel": "sms", "to": "13800138000", "order_id": 999_999},
        headers=headers,
    )
    assert nowhere.status == 404
    sent = await client.post(
        f"/api/notices/{key}/send",
        json={"channel": "sms", "to": "13800138000", "order_id": order["id"]},
        headers=headers,
    )
    assert sent.status == 201, await sent.text()
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [sms] = [e for e in view["timeline"] if e["kind"] == "sms"]
    assert sms["direction"] == "outbound" and sms["number"] == "13800138000" and sms["state"] == "pending"
    assert "中关村大街" in sms["content"]
