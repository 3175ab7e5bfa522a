"""暂存 (save without submitting the step) names every field's problem at once, as 提交 does
(``forms.refuse_all`` without the required fields): a value refused and a 外委单位 the order may
not go to together. It named the values refused first and the 外委单位 only on the next save."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ticketing import FieldErrors, create_order, submit_step
from ticketing import contractors as register
from ticketing.workflow.engine import save_form

SH = ZoneInfo("Asia/Shanghai")
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)


async def test_a_draft_names_a_bad_value_and_a_contractor_refused_together(session, seeded):
    u, sites = seeded.users, seeded.sites
    shenzhen = await register.create(
        session,
        u["9001"],
        {
            "name": "深圳外委",
            "phones": ["13800001111"],
            "site_id": sites["440300"].id,
            "categories": ["fault"],
        },
    )
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=CALLED,
    )
    await submit_step(session, u["5101"], order, now=CALLED + dt.timedelta(minutes=5))
    assert order.current_node == "dispatch"
    kept = dict(order.form)

    with pytest.raises(FieldErrors) as refused:
        await save_form(session, u["5101"], order, {"派工时间": "明天", "外委单位": shenzhen.id})
    # both at once; the dispatch step's required fields left empty are no problem on 暂存
    assert refused.value.problems == {"派工时间": "field_bad_datetime", "外委单位": "contractor_out_of_area"}
    assert order.form == kept  # nothing saved

    # one refused value alone: no required field is named beside it
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, u["5101"], order, {"派工时间": "明天"})
    assert refused.value.problems == {"派工时间": "field_bad_datetime"}

    await save_form(session, u["5101"], order, {"抢修人员": "王"})
    assert order.form["抢修人员"] == "王"
