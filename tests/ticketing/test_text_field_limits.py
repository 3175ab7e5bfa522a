"""A text field takes at most 200 characters and a textarea 5,000 unless its definition sets its
own max_length, on intake, save and submit (a field without max_length took 100,000); the limit
goes with the field's definition, so the console's input carries it too."""

import pytest

from ticketing import FieldErrors, create_order, submit_step
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse
from ticketing.workflow.engine import save_form
from ticketing.workflow.store import import_definition

FAULT = {"故障地址": "天河路1号", "所属供电局": "440100"}


def test_text_fields_without_a_limit_get_the_default_one():
    fields = parse(workflow_source("fault_repair")).fields
    assert fields["故障范围"]["max_length"] == 200  # text
    assert fields["客户描述故障信息"]["max_length"] == 5000  # textarea
    assert fields["故障名称"]["max_length"] == 100  # its own
    assert "max_length" not in fields["所属供电局"] and "max_length" not in fields["派工时间"]


async def test_the_default_limits_hold_on_intake_save_and_submit(session, seeded):
    u, gz = seeded.users, seeded.sites["440100"].id
    for field, limit in (("故障范围", 200), ("客户描述故障信息", 5000)):
        with pytest.raises(FieldErrors) as refused:
            await create_order(
                session,
                u["1001"],
                workflow="fault_repair",
                site_id=gz,
                form={**FAULT, field: "x" * (limit + 1)},
            )
        assert refused.value.problems == {field: "field_too_long"}
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=gz,
        form={**FAULT, "故障范围": "x" * 200, "客户描述故障信息": "y" * 5000},
        category="fault",
        subcategory="fault_lv",  # as the seat names it: 提交 of 受理 asks for one
        submit=False,
    )
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, u["1001"], order, {"客户描述故障信息": "z" * 5001})
    assert refused.value.problems == {"客户描述故障信息": "field_too_long"}
    with pytest.raises(FieldErrors) as refused:
        await submit_step(session, u["1001"], order, form={"故障范围": "z" * 201})
    assert refused.value.problems == {"故障范围": "field_too_long"}
    await submit_step(session, u["1001"], order)
    await session.commit()
    assert len(order.form["客户描述故障信息"]) == 5000


async def test_a_definitions_own_limit_wins(session, seeded):
    data = workflow_source("consult")
    data["key"] = "consult_long"
    data["number_pattern"] = "QL{yyyyMMdd}{seq:05}"
    data["fields"] = {**data["fields"], "咨询内容": {"type": "textarea", "max_length": 20000}}
    await import_definition(session, data)
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult_long",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "x" * 20000},
        submit=False,
    )
    assert len(order.form["咨询内容"]) == 20000
