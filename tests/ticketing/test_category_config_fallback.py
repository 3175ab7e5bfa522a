"""An order keeps the 业务大类别 the agent picked (协调单 → coordination, 用户信息查询 → query),
which shares a workflow with another category (fault_repair's fault, consult's consult). Its
per-category configuration falls back to the workflow's category where the picked one has none
of its own: the automatic SMS at a step, the contractors who may take it, the survey dimensions,
the print template; a category's own setting wins over its workflow's."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import contractors as register
from ticketing import create_order, notify, submit_step
from ticketing.categories import config_categories
from ticketing.errors import FieldErrors
from ticketing.models import Notification, NotificationTemplate, PrintTemplate, WorkOrder
from ticketing.printing import template_for
from ticketing.surveys import add_dimension, order_dimensions

SH = ZoneInfo("Asia/Shanghai")
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)
FAULT = {"故障地址": "天河路3号", "所属供电局": "440100"}
CREW = {"抢修人员": "张师傅", "派工时间": "2026-11-27T14:45"}
OPTIONS = [{"label": "满意", "satisfied": True}, {"label": "不满意", "satisfied": False}]


async def _taken(session, seeded, workflow: str, category: str, form: dict) -> WorkOrder:
    return await create_order(
        session,
        seeded.users["1001"],
        workflow=workflow,
        category=category,
        site_id=seeded.sites["440100"].id,
        form=form,
        caller_number="13800138000",
        now=CALLED,
    )


async def _sms(session, order: WorkOrder) -> list[str]:
    rows = await session.scalars(
        select(Notification.body)
        .where(Notification.order_id == order.id, Notification.channel == "sms")
        .order_by(Notification.id)
    )
    return list(rows)


async def test_a_coordination_order_gets_the_fault_flows_sms_at_dispatch_and_its_contractors(session, seeded):
    u = seeded.users
    company = await register.create(
        session,
        u["9001"],
        {"name": "粤电工程公司", "phones": ["13800001111"], "categories": ["fault"]},
    )
    order = await _taken(session, seeded, "fault_repair", "coordination", FAULT)
    assert order.category == "coordination"
    assert await config_categories(session, order) == ("coordination", "fault")
    await submit_step(session, u["5101"], order)  # 接收确认 → 派工
    assert order.current_node == "dispatch"
    [sms] = await _sms(session, order)  # the fault category's 已受理, seeded for dispatch
    assert "您报修的故障" in sms and order.number in sms and "已受理" in sms

    # registered for 故障报修: offered for the 协调单 and taking its 外委派工
    offered = await register.candidates(
        session, category=await config_categories(session, order), site_id=order.site_id
    )
    assert company.id in [c.id for c in offered]
    await submit_step(session, u["5101"], order, form={**CREW, "外委单位": company.id})
    assert (order.current_node, order.status) == ("outsource", "外委处理中")


async def test_a_contractor_serving_neither_category_is_still_refused(session, seeded):
    u = seeded.users
    company = await register.create(
        session, u["9001"], {"name": "售后维修公司", "phones": ["13800002222"], "categories": ["aftersales"]}
    )
    order = await _taken(session, seeded, "fault_repair", "coordination", FAULT)
    await submit_step(session, u["5101"], order)
    with pytest.raises(FieldErrors) as refused:
        await submit_step(session, u["5101"], order, form={**CREW, "外委单位": company.id})
    assert refused.value.problems == {"外委单位": "contractor_wrong_category"}


async def test_a_categorys_own_sms_replaces_its_workflows_at_that_step_only(session, seeded):
    u = seeded.users
    session.add(
        NotificationTemplate(
            name="测试模板1",
            category="coordination",
            node="dispatch",
            channel="sms",
            auto_send=True,
            body="【95598】您的协调单 {{ order.number }} 已受理，正在协调处理。",
        )
    )
    await session.flush()
    coordination = await _taken(session, seeded, "fault_repair", "coordination", FAULT)
    fault = await _taken(session, seeded, "fault_repair", "fault", FAULT)
    for order in (coordination, fault):
        await submit_step(session, u["5101"], order)
    # its own only, not the fault one besides
    assert await _sms(session, coordination) == [
        f"【95598】您的协调单 {coordination.number} 已受理，正在协调处理。"
    ]
    [sms] = await _sms(session, fault)
    assert "您报修的故障" in sms
    # none of its own on leaving 抢修完成: the fault one goes out there
    [reply] = await notify.on_leave(session, coordination, "repair")
    assert "已抢修完成" in reply.body and coordination.number in reply.body


async def test_survey_dimensions_are_the_categorys_own_else_the_workflows_never_a_mix(session, seeded):
    u = seeded.users
    admin = u["9001"]
    coordination = await _taken(session, seeded, "fault_repair", "coordination", FAULT)
    query = await _taken(session, seeded, "consult", "query", {"咨询内容": "查询户号", "答复内容": "已告知"})
    # 协调单: the fault flow's 满意度回访 dimensions (seeded)
    assert [d.name for d in await order_dimensions(session, coordination)] == [
        "服务技能",
        "服务礼仪",
        "抢修时效",
        "综合评价",
    ]
    # 用户信息查询: none until 信息咨询 has some, then those
    assert await order_dimensions(session, query) == []
    await add_dimension(session, admin, "consult", "答复质量", OPTIONS)
    assert [d.name for d in await order_dimensions(session, query)] == ["答复质量"]
    # its own once it has any, and only those
    await add_dimension(session, admin, "query", "查询准确", OPTIONS)
    assert [d.name for d in await order_dimensions(session, query)] == ["查询准确"]


async def test_the_print_template_falls_back_to_the_workflows_category(session, seeded):
    order = await _taken(session, seeded, "fault_repair", "coordination", FAULT)
    session.add_all(
        [
            PrintTemplate(name="通用", workflow_key="fault_repair", body="x"),
            PrintTemplate(name="故障报修单", workflow_key="fault_repair", category="fault", body="x"),
        ]
    )
    await session.flush()
    assert (await template_for(session, order)).name == "故障报修单"
    session.add(PrintTemplate(name="协调单", workflow_key="fault_repair", category="coordination", body="x"))
    await session.flush()
    assert (await template_for(session, order)).name == "协调单"
