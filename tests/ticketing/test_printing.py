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
        site_id=seeded.sites["GZ"].id,
        customer_id=customer.id,
        form={"故障地址": "天河路1号<b>", "所属供电局": "GZ"},
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
