"""Print templates per step (打印模板): the sandboxed, autoescaped rendering of an order, the
choice of template for a step, the built-in default, and the admin's register."""

import pytest
from sqlalchemy import select

from ticketing import create_order, printing
from ticketing.customers import create_customer
from ticketing.errors import FieldErrors, Forbidden
from ticketing.models import AuditLog
from ticketing.workflow.actions import annotate


async def _order(session, seeded, customer_name="张三"):
    customer = await create_customer(
        session, "8800000001", customer_name, phones=["13912340000"], address="天河路 1 号"
    )
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={"故障地址": "天河路1号<b>", "所属供电局": "440100"},
        opinion="客户来电报修",
    )


async def test_the_default_template_prints_the_order_with_everything_escaped(session, seeded):
    order = await _order(session, seeded, customer_name="<script>alert(1)</script>")
    await annotate(session, seeded.users["1001"], order, "请尽快 <img src=x onerror=alert(1)>")
    name, html = await printing.render_order(session, order)
    assert name == "默认模板"
    assert order.number in html and "故障报修" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html
    assert "天河路1号&lt;b&gt;" in html
    assert "客户来电报修" in html and "批注" in html  # the opinions, with the action's name


async def test_the_most_specific_template_of_the_step_wins(session, seeded):
    admin = seeded.users["9001"]
    order = await _order(session, seeded)
    await printing.create_template(
        session, admin, {"name": "全流程", "workflow_key": "fault_repair", "body": "ALL {{ order.number }}"}
    )
    _, html = await printing.render_order(session, order)
    assert html == f"ALL {order.number}"
    step = await printing.create_template(
        session,
        admin,
        {
            "name": "本步骤",
            "workflow_key": "fault_repair",
            "node": order.current_node,
            "body": "{{ step.name }}:{{ customer.name }} {% for h in history %}[{{ h.action }}]{% endfor %}",
        },
    )
    name, html = await printing.render_order(session, order)
    assert (name, html) == ("本步骤", "接收确认:张三 [受理][提交]")
    await printing.set_enabled(session, admin, step.id, False)
    assert (await printing.render_order(session, order))[0] == "全流程"


@pytest.mark.parametrize(
    "body",
    [
        "{{ order.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ order.number.__class__ }}",
    ],
)
async def test_a_template_reaching_outside_the_sandbox_is_refused_with_a_clear_error(session, seeded, body):
    with pytest.raises(printing.PrintTemplateUnsafe) as refused:
        printing.render_template(body, printing.SAMPLE_CONTEXT)
    assert "is not available to print templates" in str(refused.value)
    with pytest.raises(FieldErrors) as bad:
        await printing.create_template(
            session, seeded.users["9001"], {"name": "越界", "workflow_key": "fault_repair", "body": body}
        )
    assert bad.value.problems == {"body": "template_unsafe"}


async def test_the_register_validates_fields_audits_changes_and_is_for_admins(session, seeded):
    admin = seeded.users["9001"]
    with pytest.raises(FieldErrors) as bad:
        await printing.create_template(
            session, admin, {"name": "", "workflow_key": "no_such_flow", "body": "{% if %}"}
        )
    assert bad.value.problems == {
        "name": "field_required",
        "workflow_key": "field_unknown_workflow",
        "body": "template_invalid",
    }
    with pytest.raises(FieldErrors) as bad:
        await printing.create_template(
            session, admin, {"name": "x", "workflow_key": "fault_repair", "node": "nowhere", "body": "x"}
        )
    assert bad.value.problems == {"node": "field_unknown_step"}
    with pytest.raises(Forbidden):
        await printing.create_template(
            session, seeded.users["1001"], {"name": "x", "workflow_key": "fault_repair", "body": "x"}
        )
    row = await printing.create_template(
        session, admin, {"name": "派工单", "workflow_key": "fault_repair", "body": "v1"}
    )
    with pytest.raises(FieldErrors) as bad:
        await printing.create_template(
            session, admin, {"name": "重复", "workflow_key": "fault_repair", "body": "v1"}
        )
    assert bad.value.problems == {"node": "field_duplicate"}
    await printing.update_template(session, admin, row.id, {"body": "v2"})
    audit = list(
        await session.scalars(
            select(AuditLog).where(AuditLog.entity == "print_template").order_by(AuditLog.id)
        )
    )
    assert [a.action for a in audit] == ["print_template.create", "print_template.update"]
    assert audit[1].before["body"] == "v1" and audit[1].after["body"] == "v2" and audit[1].actor == "9001"


async def test_the_print_shows_names_local_times_and_yes_or_no_not_codes(session, seeded):
    customer = await create_customer(session, "8800000002", "李四", phones=["13912340001"])
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        subcategory="fault_lv",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={"故障地址": "天河路2号", "所属供电局": "440100", "需要回复客户": True},
    )
    # as later steps save them: the browser's wall time, and a time with an offset (UTC)
    order.form = {**order.form, "派工时间": "2026-11-27T14:45", "完成时间": "2026-11-27T08:30:00+00:00"}
    context = await printing.order_context(session, order)
    assert (context["order"]["category"], context["order"]["subcategory"]) == ("故障报修", "低压故障")
    assert (context["order"]["category_code"], context["order"]["subcategory_code"]) == ("fault", "fault_lv")
    form = context["form"]
    assert form["所属供电局"] == seeded.sites["440100"].name
    assert form["派工时间"] == "2026-11-27 14:45"
    assert form["完成时间"] == "2026-11-27 16:30"  # in the site's zone, Asia/Shanghai
    assert (form["需要回复客户"], form["大面积停电"]) == ("是", "否")  # an unticked box was never sent
    _, html = await printing.render_order(session, order, yes_no=("Yes", "No"))
    assert "故障报修 / 低压故障" in html and "fault_lv" not in html
    assert "2026-11-27 14:45" in html and "2026-11-27T" not in html
    assert "<td>Yes</td>" in html and "<td>No</td>" in html
