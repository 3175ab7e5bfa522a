"""GET /api/intake names the field holding the customer's own words (``customer: description``),
as the workflow marks it, so the seat carries them into 投诉内容 even where an admin's form puts
another multi-line field (处理要求) first; an import marking no field fit for them, or two, is
refused naming each, in words the page has in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_ui.conftest import login

TEXTS = Path(__file__).resolve().parents[2] / "agent_ui" / "texts"


async def _post(client, token, body):
    resp = await client.post("/api/workflows", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _complaint_with_requirement_first(client) -> dict:
    document = (await (await client.get("/api/workflows/complaint/1")).json())["document"]
    document["fields"] = {"处理要求": {"type": "textarea"}, **document["fields"]}
    accept = next(n for n in document["nodes"] if n["type"] == "create")
    accept["fields"] = {"处理要求": "editable", **accept["fields"]}
    return document


def _meanings(category: dict) -> dict[str, str | None]:
    return {f["name"]: f.get("customer") for f in category["fields"]}


async def test_the_intake_spec_names_the_customers_words_wherever_the_form_puts_them(client):
    token = await login(client, "9001")
    status, made = await _post(client, token, {"document": await _complaint_with_requirement_first(client)})
    assert status == 201, made

    await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    categories = {c["workflow"]: c for c in spec["categories"]}
    complaint = _meanings(categories["complaint"])
    assert list(complaint)[0] == "处理要求" and complaint["处理要求"] is None
    assert complaint["投诉内容"] == "description" and complaint["所属区域"] == "site"
    fault = _meanings(categories["fault_repair"])
    assert (fault["客户描述故障信息"], fault["故障地址"], fault["所属供电局"]) == (
        "description",
        "address",
        "site",
    )
    assert _meanings(categories["consult"]) == {"咨询内容": "description", "答复内容": None}


async def test_an_import_marking_words_on_no_text_field_or_on_two_is_refused_naming_them(client):
    token = await login(client, "9001")
    document = await _complaint_with_requirement_first(client)
    document["fields"]["处理要求"]["customer"] = "description"  # and 投诉内容 has it too
    document["fields"]["严重程度"]["customer"] = "description"  # a select holds no words
    status, refused = await _post(client, token, {"document": document})
    assert (status, refused["error_id"]) == (422, "workflow_invalid"), refused
    problems = [{k: p.get(k) for k in ("id", "field", "value")} for p in refused["details"]["problems"]]
    assert problems == [
        {"id": "bad_customer_prefill", "field": "严重程度", "value": "description"},
        {"id": "customer_description_twice", "field": None, "value": "处理要求、投诉内容"},
    ]
    for lang in ("zh-CN", "en"):
        texts = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
        assert "description" in texts["wf.problem.bad_customer_prefill"], lang
        assert texts["wf.problem.customer_description_twice"], lang
