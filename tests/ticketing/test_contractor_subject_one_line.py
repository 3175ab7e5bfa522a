"""A contractor's email subject is one line, as every template's subject since 0d8d759
(notify.render_subject): filled with a field's line breaks it was queued as it came, and the
SMTP gateway could not write its Subject header (or a line break started another header)."""

from __future__ import annotations

from sqlalchemy import select

from tests.ticketing.test_contractors import _contractor, flow
from ticketing import create_order
from ticketing.models import Notification, NotificationTemplate
from ticketing.notify import has_control_chars
from ticketing.workflow.store import import_definition


async def test_a_contractors_email_subject_filled_with_line_breaks_is_queued_on_one_line(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"], phones=["020-88886666"])
    session.add(
        NotificationTemplate(
            name="测试模板1",
            category="outsourced",
            node="outsource",
            channel="email",
            audience="contractor",
            subject="外委派单：{{ form.get('故障地址', '') }}",
            body="地址：{{ form.get('故障地址', '') }}",
        )
    )
    await session.flush()
    order = await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": company.id, "故障地址": "天河路\r\nBcc: x@evil.example\n  1号"},
    )
    [mail] = await session.scalars(
        select(Notification).where(Notification.order_id == order.id, Notification.channel == "email")
    )
    assert mail.recipient == "dispatch@yuedian.example"
    assert mail.subject == "外委派单：天河路 Bcc: x@evil.example 1号"
    assert not has_control_chars(mail.subject)
    assert mail.body == "地址：天河路\r\nBcc: x@evil.example\n  1号"  # the body keeps its lines
