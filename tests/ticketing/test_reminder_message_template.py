"""A reminder worded by the message templates the admin picked (``templates: {sms: …, email: …}``):
when it fires, its SMS and e-mail to the step's handlers are those templates filled for the order
(the e-mail's subject the template's), the screen notice the engine's words; a template 停用
after the import does not lose the reminder: that channel says the engine's words. The import
refuses a template that could not word it (disabled, the customer's, another channel's)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import SlaWorker, approve, create_order
from ticketing.errors import WorkflowInvalid
from ticketing.message_templates import create_template, update_template
from ticketing.models import Notification, NotificationTemplate
from ticketing.seed import workflow_source
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")


def at(hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hh, mm, tzinfo=SH)  # a Wednesday


def complaint_reminding(templates: dict) -> dict:
    data = workflow_source("complaint")
    handle = next(n for n in data["nodes"] if n["id"] == "handle")
    handle["sla"]["reminders"] = [
        {
            "before": "15m",
            "notify": {"current_handlers": True},
            "channels": ["screen", "sms", "email"],
            "urgency": "high",
            "templates": templates,
        }
    ]
    return data


async def templates(session, admin) -> tuple[NotificationTemplate, NotificationTemplate]:
    sms = await create_template(
        session,
        admin,
        {
            "name": "处理催办短信",
            "category": "complaint",
            "node": "handle",
            "channel": "sms",
            "audience": "handler",
            "body": "【催办】工单 {{ order.number }}（{{ form.get('标题') }}）将于 {{ due_at }} 到期，请尽快处理。",
        },
    )
    # a template of another step of the workflow serves as well (处理 has its handler e-mail)
    mail = await create_template(
        session,
        admin,
        {
            "name": "复核催办邮件",
            "category": "complaint",
            "node": "review",
            "channel": "email",
            "audience": "handler",
            "subject": "催办：{{ order.number }}",
            "body": "投诉「{{ form.get('标题') }}」请在 {{ due_at }} 前处理完毕。",
        },
    )
    await session.flush()
    return sms, mail


async def at_handle(session, seeded) -> object:
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        now=at(9),
        form={
            "类别1": "一类",
            "所属区域": "440100",
            "标题": "抢修慢",
            "投诉内容": "等了三小时",
            "严重程度": "一般",
        },
    )
    await approve(session, seeded.users["2001"], order, now=at(9, 30))  # 处理 from 09:30, due 10:30
    await session.commit()
    return order


async def fired(session, order) -> list[Notification]:
    rows = await session.scalars(
        select(Notification)
        .where(Notification.order_id == order.id, Notification.kind == "reminder")
        .order_by(Notification.id)
    )
    found = list(rows)
    await session.commit()
    return found


async def test_a_fired_reminder_says_what_its_templates_say(sm, session, seeded):
    admin = seeded.users["9001"]
    sms, mail = await templates(session, admin)
    await import_definition(session, complaint_reminding({"sms": sms.id, "email": mail.id}), actor=admin)
    await session.commit()
    order = await at_handle(session, seeded)
    assert await SlaWorker(sm).run_due(at(10, 15)) == 1

    notes = await fired(session, order)
    by_channel = {n.channel: n for n in notes}
    assert set(by_channel) == {"screen", "sms", "email"}
    assert {n.urgency for n in notes} == {"high"}
    assert (
        by_channel["sms"].body
        == f"【催办】工单 {order.number}（抢修慢）将于 2026-11-25 10:30 到期，请尽快处理。"
    )
    assert by_channel["sms"].recipient.startswith("1370000")  # the handlers' mobiles
    assert by_channel["email"].subject == f"催办：{order.number}"
    assert by_channel["email"].body == "投诉「抢修慢」请在 2026-11-25 10:30 前处理完毕。"
    # the screen notice is the engine's own words
    assert by_channel["screen"].subject == f"【即将超期】{order.number} 抢修慢"
    assert (
        by_channel["screen"].body
        == f"工单 {order.number} 处理即将超期（时限 2026-11-25 10:30），状态：处理中"
    )

    # 停用 after the import: the SMS says the engine's words rather than nothing
    await update_template(session, admin, sms.id, {"enabled": False})
    await session.commit()
    later = await at_handle(session, seeded)
    assert await SlaWorker(sm).run_due(at(10, 15)) == 1
    by_channel = {n.channel: n for n in await fired(session, later)}
    assert (
        by_channel["sms"].body == f"工单 {later.number} 处理即将超期（时限 2026-11-25 10:30），状态：处理中"
    )
    assert by_channel["sms"].subject == f"【即将超期】{later.number} 抢修慢"
    assert by_channel["email"].subject == f"催办：{later.number}"


async def test_the_import_refuses_a_template_that_cannot_word_the_reminder(session, seeded):
    admin = seeded.users["9001"]
    sms, mail = await templates(session, admin)
    await update_template(session, admin, sms.id, {"enabled": False})
    customer_sms = await session.scalar(
        select(NotificationTemplate.id).where(
            NotificationTemplate.category == "complaint",
            NotificationTemplate.channel == "sms",
            NotificationTemplate.audience == "customer",
        )
    )
    cases = [
        ({"sms": sms.id}, "reminder_template_disabled"),
        ({"sms": mail.id}, "reminder_template_mismatch"),  # an e-mail one for SMS
        ({"sms": customer_sms}, "reminder_template_mismatch"),  # written to the customer
        ({"sms": 999999}, "unknown_reminder_template"),
    ]
    for picked, error_id in cases:
        with pytest.raises(WorkflowInvalid) as refused:
            await import_definition(session, complaint_reminding(picked), actor=admin)
        problems = [
            (p[0], p.where.get("node"), p.where.get("reminder"), p.where.get("channel"))
            for p in refused.value.problems
        ]
        assert problems == [(error_id, "handle", 1, "sms")], picked
