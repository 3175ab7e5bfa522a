"""An email's subject is one line (QA: a subject "s\\r\\nBcc: x@evil.example" was queued, then
made the SMTP gateway raise ValueError on every dispatch pass: the row stayed pending and the
recipient's later mail never went). The API refuses control characters in a subject; a
template's subject filled with a field's line breaks is sent on one line; and a message the
gateway cannot take fails for good with the reason while the others are mailed (a real SMTP
server, aiosmtpd)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.errors import ActionRefused
from ticketing.models import Notification, NotificationTemplate
from ticketing.notify import Dispatcher, SmtpGateway, render_by_hand, send_message


async def _order(client, csrf) -> dict:
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价何时执行"},
            "caller_number": "13800138000",
            "submit": False,
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def _outbox(world) -> list[Notification]:
    async with world.services.sessionmaker() as db:
        return list(await db.scalars(select(Notification).order_by(Notification.id)))


@pytest.mark.parametrize(
    "subject", ["s\r\nBcc: x@evil.example", "s\nBcc: x@evil.example", "答复\x00", "答复\x1b[0m", "答\u2028复"]
)
async def test_a_written_subject_with_a_line_break_or_control_character_is_refused(client, world, subject):
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    for channel, to in (("email", "a@example.com"), ("sms", "13800138000")):
        resp = await client.post(
            f"/api/orders/{order['id']}/{channel}",
            json={"to": to, "subject": subject, "text": "您好"},
            headers={"X-CSRF-Token": csrf},
        )
        answer = await resp.json()
        assert (resp.status, answer["error_id"]) == (422, "invalid_fields"), answer
        assert answer["details"]["problems"] == {"subject": "field_control_chars"}
    assert await _outbox(world) == []
    # the outbox itself takes no such email subject, whoever asks (knowledge, faxes' resend…)
    async with world.services.sessionmaker() as db:
        with pytest.raises(ActionRefused) as refused:
            await send_message(db, None, "email", "a@example.com", subject, "您好")
        assert refused.value.error_id == "subject_invalid"


async def test_the_refusal_reads_in_chinese(client, world):
    csrf = await login(client, "1001")
    order = await _order(client, csrf)
    resp = await client.post(
        f"/api/orders/{order['id']}/email",
        json={"to": "a@example.com", "subject": "s\r\nBcc: x@evil.example", "text": "您好"},
        headers={"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"},
    )
    answer = await resp.json()
    assert "不能含换行或控制字符" in answer["message"], answer


def test_a_templates_subject_filled_with_line_breaks_is_sent_on_one_line():
    template = NotificationTemplate(
        channel="email", subject="答复：{{ form.get('标题', '') }}", body="{{ form.get('标题', '') }}"
    )
    subject, body = render_by_hand(template, {"form": {"标题": "停电\r\nBcc: x@evil.example\n  何时恢复"}})
    assert subject == "答复：停电 Bcc: x@evil.example 何时恢复"
    assert body == "停电\r\nBcc: x@evil.example\n  何时恢复"  # the body keeps its lines


async def test_a_message_the_smtp_gateway_cannot_take_fails_for_good_and_the_others_are_mailed(world, smtp):
    """Rows queued before the API refused such subjects: the bad one is marked failed with the
    reason in one pass; the same recipient's later mail and another's go out."""
    mailbox, port = smtp
    async with world.services.sessionmaker.begin() as db:
        db.add_all(
            [
                Notification(
                    channel="email", recipient="a@example.com", subject="s\r\nBcc: x@evil.example", body="1"
                ),
                Notification(channel="email", recipient="a@example.com", subject="第二封", body="2"),
                Notification(channel="email", recipient="b@example.com", subject="第三封", body="3"),
            ]
        )
    dispatcher = Dispatcher(world.services.sessionmaker, email=SmtpGateway(host="127.0.0.1", port=port))
    assert await dispatcher.deliver_pending() == (2, 1)
    bad, second, third = await _outbox(world)
    assert (bad.state, bad.attempts) == ("failed", 1)
    assert "Subject" in bad.error or "linefeed" in bad.error or "newline" in bad.error, bad.error
    assert (second.state, third.state) == ("sent", "sent")
    assert sorted((rcpt, mail["Subject"]) for rcpt, mail in mailbox.messages) == [
        (["a@example.com"], "第二封"),
        (["b@example.com"], "第三封"),
    ]
    assert all("evil" not in str(mail) for _, mail in mailbox.messages)
    # the next pass has nothing left to do: the failed row is not tried again
    assert await dispatcher.deliver_pending() == (0, 0)
    assert len(mailbox.messages) == 2
