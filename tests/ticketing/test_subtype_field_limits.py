"""The default text limits (text 200, textarea 5,000) are applied in one place: every field a
Definition holds carries its limit, the workflow's (parse) and a subcategory's own
(Definition.subtype_fields, used by with_subtype_fields and the intake form alike), and the
save check reads it there rather than falling back to the defaults itself."""

import pytest

from ticketing import FieldErrors, create_order
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse
from ticketing.workflow.steps import with_subtype_fields
from ticketing.workflow.store import latest

SCHEMA = {
    "用电性质": {"type": "text"},
    "备注说明": {"type": "textarea"},
    "自定长度": {"type": "text", "max_length": 30},
    "零长度": {"type": "text", "max_length": 0},  # 0 is no limit set: the default, as the check had it
    "户数": {"type": "number", "min": 1},
    "申请容量": {"type": "text"},  # the workflow's own field (a number): left to the workflow
}


def test_a_subcategorys_fields_carry_the_default_limits():
    definition = parse(workflow_source("service_application"))
    extra = definition.subtype_fields(SCHEMA)
    assert {k: v.get("max_length") for k, v in extra.items()} == {
        "用电性质": 200,
        "备注说明": 5000,
        "自定长度": 30,
        "零长度": 200,
        "户数": None,
    }
    assert definition.subtype_fields(None) == {}


async def test_a_subcategorys_text_field_is_held_to_its_limit(session, seeded):
    definition = (await latest(session, "service_application")).definition
    merged = await with_subtype_fields(session, definition, "svc_hv_new")
    assert merged.fields["用电性质"]["max_length"] == 200
    base = {"业务类型": "高压新装", "用电地址": "番禺区1号", "所属供电局": "440100", "受电变压器容量": 630}
    u, gz = seeded.users, seeded.sites["440100"].id
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session,
            u["1001"],
            workflow="service_application",
            subcategory="svc_hv_new",
            site_id=gz,
            form={**base, "用电性质": "x" * 201},
            submit=False,
        )
    assert refused.value.problems == {"用电性质": "field_too_long"}
    order = await create_order(
        session,
        u["1001"],
        workflow="service_application",
        subcategory="svc_hv_new",
        site_id=gz,
        form={**base, "用电性质": "x" * 200},
        submit=False,
    )
    await session.commit()
    assert len(order.form["用电性质"]) == 200
