"""A failed SMS or email on the order's timeline: the gateway's reason in Chinese (its own words
kept as detail), and 重发 once, as for a fax: a real HTTP SMS gateway answering an error, a real
SMTP server (aiosmtpd) refusing the recipient, then accepting the copy."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from tests.agent_ui.conftest import login, smtp_server
from ticketing.models import Notification
from ticketing.notify import Dispatcher, HttpSmsGateway, SmtpGateway

TEXTS = json.loads((Path(__file__).parents[2] / "agent_ui/texts/zh-CN.json").read_text(encoding="utf-8"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def said(key: str) -> str:
    """What the console shows for a text key: Chinese words, not the gateway's English."""
    text = TEXTS[key]
    assert CHINESE.search(text), (key, text)
    return text


class Mailbox:
    def __init__(self) -> None:
        self.refuse = True
        self.delivered: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        if self.refuse:
            return "550 5.1.1 <zhang@example.com>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.delivered.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        yield mailbox, port


@pytest.fixture
async def sms_gateway(aiohttp_server):
    """Refuses the number (400) until told otherwise, as a real gateway does an unknown mobile."""
    state = {"refuse": True, "received": []}

    async def handler(request):
        if state["refuse"]:
            return web.Response(status=400, text='{"code":"InvalidMobile","message":"invalid mobile number"}')
        state["received"].append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    return HttpSmsGateway(url=str(server.make_url("/sms"))), state


async def _order(client, csrf) -> dict:
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "电价"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def _on_timeline(client, order, kind) -> list[dict]:
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    return [e for e in view["timeline"] if e["kind"] == kind]


async def test_a_failed_sms_reads_in_chinese_and_is_sent_again_once(
    client, aiohttp_client, world, sms_gateway
):
    gateway, state = sms_gateway
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    order = await _order(client, csrf)
    resp = await client.post(
        f"/api/orders/{order['id']}/sms",
        json={"to": "13800138000", "text": "您的工单已受理。"},
        headers=headers,
    )
    first = await resp.json()
    assert resp.status == 201, first
    early = await client.post(f"/api/sms/{first['id']}/resend", headers=headers)
    assert early.status == 409 and (await early.json())["error_id"] == "sms.not_failed"

    assert await Dispatcher(world.services.sessionmaker, sms=gateway).deliver_pending() == (0, 1)
    [failed] = await _on_timeline(client, order, "sms")
    assert failed["state"] == "failed" and failed["failure"] == "refused"
    assert said(f"delivery.failure.{failed['failure']}") == "对方平台拒收，请核对号码和内容"
    assert "invalid mobile number" in failed["error"]  # the gateway's own words, on hover
    assert failed["resent_as"] is None

    # a handler may not send an SMS from the order, so may not resend one; an SMS is not an email
    handler = await aiohttp_client(client.server)
    refused = await handler.post(
        f"/api/sms/{first['id']}/resend", headers={"X-CSRF-Token": await login(handler, "2001")}
    )
    assert refused.status == 403
    assert (await client.post(f"/api/emails/{first['id']}/resend", headers=headers)).status == 404

    resp = await client.post(f"/api/sms/{first['id']}/resend", headers=headers)
    again = await resp.json()
    assert resp.status == 201, again
    assert (again["channel"], again["recipient"], again["state"]) == ("sms", "13800138000", "pending")
    second = await client.post(f"/api/sms/{first['id']}/resend", headers=headers)
    answer = await second.json()
    assert second.status == 409 and answer["error_id"] == "sms.already_resent"
    assert "已经重发过" in said("error.sms.already_resent")

    state["refuse"] = False
    assert await Dispatcher(world.services.sessionmaker, sms=gateway).deliver_pending() == (1, 0)
    assert state["received"] == [{"to": "13800138000", "text": "【95598】您的工单已受理。", "sign": "95598"}]
    sent = [
        (e["notification_id"], e["state"], e["resent_as"]) for e in await _on_timeline(client, order, "sms")
    ]
    assert sent == [(first["id"], "failed", again["id"]), (again["id"], "sent", None)]


async def test_a_failed_email_reads_in_chinese_and_is_sent_again_once(client, aiohttp_client, world, smtp):
    mailbox, port = smtp
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    order = await _order(client, csrf)
    resp = await client.post(
        f"/api/orders/{order['id']}/email",
        json={"to": "zhang@example.com", "subject": "咨询答复", "text": "峰谷电价已执行。"},
        headers=headers,
    )
    first = await resp.json()
    assert resp.status == 201, first
    gateway = SmtpGateway(host="127.0.0.1", port=port)
    assert await Dispatcher(world.services.sessionmaker, email=gateway).deliver_pending() == (0, 1)
    [failed] = await _on_timeline(client, order, "email")
    assert failed["state"] == "failed" and failed["failure"] == "address"
    assert said(f"delivery.failure.{failed['failure']}") == "收件地址不存在或被拒收，请核对"
    assert "User unknown" in failed["error"]

    # two presses at once (a double click, a colleague on the order): one copy, one refusal in words
    other = await aiohttp_client(client.server)
    other_headers = {"X-CSRF-Token": await login(other, "3001")}
    presses = await asyncio.gather(
        client.post(f"/api/emails/{first['id']}/resend", headers=headers),
        other.post(f"/api/emails/{first['id']}/resend", headers=other_headers),
    )
    answers = sorted([(r.status, await r.json()) for r in presses], key=lambda a: a[0])
    assert [status for status, _ in answers] == [201, 409], answers
    again, refused = answers[0][1], answers[1][1]
    assert refused["error_id"] == "email.already_resent"
    assert "已经重发过" in said("error.email.already_resent")
    late = await client.post(f"/api/emails/{first['id']}/resend", headers=headers)
    assert late.status == 409 and (await late.json())["error_id"] == "email.already_resent"

    async with world.services.sessionmaker() as db:
        rows = list(await db.scalars(select(Notification).where(Notification.channel == "email")))
    assert sorted(r.id for r in rows) == [first["id"], again["id"]]
    copy = next(r for r in rows if r.id == again["id"])
    assert (copy.recipient, copy.subject, copy.body) == ("zhang@example.com", "咨询答复", "峰谷电价已执行。")

    mailbox.refuse = False
    dispatcher = Dispatcher(world.services.sessionmaker, email=gateway)
    assert await dispatcher.deliver_pending() == (1, 0)
    assert mailbox.delivered == [["zhang@example.com"]]
    sent = [
        (e["notification_id"], e["state"], e["resent_as"]) for e in await _on_timeline(client, order, "email")
    ]
    assert sent == [(first["id"], "failed", again["id"]), (again["id"], "sent", None)]
