"""派工时间 / 到达时间 / 完成时间 keep to the fault workflow's time rules: not before the call,
not ahead of the clock, and in the order they happen; a rule is declared per field."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ticketing import FieldErrors, WorkflowInvalid, create_order, submit_step
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse
from ticketing.workflow.forms import Moments, _check_time

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0, ss=0):
    return dt.datetime(2026, 11, d, hh, mm, ss, tzinfo=SH)


async def refused(session, user, order, form, now):
    with pytest.raises(FieldErrors) as errors:
        await submit_step(session, user, order, form=form, now=now)
    return errors.value.problems


async def test_arrival_and_completion_times_must_be_plausible(session, seeded):
    agent, gz1 = seeded.users["1001"], seeded.users["5101"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=at(27, 17, 34, 40),
    )
    await submit_step(session, gz1, order, now=at(27, 17, 40))
    dispatch = {"抢修人员": "张师傅"}
    assert await refused(
        session, gz1, order, {**dispatch, "派工时间": "2026-11-27T17:33"}, at(27, 17, 45)
    ) == {"派工时间": "field_before_created"}
    assert await refused(
        session, gz1, order, {**dispatch, "派工时间": "2026-11-27T18:00"}, at(27, 17, 45)
    ) == {"派工时间": "field_in_future"}
    await submit_step(
        session, gz1, order, form={**dispatch, "派工时间": "2026-11-27T17:42"}, now=at(27, 17, 45)
    )
    assert order.current_node == "onsite"

    onsite = {"产权": "客户"}
    now = at(27, 18, 0)
    assert await refused(session, gz1, order, {**onsite, "到达时间": "2026-11-26T08:00"}, now) == {
        "到达时间": "field_before_created"
    }
    # before the dispatch, with an offset too (09:38 UTC is 17:38 in Beijing)
    assert await refused(session, gz1, order, {**onsite, "到达时间": "2026-11-27T09:38:00+00:00"}, now) == {
        "到达时间": "field_before_earlier"
    }
    assert await refused(session, gz1, order, {**onsite, "到达时间": "2026-11-28T08:00"}, now) == {
        "到达时间": "field_in_future"
    }
    # a few minutes ahead of the server's clock is tolerated
    await submit_step(session, gz1, order, form={**onsite, "到达时间": "2026-11-27T18:05"}, now=now)
    assert order.current_node == "repair"

    repair = {"处理描述": "更换熔断器"}
    now = at(27, 19, 0)
    assert await refused(session, gz1, order, {**repair, "完成时间": "2026-11-20T08:00"}, now) == {
        "完成时间": "field_before_created"
    }
    assert await refused(session, gz1, order, {**repair, "完成时间": "2026-11-27T18:00"}, now) == {
        "完成时间": "field_before_earlier"
    }
    await submit_step(session, gz1, order, form={**repair, "完成时间": "2026-11-27T18:50"}, now=now)
    assert order.form["完成时间"] == "2026-11-27T18:50"


def with_field(name, spec):
    data = workflow_source("fault_repair")
    data["fields"] = {**data["fields"], name: spec}
    return data


def named_at_import(spec: dict, problem: str) -> None:
    """故障报修 with a field 核实时间 of ``spec`` is refused at import with ``problem``, naming the
    field; a version stored before the key was read had it ignored, so stored it still loads."""
    with pytest.raises(WorkflowInvalid) as invalid:
        parse(with_field("核实时间", spec))
    assert [p[0] for p in invalid.value.problems] == [problem]
    assert "核实时间" in invalid.value.problems[0][1]
    parse(with_field("核实时间", spec), stored=True)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "text", "not_before": "created"},  # only on datetime fields
        {"type": "datetime", "not_before": "故障地址"},  # a text field
        {"type": "datetime", "not_before": ["created", "无此字段"]},
        {"type": "datetime", "not_before": "核实时间"},  # itself
        {"type": "datetime", "not_after": "tomorrow"},
    ],
)
def test_a_bad_time_rule_is_named(spec):
    named_at_import(spec, "bad_time_rule")


def test_the_seeded_fault_workflow_declares_the_rules():
    fields = parse(workflow_source("fault_repair")).fields
    assert fields["到达时间"]["not_before"] == ["created", "派工时间"]
    assert fields["完成时间"]["not_before"] == ["created", "到达时间"]
    assert all(fields[f]["not_after"] == "now" for f in ("派工时间", "到达时间", "完成时间"))


def test_the_orders_own_minute_is_not_before_it():
    # forms hold minutes: an arrival typed as the order's own minute is not before it
    moments = Moments(created=at(27, 17, 34, 40), now=at(27, 18, 0))
    spec = {"type": "datetime", "not_before": "created", "not_after": "now"}
    assert _check_time(spec, "2026-11-27T17:34", {}, moments) is None
    assert _check_time(spec, "2026-11-27T17:33", {}, moments) == "field_before_created"
    assert _check_time(spec, "2026-11-27T18:10", {}, moments) is None  # the tolerance
    assert _check_time(spec, "2026-11-27T18:11", {}, moments) == "field_in_future"
    # another site's zone: 17:34 in Urumqi is 19:34 in Beijing
    west = Moments(created=at(27, 19, 34), now=at(27, 20, 0), timezone="Asia/Urumqi")
    assert _check_time(spec, "2026-11-27T17:34", {}, west) is None
    assert _check_time(spec, "2026-11-27T17:33", {}, west) == "field_before_created"
