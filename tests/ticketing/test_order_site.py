"""The order's site follows its 所属供电局 on every path, and a bad value is refused with a field error."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import create_order, submit_step
from ticketing.errors import FieldErrors
from ticketing.models import Assignment, AuditLog
from ticketing.users import can_access, create_user
from ticketing.workflow.engine import save_form

FAULT = {"故障名称": "停电", "故障地址": "天河路1号"}

#: the seat's intake names the 小类别 (提交 of the create step asks for one where there are some)
LOW_VOLTAGE = {"category": "fault", "subcategory": "fault_lv"}


async def holders(session, order):
    rows = await session.scalars(
        select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    return set(rows)


async def test_saved_then_given_a_bureau_on_the_order_page_goes_to_that_bureaus_handlers(session, seeded):
    u, sites = seeded.users, seeded.sites
    # 保存,现在处理 with no bureau yet: the agent's own site (HQ)
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=sites["HQ"].id, submit=False, **LOW_VOLTAGE
    )
    assert order.site_id == sites["HQ"].id

    await submit_step(session, u["1001"], order, form={**FAULT, "所属供电局": "440100"})

    assert order.site_id == sites["440100"].id
    assert await holders(session, order) == {u["5101"].id, u["5102"].id}
    assert await can_access(session, u["5101"], order)
    moved = await session.scalar(select(AuditLog).where(AuditLog.action == "order.change_site"))
    assert moved.entity_id == str(order.id)
    assert (moved.before["site"], moved.after["site"]) == ("HQ", "440100")


async def test_a_bureau_corrected_before_submitting_moves_the_order(session, seeded):
    u, sites = seeded.users, seeded.sites
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=sites["HQ"].id,
        form={**FAULT, "所属供电局": "440100"},
        submit=False,
        **LOW_VOLTAGE,
    )
    assert order.site_id == sites["440100"].id  # intake already follows the field

    await save_form(session, u["1001"], order, {"所属供电局": "440300"})
    assert order.site_id == sites["440300"].id
    await submit_step(session, u["1001"], order)
    assert await holders(session, order) == {u["5201"].id, u["5202"].id}
    assert not await can_access(session, u["5101"], order)


async def test_an_outlet_routes_to_its_bureaus_handlers_and_its_own(session, seeded):
    u, sites = seeded.users, seeded.sites
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=u["1001"].site_id,
        form={**FAULT, "所属供电局": "440106"},
    )
    assert order.site_id == sites["440106"].id
    assert await holders(session, order) == {u["5101"].id, u["5102"].id}  # not the supervisor's fallback
    assert await can_access(session, u["5101"], order)

    outlet = await create_user(
        session, "5111", "天河抢修", "abc12345", roles=["handler"], site_id=sites["440106"].id
    )
    other_outlet = await create_user(
        session, "5112", "越秀抢修", "abc12345", roles=["handler"], site_id=sites["440104"].id
    )
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=None, form={**FAULT, "所属供电局": "440106"}
    )
    assert await holders(session, order) == {u["5101"].id, u["5102"].id, outlet.id}
    assert other_outlet.id not in await holders(session, order)


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"所属供电局": "NOPE"}, {"所属供电局": "field_unknown_site"}),
        ({"所属供电局": "440100", "故障名称": 1}, {"故障名称": "field_not_text"}),
    ],
)
async def test_an_unknown_bureau_is_refused(session, seeded, form, problem):
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session, seeded.users["1001"], workflow="fault_repair", site_id=None, form={**FAULT, **form}
        )
    assert refused.value.problems == problem


async def test_a_datetime_field_takes_a_day_and_time_only(session, seeded):
    u = seeded.users
    called = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=None,
        form={**FAULT, "所属供电局": "440100"},
        now=called,
    )
    await submit_step(session, u["5101"], order)
    for bad in ("abc", "10:10", "2026-13-01T10:00"):
        with pytest.raises(FieldErrors) as refused:
            await submit_step(session, u["5101"], order, form={"抢修人员": "张", "派工时间": bad})
        assert refused.value.problems == {"派工时间": "field_bad_datetime"}
    # the browser's datetime-local value and ISO with seconds and an offset are taken
    await submit_step(session, u["5101"], order, form={"抢修人员": "张", "派工时间": "2026-11-27T10:10"})
    await submit_step(
        session, u["5101"], order, form={"到达时间": "2026-11-27 10:40:00+08:00", "产权": "客户"}
    )
    assert order.form["派工时间"] == "2026-11-27T10:10" and order.status == "正在现场抢修"


async def test_a_caller_number_that_is_no_phone_number_is_refused(session, seeded):
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session,
            seeded.users["1001"],
            workflow="consult",
            site_id=None,
            caller_number="not a phone <b>",
            submit=False,
        )
    assert refused.value.problems == {"caller_number": "field_bad_phone"}
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=None,
        caller_number="+86 138-0013-8000",
        submit=False,
    )
    assert order.caller_number == "13800138000"


@pytest.mark.parametrize(
    ("subcategory", "form", "problem"),
    [
        ("", {"申请容量": -5}, {"申请容量": "field_below_min"}),
        ("", {"申请容量": 1e9}, {"申请容量": "field_above_max"}),
        ("svc_lv_new", {"户数": 1e9}, {"户数": "field_above_max"}),
        ("svc_lv_new", {"户数": 0}, {"户数": "field_below_min"}),
    ],
)
async def test_number_fields_keep_to_their_limits(session, seeded, subcategory, form, problem):
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session,
            seeded.users["1001"],
            workflow="service_application",
            subcategory=subcategory,
            site_id=None,
            form=form,
            submit=False,
        )
    assert refused.value.problems == problem


async def test_number_limits_belong_on_number_fields(session):
    from ticketing.errors import WorkflowInvalid
    from ticketing.workflow.definition import parse

    base = {
        "key": "lim",
        "nodes": [{"id": "s", "type": "create", "exits": [{"to": "e"}]}, {"id": "e", "type": "archive"}],
    }
    for spec in (
        {"type": "text", "min": 1},
        {"type": "number", "min": 5, "max": 1},
        {"type": "number", "max": "x"},
    ):
        with pytest.raises(WorkflowInvalid) as invalid:
            parse({**base, "fields": {"数": spec}})
        assert [p for p, _ in invalid.value.problems] == ["bad_number_limits"]
    parse({**base, "fields": {"数": {"type": "number", "min": 0, "max": 10}}})
