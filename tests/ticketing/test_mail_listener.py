"""Inbound e-mail through the SMTP listener (ticketing.inbound.MailListener), with a real
SMTP client: the hotline's address only, a size limit, one event per Message-ID, the HTML
part as text, attachments stored as files beside the event."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cti.bus import InProcessBus
from ticketing.inbound import MailHandler, MailListener
from ticketing.intake import Intake
from ticketing.models import Interaction

ADDRESS = "95598@hotline.example"


@pytest.fixture
async def listener(sm, seeded, tmp_path):
    intake = Intake()
    intake.logged_in = {"1001"}
    bus = InProcessBus()
    handler = MailHandler(sm, intake, bus, [ADDRESS.upper()], tmp_path / "mail", attachment_max_bytes=1000)
    server = MailListener(handler, "127.0.0.1", 0, max_bytes=20_000)
    await server.start()
    yield server
    await server.stop()
    await bus.close()


def _message(message_id: str = "<m1@customer.example>", **parts) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "王先生 <wang@customer.example>"
    msg["To"] = ADDRESS
    msg["Subject"] = "电表读数有误"
    msg["Message-ID"] = message_id
    msg.set_content(parts.get("text", "本月电表读数明显偏高，请核实。"))
    return msg


def _send(port: int, msg: EmailMessage, to: str = ADDRESS) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        return smtp.send_message(msg, to_addrs=[to])


async def _emails(sm) -> list[Interaction]:
    async with sm() as db:
        return list(
            await db.scalars(select(Interaction).where(Interaction.kind == "email").order_by(Interaction.id))
        )


async def test_a_mail_for_the_hotline_becomes_an_assigned_email_event_once(listener, sm, seeded):
    msg = _message()
    assert await asyncio.to_thread(_send, listener.port, msg) == {}
    # the MTA delivers the same message again (its own retry, or a second MX): one event
    await asyncio.to_thread(_send, listener.port, msg)
    [row] = await _emails(sm)
    assert (row.external_id, row.number, row.subject) == (
        "m1@customer.example",
        "wang@customer.example",
        "电表读数有误",
    )
    assert row.content == "本月电表读数明显偏高，请核实。"
    assert row.status == "assigned" and row.assigned_to_id == seeded.users["1001"].id


async def test_mail_for_another_address_is_refused_at_rcpt(listener, sm, seeded):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await asyncio.to_thread(_send, listener.port, _message(), "someone-else@hotline.example")
    [(code, _)] = refused.value.recipients.values()
    assert code == 550
    assert await _emails(sm) == []


async def test_a_mail_over_the_size_limit_is_refused(listener, sm, seeded):
    msg = _message(text="很长的邮件。" * 5000)
    with pytest.raises(
        (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)
    ) as big:
        await asyncio.to_thread(_send, listener.port, msg)
    if hasattr(big.value, "smtp_code"):
        assert big.value.smtp_code == 552
    assert await _emails(sm) == []


async def test_html_body_as_text_and_attachments_stored_as_files(listener, sm, seeded, tmp_path):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "li@customer.example", ADDRESS, "抄表照片"
    msg["Message-ID"] = "<m2@customer.example>"
    msg.add_alternative(
        "<html><head><style>p{color:red}</style></head><body><p>请看附件&amp;回电</p><p>李女士</p></body></html>",
        subtype="html",
    )
    msg.add_attachment(b"\x89PNG small", maintype="image", subtype="png", filename="../../电表.png")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    await asyncio.to_thread(_send, listener.port, msg)
    [row] = await _emails(sm)
    assert row.content == "请看附件&回电\n\n李女士"
    small, big = row.payload["files"]
    assert row.payload["attachments"] == ["../../电表.png", "big.pdf"]
    stored = Path(small["path"])
    assert await asyncio.to_thread(stored.read_bytes) == b"\x89PNG small"
    assert stored.is_relative_to(tmp_path / "mail") and stored.name == "01-电表.png"
    assert small["size"] == len(b"\x89PNG small") and small["type"] == "image/png"
    assert big["skipped"] == "too_large" and "path" not in big and big["size"] == 5000


async def test_a_mail_the_database_cannot_take_is_deferred_for_the_mta_to_retry(sm, seeded, tmp_path):
    class Broken:
        def __call__(self):
            raise RuntimeError("database away")

    handler = MailHandler(Broken(), Intake(), None, [ADDRESS], tmp_path / "mail")
    server = MailListener(handler, "127.0.0.1", 0)
    await server.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            await asyncio.to_thread(_send, server.port, _message())
        assert deferred.value.smtp_code == 451
    finally:
        await server.stop()
    async with sm() as db:
        assert (
            await db.scalar(select(func.count()).select_from(Interaction).where(Interaction.kind == "email"))
            == 0
        )
