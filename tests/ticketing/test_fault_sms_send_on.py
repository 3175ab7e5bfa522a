"""When the fault SMS reach the customer (QA 2026-11-29 #10): 抢修完成 as the order leaves
抢修完成, whichever way it goes on (with or without 需要回复客户), and 已受理 once, not again on a
dissatisfied customer's 重新派工 (message templates' ``send_on``: enter, first_enter, leave)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent_ui.order_views import timeline
from tests.ticketing.conftest import fault_on_business_hours
from ticketing import FieldErrors, create_order, submit_step
from ticketing.message_templates import create_template, update_template
from ticketing.models import Notification, NotificationTemplate
from ticketing.workflow import store

SH = ZoneInfo("Asia/Shanghai")


def at(hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, 8, hh, mm, tzinfo=SH)


async def _customer_sms(session, order) -> list[str]:
    rows = await session.scalars(
        select(Notification.body)
        .where(
            Notification.order_id == order.id, Notification.channel == "sms", Notification.user_id.is_(None)
        )
        .order_by(Notification.id)
    )
    return list(rows)


def _clock(real: bool):
    """The moments a story's steps are taken at and the times typed into its form: a working
    day's (8 Oct 2026), or now (the order page matches each status change to the opinion written
    with it by the database's clock)."""
    if real:
        typed = dt.datetime.now(SH).strftime("%Y-%m-%d %H:%M")
        return (lambda hh, mm=0: None), (lambda hh, mm=0: typed)
    return at, (lambda hh, mm=0: at(hh, mm).strftime("%Y-%m-%d %H:%M"))


async def _repaired(session, seeded, *, reply: bool, real_time: bool = False):
    """A Guangzhou fault order taken by 5101 through 派工 and 到达现场 to 抢修完成's 提交."""
    when, typed = _clock(real_time)
    await fault_on_business_hours(session)
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440106"].id,
        customer_id=1,
        caller_number="13800138000",
        now=when(8),
        form={
            "故障名称": "家中停电",
            "故障地址": "广州市天河区中山路1号",
            "所属供电局": "440100",
            "需要回复客户": reply,
        },
    )
    handler = u["5101"]
    await submit_step(session, handler, order, opinion="收到", now=when(8, 10))
    await submit_step(session, handler, order, form={"抢修人员": "张师傅", "派工时间": typed(9)}, now=when(9))
    await submit_step(
        session, handler, order, form={"到达时间": typed(9, 40), "产权": "供电公司"}, now=when(9, 40)
    )
    assert order.current_node == "repair"
    assert len(await _customer_sms(session, order)) == 1  # 已受理 only: the repair is not done yet
    await submit_step(
        session, handler, order, form={"完成时间": typed(11), "处理描述": "更换熔断器"}, now=when(11)
    )
    return order


async def test_the_customer_hears_the_repair_is_done_without_a_reply_step(session, seeded):
    order = await _repaired(session, seeded, reply=False)
    assert order.current_node == "visit"  # 回复客户 skipped
    accepted, done = await _customer_sms(session, order)
    assert "已受理，抢修人员正在安排" in accepted
    assert (
        done == f"【95598】您报修的故障（工单 {order.number}）已抢修完成：更换熔断器。如有疑问请致电95598。"
    )


async def test_a_redispatch_does_not_say_accepted_again(session, seeded):
    order = await _repaired(session, seeded, reply=True)
    assert order.current_node == "reply"
    assert [body.split("）")[1][:5] for body in await _customer_sms(session, order)] == [
        "已受理，抢",
        "已抢修完成",
    ]
    # the customer is not satisfied: 重新派工, back to 派工, and nothing new is sent to them
    await submit_step(
        session,
        seeded.users["1001"],
        order,
        form={"处理意见": "已回电", "回复内容": "已修复", "客户满意": "不满意"},
        now=at(11, 30),
    )
    assert order.current_node == "dispatch"
    assert len(await _customer_sms(session, order)) == 2


async def test_an_enter_template_still_goes_out_on_every_entry(session, seeded):
    """``send_on: enter`` (the default) is what it was: sent again when the order comes back."""
    fault = await session.scalar(
        select(NotificationTemplate).where(NotificationTemplate.name == "故障受理通知短信")
    )
    assert fault.send_on == "first_enter"
    await update_template(session, seeded.users["9001"], fault.id, {"send_on": "enter"})
    order = await _repaired(session, seeded, reply=True)
    await submit_step(
        session,
        seeded.users["1001"],
        order,
        form={"处理意见": "已回电", "回复内容": "已修复", "客户满意": "不满意"},
        now=at(11, 30),
    )
    assert [body.split("）")[1][:5] for body in await _customer_sms(session, order)] == [
        "已受理，抢",
        "已抢修完成",
        "已受理，抢",
    ]


#: a 故障报修 SMS template an admin adds for 现场处理, sent on its own
ON_SITE_SMS = {
    "name": "测试模板",
    "category": "fault",
    "node": "onsite",
    "channel": "sms",
    "body": "到达",
    "auto_send": True,
}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"send_on": "later"}, "field_bad_option"),
        ({"send_on": "leave", "audience": "handler"}, "field_bad_option"),
        (
            {"send_on": "leave", "audience": "contractor", "category": "fault", "node": "outsource"},
            "field_bad_option",
        ),
    ],
)
async def test_admins_pick_when_a_template_goes_out_among_those_known(session, seeded, values, problem):
    with pytest.raises(FieldErrors) as refused:
        await create_template(session, seeded.users["9001"], {**ON_SITE_SMS, **values})
    assert refused.value.problems == {"send_on": problem}


async def test_a_new_template_goes_out_on_entering_unless_told_otherwise(session, seeded):
    admin = seeded.users["9001"]
    row = await create_template(session, admin, ON_SITE_SMS)
    assert row.send_on == "enter"
    await update_template(session, admin, row.id, {"send_on": "leave"})
    assert row.send_on == "leave"


async def test_the_timeline_names_the_exit_a_step_took(session, seeded):
    """回复客户's 提交 that sent the order back to 派工 reads 重新派工 on the order page."""
    order = await _repaired(session, seeded, reply=True, real_time=True)
    await submit_step(
        session,
        seeded.users["1001"],
        order,
        form={"处理意见": "已回电", "回复内容": "已修复", "客户满意": "不满意"},
    )
    definition = await store.definition_for(session, order.workflow_id)
    steps = [
        (e["node"], e["exit_name"], e.get("led_to") or e.get("status"))
        for e in await timeline(session, order, definition)
        if e["kind"] in ("status", "comment") and e.get("action") == "submit"
    ]
    # 重新派工 named on 回复客户's line; an unnamed exit (抢修完成 → 回复客户) names none
    assert ("reply", "重新派工", "接收确认") in steps
    assert ("repair", "", "抢修完成") in steps and all(
        name != "重新派工" for node, name, _ in steps if node != "reply"
    )
