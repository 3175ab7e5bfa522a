"""An exit condition as the step editor builds it (fields of the workflow, a comparison the field's
type takes, a value the field can hold, several joined by all / any) routes orders as it says;
one whose comparison the type cannot take is refused at import, naming the step and the exit,
instead of failing when an order reaches the step (``gt`` on a text compared it with a number:
TypeError on 提交)."""

from __future__ import annotations

import pytest

from ticketing import create_order
from ticketing.errors import WorkflowInvalid
from ticketing.workflow.definition import parse
from ticketing.workflow.store import import_definition

#: what the editor writes for 且 / 或 over its rows (workflow_editor.js conditionBox)
REPLY = {"any": [{"field": "是否需要回复客户", "truthy": True}, {"field": "满意度", "eq": "不满意"}]}
COSTLY = {"all": [{"field": "满意度", "eq": "满意"}, {"field": "费用", "gt": 1000}]}


def routed(when_first: dict, when_second: dict) -> dict:
    def step(node_id: str) -> dict:
        return {
            "id": node_id,
            "type": "realize",
            "operators": {"batches": [[{"user": "5101"}]]},
            "exits": [{"to": "done"}],
        }

    return {
        "key": "routed",
        "name": "按条件流转",
        "number_pattern": "LZ{yyyyMMdd}{seq:05}",
        "fields": {
            "标题": {"type": "text"},
            "是否需要回复客户": {"type": "checkbox"},
            "满意度": {"type": "select", "options": ["满意", "不满意"]},
            "费用": {"type": "number"},
        },
        "title": ["标题"],
        "nodes": [
            {
                "id": "start",
                "type": "create",
                "fields": {
                    "标题": "editable",
                    "是否需要回复客户": "editable",
                    "满意度": "editable",
                    "费用": "editable",
                },
                "exits": [
                    {"to": "reply", "when": when_first},
                    {"to": "costly", "when": when_second},
                    {"to": "plain"},
                ],
            },
            step("reply"),
            step("costly"),
            step("plain"),
            {"id": "done", "type": "archive"},
        ],
    }


async def test_orders_take_the_exit_the_built_condition_names(session, seeded):
    await import_definition(session, routed(REPLY, COSTLY), actor=seeded.users["9001"])
    await session.commit()
    cases = [
        ({"是否需要回复客户": True, "满意度": "满意"}, "reply"),
        ({"是否需要回复客户": False, "满意度": "不满意"}, "reply"),  # 或: either one
        ({"满意度": "满意", "费用": 1500}, "costly"),  # 且: both
        ({"满意度": "满意", "费用": 500}, "plain"),
        ({"满意度": "不满意", "费用": 1500}, "reply"),  # the first exit whose condition holds
        ({"标题": "没勾选也没填"}, "plain"),  # a box never ticked is not 已勾选; no 费用 is not > 1000
    ]
    for form, node in cases:
        order = await create_order(
            session, seeded.users["1001"], workflow="routed", site_id=seeded.sites["440100"].id, form=form
        )
        assert order.current_node == node, form
    await session.commit()


def test_a_comparison_the_field_s_type_cannot_take_is_refused_naming_the_step_and_exit():
    with pytest.raises(WorkflowInvalid) as refused:
        parse(
            routed(
                {"field": "标题", "gt": 5},  # a text compared with a number
                {"any": [{"field": "满意度", "eq": "是"}, {"field": "是否需要回复客户", "eq": "是"}]},
            )
        )
    found = [
        (
            p[0],
            p.where.get("node"),
            p.where.get("exit"),
            p.where.get("to"),
            p.where.get("field"),
            p.where.get("operator"),
        )
        for p in refused.value.problems
    ]
    assert found == [
        ("condition_operator_not_for_type", "start", 1, "reply", "标题", "gt"),
        ("condition_bad_value", "start", 2, "costly", "满意度", "eq"),  # not one of its options
        ("condition_bad_value", "start", 2, "costly", "是否需要回复客户", "eq"),  # 是 is not true
    ]
    assert "exit 1 to 'reply'" in refused.value.problems[0][1]
    with pytest.raises(WorkflowInvalid) as refused:
        parse(routed({"field": "费用", "gt": "1000"}, {"field": "费用", "in": 5}))
    assert [(p[0], p.where.get("value")) for p in refused.value.problems] == [
        ("condition_bad_value", "1000"),  # a number written as text: never greater
        ("condition_bad_value", "5"),  # in takes a list
    ]
    # a version stored before the rule keeps loading as it was
    stored = parse(routed({"field": "标题", "gt": 5}, COSTLY), stored=True)
    assert stored.node("start").exits[0].when == {"field": "标题", "gt": 5}


async def test_unknown_target_and_unreachable_step_name_the_exit_and_step(session, seeded):
    data = routed(REPLY, COSTLY)
    data["nodes"][0]["exits"][1]["to"] = "nowhere"  # nothing leads to costly now
    with pytest.raises(WorkflowInvalid) as refused:
        await import_definition(session, data, actor=seeded.users["9001"])
    found = {
        (p[0], p.where.get("node"), p.where.get("exit"), p.where.get("value")) for p in refused.value.problems
    }
    assert found == {
        ("unknown_exit_target", "start", 2, "nowhere"),
        ("unreachable_node", "costly", None, None),
    }
