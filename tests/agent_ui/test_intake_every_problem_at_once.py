"""受理单: a refused intake names every field's problem at once (QA: a missing 故障地址 and a
bad number came one resubmission after the other), each field by the words the form shows
it under (联系电话, not 来电号码)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_ui.conftest import login

TEXTS = Path(__file__).parents[2] / "agent_ui" / "texts"


async def _refused(client, token: str, body: dict) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "subcategory": "fault_lv", **body},
        headers={"X-CSRF-Token": token},
    )
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["error_id"] == "invalid_fields"
    return refused


async def test_missing_address_and_bad_number_are_reported_together(client):
    token = await login(client, "1001")
    refused = await _refused(
        client,
        token,
        {"form": {"故障名称": "停电", "所属供电局": "HD"}, "caller_number": "12ab", "submit": True},
    )
    assert refused["details"]["problems"] == {
        "caller_number": "field_bad_phone",
        "故障地址": "field_required",
    }
    # the form's head first (联系电话 is above the workflow's fields), each named as on screen
    assert refused["message"] == "表单有误：联系电话（电话号码有误）、故障地址（必填）"
    assert "来电号码" not in refused["message"]


async def test_a_bad_value_and_a_missing_field_are_reported_together(client):
    token = await login(client, "1001")
    refused = await _refused(
        client, token, {"form": {"故障名称": "停电", "所属供电局": "NOPE"}, "submit": True}
    )
    assert refused["details"]["problems"] == {
        "故障地址": "field_required",
        "所属供电局": "field_unknown_site",
    }
    assert "故障地址（必填）" in refused["message"] and "所属供电局（区域不存在）" in refused["message"]


async def test_saved_for_later_still_needs_no_required_field(client):
    """保存,现在处理 keeps the form unfinished: only the number is refused, not the empty 故障地址."""
    token = await login(client, "1001")
    refused = await _refused(client, token, {"form": {}, "caller_number": "12ab", "submit": False})
    assert refused["details"]["problems"] == {"caller_number": "field_bad_phone"}


async def test_the_number_is_named_as_the_form_labels_it_in_both_languages():
    for lang in ("zh-CN", "en"):
        table = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
        assert table["field.caller_number"].lower() == table["intake.caller"].lower(), lang
