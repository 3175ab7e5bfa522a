"""Outsourced contractors (外委单位): the register, a step dispatched to one, the reply an
internal handler records, the outbox messages, the audit trail, and the list filter."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ticketing import ActionRefused, Forbidden, create_order, submit_step
from ticketing import contractors as register
from ticketing.errors import FieldErrors, WorkflowInvalid
from ticketing.models import (
    AuditLog,
    Comment,
    ContractorDispatch,
    Notification,
    NotificationTemplate,
    WorkOrder,
)
from ticketing.workflow import store
from ticketing.workflow.actions import force_archive
from ticketing.workflow.definition import parse
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")
#: the seeded fault flow's times: the call, then the crew dispatched at 14:45 (派工时间)
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)
DISPATCHED = dt.datetime(2026, 11, 27, 14, 50, tzinfo=SH)


def flow(**node_extra) -> dict:
    return {
        "key": "outsourced",
        "name": "外委维修",
        "category": "outsourced",
        "fields": {"外委单位": {"type": "contractor"}, "故障地址": {"type": "text"}},
        "nodes": [
            {
                "id": "start",
                "type": "create",
                "fields": {"外委单位": "required", "故障地址": "editable"},
                "exits": [{"to": "outsource"}],
            },
            {
                "id": "outsource",
                "name": "外委处理",
                "type": "realize",
                "contractor": {"field": "外委单位"},
                "operators": {"batches": [[{"user": "5101"}]]},
                "sla": {"limit": "2h"},
                "exits": [{"to": "done"}],
                **node_extra,
            },
            {"id": "done", "type": "archive"},
        ],
    }


async def _contractor(session, admin, **values):
    return await register.create(
        session,
        admin,
        {
            "name": "粤电工程公司",
            "contact_person": "陈经理",
            "phones": ["13800001111", "020-88886666"],
            "email": "dispatch@yuedian.example",
            **values,
        },
    )


async def test_a_step_dispatches_to_the_contractor_and_a_handler_records_its_reply(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"])
    friday_afternoon = dt.datetime(2026, 11, 27, 16, 30, tzinfo=SH)
    order = await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": company.id, "故障地址": "天河路 1 号"},
        now=friday_afternoon,
    )
    assert order.current_node == "outsource"
    # the time limit runs in working hours: one hour on Friday, the second on Monday morning
    assert order.due_at == dt.datetime(2026, 11, 30, 9, 30, tzinfo=SH)

    dispatch = await session.scalar(select(ContractorDispatch).where(ContractorDispatch.order_id == order.id))
    assert (dispatch.contractor_id, dispatch.state, dispatch.dispatched_by_id) == (
        company.id,
        "pending",
        u["1001"].id,
    )
    sent = {
        n.channel: n
        for n in await session.scalars(select(Notification).where(Notification.order_id == order.id))
    }
    assert sent["sms"].recipient == "13800001111"  # the mobile, not the landline
    assert order.number in sent["sms"].body and "天河路 1 号" in sent["sms"].body
    assert sent["email"].recipient == "dispatch@yuedian.example"
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "order.dispatch_contractor"))
    assert audit.actor == "1001" and audit.after["contractor"] == "粤电工程公司"

    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["5101"], order)
    assert refused.value.error_id == "contractor_reply_missing"
    with pytest.raises(ActionRefused) as refused:
        await register.record_reply(session, u["1001"], order, reply="已修好")
    assert refused.value.error_id == "not_your_step"
    with pytest.raises(FieldErrors) as bad:
        await register.record_reply(session, u["5101"], order, reply=" ", result="maybe")
    assert bad.value.problems == {"reply": "field_required", "result": "field_bad_option"}

    await register.record_reply(session, u["5101"], order, reply="已更换开关,恢复供电", result="done")
    await session.refresh(dispatch)
    assert (dispatch.state, dispatch.replied_by_id, dispatch.reply) == (
        "replied",
        u["5101"].id,
        "已更换开关,恢复供电",
    )
    replied = await session.scalar(select(AuditLog).where(AuditLog.action == "order.contractor_reply"))
    assert replied.actor == "5101"
    actions = list(
        await session.scalars(select(Comment.action).where(Comment.order_id == order.id).order_by(Comment.id))
    )
    assert "dispatch_contractor" in actions and "contractor_reply" in actions

    await submit_step(session, u["5101"], order, opinion="外委完成")
    assert not order.is_open


async def test_a_disabled_or_missing_contractor_refuses_naming_the_field(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"])
    await register.set_active(session, u["9001"], company.id, False)
    before = await session.scalar(select(func.count()).select_from(WorkOrder))
    with pytest.raises(FieldErrors) as bad:
        await create_order(
            session,
            u["1001"],
            workflow="outsourced",
            site_id=seeded.sites["440100"].id,
            form={"外委单位": company.id},
        )
    assert bad.value.problems == {"外委单位": "contractor_inactive"}
    with pytest.raises(FieldErrors) as bad:
        await create_order(
            session,
            u["1001"],
            workflow="outsourced",
            site_id=seeded.sites["440100"].id,
            form={"外委单位": 9999},
        )
    assert bad.value.problems == {"外委单位": "contractor_unknown"}
    with pytest.raises(FieldErrors) as bad:
        await create_order(
            session,
            u["1001"],
            workflow="outsourced",
            site_id=seeded.sites["440100"].id,
            form={"外委单位": "粤电"},
        )
    assert bad.value.problems == {"外委单位": "field_not_contractor"}
    assert await session.scalar(select(func.count()).select_from(WorkOrder)) == before


async def test_only_contractors_serving_the_orders_category_and_area_take_it(session, seeded):
    """A service area is a site and covers its subtree; no area serves everywhere; an order
    without a site goes only to contractors without an area. Refused before anything is written."""
    u = seeded.users
    sites = seeded.sites
    await import_definition(session, flow())
    guangzhou = await _contractor(session, u["9001"], name="广州外委", site_id=sites["440100"].id)
    anywhere = await _contractor(session, u["9001"], name="全省外委")
    shenzhen = await _contractor(session, u["9001"], name="深圳外委", site_id=sites["440300"].id)
    repairers = await _contractor(session, u["9001"], name="报修外委", categories=["fault"])
    outlet = sites["440106"].id  # a 供电所 under the Guangzhou bureau

    names = [c.name for c in await register.candidates(session, category="outsourced", site_id=outlet)]
    assert sorted(names) == sorted(["广州外委", "全省外委"])
    names = [c.name for c in await register.candidates(session, category="fault", site_id=sites["440300"].id)]
    assert sorted(names) == sorted(["全省外委", "深圳外委", "报修外委"])
    names = [c.name for c in await register.candidates(session, category="outsourced", site_id=None)]
    assert names == ["全省外委"]
    # the register itself is not narrowed
    assert len(await register.listing(session, active_only=True)) == 4

    before = await session.scalar(select(func.count()).select_from(WorkOrder))
    for contractor, site_id, problem in (
        (shenzhen, outlet, "contractor_out_of_area"),
        (guangzhou, None, "contractor_out_of_area"),
        (guangzhou, sites["HQ"].id, "contractor_out_of_area"),  # above the area, not inside it
        (repairers, outlet, "contractor_wrong_category"),
    ):
        with pytest.raises(FieldErrors) as bad:
            await create_order(
                session, u["1001"], workflow="outsourced", site_id=site_id, form={"外委单位": contractor.id}
            )
        assert bad.value.problems == {"外委单位": problem}, (contractor.name, site_id)
    assert await session.scalar(select(func.count()).select_from(WorkOrder)) == before
    assert await session.scalar(select(func.count()).select_from(ContractorDispatch)) == 0

    order = await create_order(
        session, u["1001"], workflow="outsourced", site_id=outlet, form={"外委单位": guangzhou.id}
    )
    assert order.current_node == "outsource"
    dispatch = await session.scalar(select(ContractorDispatch).where(ContractorDispatch.order_id == order.id))
    assert dispatch.contractor_id == guangzhou.id
    siteless = await create_order(
        session, u["1001"], workflow="outsourced", site_id=None, form={"外委单位": anywhere.id}
    )
    assert siteless.current_node == "outsource"


async def test_leaving_the_step_without_a_reply_cancels_the_dispatch(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"])
    order = await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": company.id},
    )
    await force_archive(session, u["9001"], order, opinion="客户撤单")
    states = list(await session.scalars(select(ContractorDispatch.state)))
    assert states == ["cancelled"]
    # lists filter on live dispatches only
    count = await session.scalar(
        select(func.count()).select_from(WorkOrder).where(register.dispatched_to([company.id]))
    )
    assert count == 0


async def test_a_contractor_template_is_used_and_customer_templates_are_not_sent_to_it(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"], email="")
    session.add_all(
        [
            NotificationTemplate(
                name="测试模板1",
                category="outsourced",
                node="outsource",
                channel="sms",
                audience="contractor",
                body="【外委】{{ contractor.name }} 请处理 {{ order.number }}",
            ),
            NotificationTemplate(
                name="测试模板2",
                category="outsourced",
                node="outsource",
                channel="sms",
                auto_send=True,
                body="尊敬的客户,您的工单已派外委单位处理",
            ),
        ]
    )
    await session.flush()
    order = await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": company.id},
        caller_number="13912345678",
    )
    messages = select(Notification).where(
        Notification.order_id == order.id,
        Notification.channel != "screen",  # not the handler's 新工单
    )
    sent = {n.recipient: n.body for n in await session.scalars(messages)}
    assert sent["13800001111"] == f"【外委】粤电工程公司 请处理 {order.number}"
    assert sent["13912345678"] == "尊敬的客户,您的工单已派外委单位处理"
    assert len(sent) == 2  # no email: the contractor has none


async def test_the_register_validates_each_field_and_only_admins_change_it(session, seeded):
    u = seeded.users
    with pytest.raises(FieldErrors) as bad:
        await register.create(
            session, u["9001"], {"name": "", "email": "not-an-email", "phones": ["12"], "site_id": 9999}
        )
    assert bad.value.problems == {
        "name": "field_required",
        "email": "field_bad_email",
        "phones": "field_bad_phone",
        "site_id": "field_unknown_site",
    }
    company = await _contractor(session, u["9001"], categories="fault, complaint")
    assert company.categories == ["fault", "complaint"]
    with pytest.raises(FieldErrors) as bad:
        await _contractor(session, u["9001"])
    assert bad.value.problems == {"name": "field_duplicate"}
    with pytest.raises(Forbidden):
        await register.create(session, u["1001"], {"name": "另一家"})
    updated = await register.update_contractor(session, u["9001"], company.id, {"contact_person": "林经理"})
    assert updated.contact_person == "林经理"
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "contractor.update"))
    assert audit.before["contact_person"] == "陈经理" and audit.after["contact_person"] == "林经理"
    assert [c.name for c in await register.listing(session, category="fault")] == ["粤电工程公司"]
    assert await register.listing(session, category="consult") == []


async def test_a_category_no_workflow_has_is_refused_but_one_already_served_is_kept(session, seeded):
    """服务类别 are the categories orders are of: a workflow new orders start on has it. A code
    that none has is refused naming the field; one the contractor already serves stays when its
    workflow is disabled later, so the contractor can still be edited."""
    u = seeded.users
    with pytest.raises(FieldErrors) as bad:
        await _contractor(session, u["9001"], categories="fault, nosuchcat")
    assert bad.value.problems == {"categories": "field_unknown_category"}
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"], categories=["fault", "outsourced"])
    with pytest.raises(FieldErrors) as bad:
        await register.update_contractor(session, u["9001"], company.id, {"categories": ["nosuchcat"]})
    assert bad.value.problems == {"categories": "field_unknown_category"}
    await store.disable(session, "outsourced", 1, actor=u["9001"])
    kept = await register.update_contractor(
        session, u["9001"], company.id, {"categories": ["outsourced", "fault"], "contact_person": "林经理"}
    )
    assert kept.categories == ["outsourced", "fault"] and kept.contact_person == "林经理"
    other = await _contractor(session, u["9001"], name="另一家", categories=[])
    with pytest.raises(FieldErrors) as bad:  # no workflow of it runs any more: not for a newcomer
        await register.update_contractor(session, u["9001"], other.id, {"categories": ["outsourced"]})
    assert bad.value.problems == {"categories": "field_unknown_category"}


async def test_a_contractor_with_dispatches_is_disabled_never_deleted(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    used = await _contractor(session, u["9001"])
    unused = await register.create(session, u["9001"], {"name": "备用单位"})
    await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": used.id},
    )
    with pytest.raises(ActionRefused) as refused:
        await register.delete(session, u["9001"], used.id)
    assert refused.value.error_id == "contractor_in_use"
    await register.delete(session, u["9001"], unused.id)
    assert [c.name for c in await register.listing(session)] == ["粤电工程公司"]
    await register.set_active(session, u["9001"], used.id, False)
    assert await register.listing(session, active_only=True) == []


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"type": "approve", "exits": [{"to": "done"}]}, "contractor_not_on_realize"),
        ({"contractor": {"field": "故障地址"}}, "contractor_field_type"),
        ({"contractor": {"field": "外委"}}, "unknown_field_in_contractor"),
        ({"contractor": {"field": "外委单位", "channels": ["fax"]}}, "bad_channel"),
        ({"contractor": "粤电"}, "bad_contractor"),
    ],
)
def test_the_definition_checks_the_contractor_step(change, error_id):
    with pytest.raises(WorkflowInvalid) as bad:
        parse(flow(**change))
    assert error_id in [p[0] for p in bad.value.problems]


async def test_the_seeded_fault_flow_dispatches_to_a_contractor_picked_from_the_register(session, seeded):
    """派工 in 故障报修: 外委单位 is the register's contractor, not free text; naming one sends
    the order to 外委处理 (dispatch row, SMS) until its reply, then on to 到达现场."""
    u = seeded.users
    company = await _contractor(session, u["9001"])
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路3号", "所属供电局": "440100"},
        now=CALLED,
    )
    handler = u["5101"]
    await submit_step(session, handler, order)  # 接收确认
    crew = {"抢修人员": "张师傅", "派工时间": "2026-11-27T14:45"}
    with pytest.raises(FieldErrors) as typed:
        await submit_step(session, handler, order, form={**crew, "外委单位": "粤电工程公司"})
    assert typed.value.problems == {"外委单位": "field_not_contractor"}
    await submit_step(session, handler, order, form={**crew, "外委单位": company.id})
    assert (order.current_node, order.status) == ("outsource", "外委处理中")
    sent = await session.scalar(select(ContractorDispatch).where(ContractorDispatch.order_id == order.id))
    assert (sent.contractor_id, sent.state) == (company.id, "pending")
    with pytest.raises(ActionRefused) as early:
        await submit_step(session, handler, order)
    assert early.value.error_id == "contractor_reply_missing"
    await register.record_reply(session, handler, order, reply="已派人前往")
    await submit_step(session, handler, order)
    assert (order.current_node, order.status) == ("onsite", "已派工")


async def test_the_seeded_fault_flow_without_a_contractor_goes_straight_on_site(session, seeded):
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路4号", "所属供电局": "440100"},
        now=CALLED,
    )
    await submit_step(session, u["5101"], order)
    await submit_step(
        session, u["5101"], order, form={"抢修人员": "张师傅", "派工时间": "2026-11-27T14:45"}, now=DISPATCHED
    )
    assert (order.current_node, order.status) == ("onsite", "已派工")


async def test_choosing_到达现场_while_naming_a_contractor_is_refused_and_changes_nothing(session, seeded):
    """A dispatcher who names a 外委单位 means 外委派工: picking 到达现场 anyway would skip the
    dispatch (no SMS, no 外委处理) while the print shows the contractor, so it is refused."""
    u = seeded.users
    company = await _contractor(session, u["9001"])
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路5号", "所属供电局": "440100"},
        now=CALLED,
    )
    handler = u["5101"]
    await submit_step(session, handler, order)
    crew = {"抢修人员": "张师傅", "派工时间": "2026-11-27T14:45"}
    with pytest.raises(ActionRefused) as wrong:
        await submit_step(session, handler, order, form={**crew, "外委单位": company.id}, to="onsite")
    assert wrong.value.error_id == "exit_contradicts_form"
    assert wrong.value.details["fields"] == ["外委单位"]
    assert order.current_node == "dispatch" and order.form.get("外委单位") is None
    assert await session.scalar(select(func.count()).where(ContractorDispatch.order_id == order.id)) == 0
    # choosing 外委派工 without naming one is refused the same way
    with pytest.raises(ActionRefused) as empty:
        await submit_step(session, handler, order, form=crew, to="outsource")
    assert empty.value.error_id == "exit_contradicts_form"
    # the exit the form leads to is taken
    await submit_step(session, handler, order, form={**crew, "外委单位": company.id}, to="outsource")
    assert (order.current_node, order.status) == ("outsource", "外委处理中")


async def test_a_category_on_another_categorys_workflow_may_be_served(session, seeded):
    """A contractor may serve 协调单 (its orders run on 故障报修's workflow) by itself: intake
    offers a 协调单 order the contractors of either category."""
    company = await _contractor(session, seeded.users["9001"], categories=["coordination", "query"])
    assert company.categories == ["coordination", "query"]
