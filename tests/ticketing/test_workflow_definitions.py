"""Workflow definitions: an admin-style YAML loads, validates, runs; broken ones name their problem."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import yaml

from ticketing import (
    ActionRefused,
    NotFound,
    WorkflowInvalid,
    approve,
    create_order,
    load_order,
    reject,
    submit_step,
)
from ticketing.surveys import record_survey
from ticketing.users import create_user
from ticketing.workflow.actions import set_optional_step
from ticketing.workflow.definition import parse, parse_yaml
from ticketing.workflow.store import export_definition, import_definition

SH = ZoneInfo("Asia/Shanghai")

AFTERSALES = """
key: as_repair_acme
name: ACME 售后报修
category: aftersales
number_pattern: "RE{yy}{MM}{seq:04}"
fields:
  产品型号: {type: text}
  故障描述: {type: textarea}
  预约时间: {type: datetime}
  维修记录: {type: textarea}
  验收结果: {type: select, options: [合格, 不合格]}
  费用: {type: number}
  回访结果: {type: select, options: [满意, 不满意]}
nodes:
  - {id: report, type: create, status: 报修, fields: {产品型号: required, 故障描述: required}, exits: [{to: appoint}]}
  - id: appoint
    type: realize
    status: 预约
    fields: {故障描述: visible, 预约时间: required}
    operators: {batches: [[{role: handler}]]}
    exits: [{to: repair}]
  - id: repair
    type: realize
    status: 上门维修
    fields: {预约时间: visible, 维修记录: required}
    operators: {batches: [[{previous: appoint}]]}
    exits: [{to: check}]
  - id: check
    type: approve
    status: 验收
    fields: {维修记录: visible, 验收结果: required}
    operators: {batches: [[{role: supervisor}]]}
    exits:
      - {to: settle, when: {field: 验收结果, eq: 合格}}
      - {to: repair, kind: reject}
  - id: settle
    type: realize
    status: 结算
    optional: true
    fields: {费用: required}
    operators: {batches: [[{role: handler}]]}
    exits: [{to: visit}]
  - id: visit
    type: realize
    status: 回访
    fields: {回访结果: required}
    operators: {batches: [[{role: team_leader}]]}
    exits: [{to: done}]
  - {id: done, type: archive, status: 已完成, fields: {维修记录: required}}
"""


def at(m, d, hh, mm=0):
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


async def test_admin_yaml_loads_validates_and_runs(session, seeded):
    row = await import_definition(session, AFTERSALES)
    assert (row.key, row.version) == ("as_repair_acme", 1)
    u = seeded.users
    agent, handler, supervisor, leader = u["1001"], u["5101"], u["3001"], u["2001"]
    site = seeded.sites["440100"].id
    order = await create_order(
        session,
        agent,
        workflow="as_repair_acme",
        site_id=site,
        form={"产品型号": "KF-35", "故障描述": "不制冷"},
        now=at(11, 25, 10),
    )
    assert order.number == "RE26110001" and order.status == "预约"
    await submit_step(session, handler, order, form={"预约时间": "2026-11-26 14:00"}, now=at(11, 25, 11))
    await submit_step(session, handler, order, form={"维修记录": "补充冷媒"}, now=at(11, 26, 15))
    assert order.status == "验收"
    await reject(session, supervisor, order, opinion="仍不制冷", now=at(11, 26, 16))
    assert order.status == "上门维修"
    await submit_step(session, handler, order, form={"维修记录": "更换压缩机"}, now=at(11, 27, 10))
    # the settlement step is switched off for this (in-warranty) order
    await set_optional_step(session, agent, order, "settle", enabled=False)
    await approve(
        session, supervisor, order, form={"验收结果": "合格"}, opinion="验收通过", now=at(11, 27, 11)
    )
    assert order.status == "回访"
    # the 回访 step takes its 回访结果 from the visit-back survey (aftersales dimensions)
    await record_survey(session, leader, order, {"服务技能": "满意", "综合评价": "满意"})
    await submit_step(session, leader, order, now=at(11, 27, 15))
    assert order.form["回访结果"] == "满意"
    assert order.status == "已完成" and not order.is_open
    exported = await export_definition(session, "as_repair_acme")
    assert yaml.safe_load(exported)["key"] == "as_repair_acme"


async def test_running_orders_keep_their_version(session, seeded):
    await import_definition(session, AFTERSALES)
    agent = seeded.users["1001"]
    old = await create_order(
        session,
        agent,
        workflow="as_repair_acme",
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "A", "故障描述": "B"},
        now=at(11, 25, 10),
    )
    changed = yaml.safe_load(AFTERSALES)
    changed["nodes"][1]["status"] = "待预约"
    row = await import_definition(session, changed)
    assert row.version == 2
    new = await create_order(
        session,
        agent,
        workflow="as_repair_acme",
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "A", "故障描述": "B"},
        now=at(11, 25, 10),
    )
    assert (old.workflow_version, old.status) == (1, "预约")
    assert (new.workflow_version, new.status) == (2, "待预约")


async def test_maker_is_never_checker(session, seeded):
    await import_definition(session, AFTERSALES)
    supervisor = seeded.users["3001"]
    order = await create_order(
        session,
        supervisor,
        workflow="as_repair_acme",
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "A", "故障描述": "B"},
        now=at(11, 25, 10),
    )
    handler, order_id = seeded.users["5101"], order.id
    await submit_step(session, handler, order, form={"预约时间": "2026-11-26 14:00"}, now=at(11, 25, 11))
    await session.commit()
    # the only supervisor entered the order, so nobody may check it: refused, nothing moves
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, handler, order, form={"维修记录": "y"}, now=at(11, 25, 12))
    assert refused.value.error_id == "no_operator"
    await session.rollback()
    other = await create_user(
        session, "3002", "另一位质检", "abc12345", roles=["supervisor"], site_id=seeded.sites["HQ"].id
    )
    order = await load_order(session, handler, order_id)
    await submit_step(session, handler, order, form={"维修记录": "y"}, now=at(11, 25, 12))
    with pytest.raises(ActionRefused) as refused:
        await approve(session, supervisor, order, form={"验收结果": "合格"})
    assert refused.value.error_id == "maker_checker"
    await approve(session, other, order, form={"验收结果": "合格"}, now=at(11, 25, 13))
    assert order.status == "结算"


def _broken(**patch):
    data = yaml.safe_load(AFTERSALES)
    for path, value in patch.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("patch", "error_id", "named"),
    [
        (
            {"nodes__0__type": "realize", "nodes__0__operators": {"batches": [[{"role": "agent"}]]}},
            "no_create_node",
            "create",
        ),
        ({"nodes__1__type": "create"}, "multiple_create_nodes", "create"),
        (
            {"nodes__2__exits": [{"to": "repair", "kind": "reject"}, {"to": "check"}]},
            "reject_exit_not_on_approve",
            "'repair'",
        ),
        ({"nodes__3__exits__0__when": {"field": "颜色", "eq": "红"}}, "unknown_field_in_condition", "'颜色'"),
        ({"nodes__1__exits": [{"to": "visit"}]}, "unreachable_node", "'repair'"),
        ({"nodes__1__exits": [{"to": "nowhere"}]}, "unknown_exit_target", "'nowhere'"),
        ({"nodes__1__type": "review"}, "unknown_node_type", "'review'"),
        ({"nodes__1__fields": {"颜色": "editable"}}, "unknown_field", "'颜色'"),
        (
            {"nodes__1__operators": {"mode": "some", "batches": [[{"role": "handler"}]]}},
            "bad_operator_mode",
            "'some'",
        ),
        ({"nodes__1__operators": {"batches": [[{"rank": "boss"}]]}}, "unknown_operator_rule", "rank"),
        ({"nodes__1__operators": {"batches": [[{"role": "wizard"}]]}}, "unknown_role", "'wizard'"),
        ({"nodes__1__operators": {"batches": [[{"role": ["handler", "boss"]}]]}}, "unknown_role", "'boss'"),
        (
            {"nodes__1__sla": {"limit": "1h", "overrun": {"notify": {"role": "wizard"}}}},
            "unknown_role",
            "'wizard'",
        ),
        ({"nodes__1__sla": {"limit": "soon"}}, "bad_duration", "'soon'"),
        # YAML's `limit: 30` is a number: no unit, refused rather than stored as "30" that the
        # step could not read when an order reached it
        ({"nodes__1__sla": {"limit": 30}}, "bad_duration", "no unit"),
        ({"nodes__1__sla": {"limit": "1h", "reminders": [{"after": 10}]}}, "bad_duration", "no unit"),
        ({"nodes__6": None}, "no_archive_node", "archive"),
        ({"nodes__1__exits": None}, "dead_end_node", "'appoint'"),
        ({"number_pattern": "RE{yy}"}, "bad_number_pattern", "seq"),
        ({"fields__验收结果": {"type": "select"}}, "select_without_options", "'验收结果'"),
    ],
)
def test_broken_definitions_are_rejected_naming_the_problem(patch, error_id, named):
    with pytest.raises(WorkflowInvalid) as exc:
        parse(_broken(**patch))
    ids = [pid for pid, _ in exc.value.problems]
    assert error_id in ids
    message = next(msg for pid, msg in exc.value.problems if pid == error_id)
    assert named in message


def test_yaml_syntax_error_is_a_named_problem():
    with pytest.raises(WorkflowInvalid) as exc:
        parse_yaml("key: [unclosed")
    assert exc.value.problems[0][0] == "yaml_syntax"


async def test_broken_import_stores_nothing(session):
    with pytest.raises(WorkflowInvalid):
        await import_definition(session, _broken(nodes__0__type="realize"))
    with pytest.raises(NotFound):
        await export_definition(session, "as_repair_acme")


def test_a_stored_versions_bare_number_limit_still_runs_as_minutes():
    """A version stored before a unit was asked for keeps loading, and its ``limit: 30`` (kept as
    the text "30") is 30 minutes when an order reaches the step, as its import took it; it was
    refused then as 'bad duration' and the order could not enter the step."""
    from ticketing.workflow.conditions import parse_duration

    definition = parse(_broken(nodes__1__sla={"limit": 30, "reminders": [{"after": 10}]}), stored=True)
    sla = definition.node("appoint").sla
    assert sla.limit == "30"
    assert parse_duration(sla.limit) == (0, dt.timedelta(minutes=30))
    assert parse_duration(sla.reminders[0].offset) == (0, dt.timedelta(minutes=10))
