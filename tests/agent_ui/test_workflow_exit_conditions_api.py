"""流程配置's exit conditions, server side: the step editor is told which comparisons each field
type takes (exactly what the import accepts), and a document whose exit compares a field in a
way its type cannot, or with a value it never holds, is refused naming the step, the exit (its
place and target), the field and the comparison, in words the page has in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_ui.conftest import login

TEXTS = Path(__file__).resolve().parents[2] / "agent_ui" / "texts"


async def _post(client, token, body):
    resp = await client.post("/api/workflows", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _document(client) -> dict:
    return (await (await client.get("/api/workflows/complaint/1")).json())["document"]


def _step(document: dict, node_id: str) -> dict:
    return next(n for n in document["nodes"] if n["id"] == node_id)


async def test_the_editor_is_told_each_field_type_s_comparisons(client):
    await login(client, "9001")
    choices = (await (await client.get("/api/workflows/complaint/1")).json())["choices"]
    ops = choices["condition_operators"]
    assert ops["select"] == ["eq", "ne", "in", "not_in", "empty", "filled"]
    assert ops["checkbox"] == ["truthy", "falsy", "eq", "ne"]
    assert {"gt", "lt"} <= set(ops["number"]) and "gt" not in ops["text"]
    assert ops["datetime"] == ["empty", "filled"] and ops["contractor"] == ["empty", "filled"]
    # a crew field holds the crew's snapshot: only whether one was dispatched
    assert ops["crew"] == ["empty", "filled"]
    assert choices["template_channels"] == ["sms", "email"]


async def test_a_condition_built_in_the_editor_is_stored(client):
    token = await login(client, "9001")
    document = await _document(client)
    # 处理 goes to 经理确认 for a 重大 complaint of 一类 or 二类, else straight to 办结
    when = {"all": [{"field": "严重程度", "eq": "重大"}, {"field": "类别1", "in": ["一类", "二类"]}]}
    _step(document, "handle")["exits"] = [{"to": "confirm", "when": when}, {"to": "close"}]
    status, made = await _post(client, token, {"document": document})
    assert status == 201, made
    shown = await (await client.get(f"/api/workflows/complaint/{made['version']}")).json()
    assert _step(shown["document"], "handle")["exits"][0]["when"] == when
    step = next(s for s in shown["steps"] if s["id"] == "handle")
    assert step["exits"] == [
        {"to": "confirm", "kind": "normal", "conditional": True},
        {"to": "close", "kind": "normal", "conditional": False},
    ]


async def test_a_condition_its_field_cannot_answer_is_refused_naming_step_exit_and_field(client):
    token = await login(client, "9001")
    document = await _document(client)
    _step(document, "handle")["exits"] = [
        {"to": "close", "when": {"field": "标题", "gt": 3}},  # a text is not compared by size
        {
            "to": "confirm",
            "when": {
                "any": [{"field": "严重程度", "eq": "特别重大"}, {"field": "没有的字段", "filled": True}]
            },
        },
        {"to": "nowhere"},
    ]
    status, refused = await _post(client, token, {"document": document})
    assert (status, refused["error_id"]) == (422, "workflow_invalid"), refused
    problems = [
        {k: p.get(k) for k in ("id", "node", "exit", "to", "field", "operator", "value")}
        for p in refused["details"]["problems"]
    ]
    assert {
        "id": "condition_operator_not_for_type",
        "node": "handle",
        "exit": 1,
        "to": "close",
        "field": "标题",
        "operator": "gt",
        "value": None,
    } in problems
    assert {
        "id": "condition_bad_value",
        "node": "handle",
        "exit": 2,
        "to": "confirm",
        "field": "严重程度",
        "operator": "eq",
        "value": "特别重大",
    } in problems
    unknown = next(p for p in problems if p["id"] == "unknown_field_in_condition")
    assert (unknown["node"], unknown["exit"], unknown["field"]) == ("handle", 2, "没有的字段")
    target = next(p for p in problems if p["id"] == "unknown_exit_target")
    assert (target["node"], target["exit"], target["value"]) == ("handle", 3, "nowhere")
    listed = {w["key"]: w for w in (await (await client.get("/api/workflows")).json())["items"]}
    assert len(listed["complaint"]["versions"]) == 1  # nothing stored


async def test_a_step_no_exit_reaches_is_named(client):
    token = await login(client, "9001")
    document = await _document(client)
    _step(document, "confirm")["exits"] = [{"to": "handle", "kind": "reject"}, {"to": "done"}]  # skips 办结
    status, refused = await _post(client, token, {"document": document})
    assert status == 422
    assert [(p["id"], p["node"]) for p in refused["details"]["problems"]] == [("unreachable_node", "close")]


def test_the_page_has_words_for_where_a_condition_s_problem_is():
    for lang in ("zh-CN", "en"):
        table = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
        for key in (
            "wf.problem.condition_operator_not_for_type",
            "wf.problem.condition_bad_value",
            "wf.problem_at_exit",
            "wf.problem_operator",
            "wfe.op_eq",
            "wfe.op_not_in",
            "wfe.op_truthy",
            "wfe.cond_join_any",
        ):
            assert table.get(key), (lang, key)
    zh = json.loads((TEXTS / "zh-CN.json").read_text(encoding="utf-8"))
    assert (
        zh["wfe.op_gt"] == "大于"
        and zh["wfe.op_empty"] == "为空"
        and zh["wfe.cond_join_all"].startswith("且")
    )
