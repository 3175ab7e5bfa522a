"""流程配置's step editor, server side: a version comes with its document (the YAML as JSON) and
the lists the editor offers, and a document posted to the import is validated and stored as the
next version like YAML, keys the editor does not know kept as they were; problems name the step."""

from __future__ import annotations

import yaml

from tests.agent_ui.conftest import login


async def _post(client, token, body):
    resp = await client.post("/api/workflows", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_a_version_comes_with_its_document_and_the_editor_s_lists(client):
    await login(client, "9001")
    shown = await (await client.get("/api/workflows/complaint/1")).json()
    assert shown["document"] == yaml.safe_load(shown["source"])
    choices = shown["choices"]
    assert "handler" in choices["roles"] and "team_leader" in choices["roles"]
    assert choices["permissions"] == ["hidden", "visible", "editable", "required"]
    assert {"role", "site_field", "previous"} <= set(choices["rule_keys"])
    assert choices["calendars"] == ["business", "24x7"] and "screen" in choices["channels"]


async def test_a_document_the_editor_could_not_keep_exactly_is_not_offered(client):
    token = await login(client, "9001")
    source = (await (await client.get("/api/workflows/consult/1/export")).text()).replace(
        "name: 信息咨询", "name: 信息咨询\nvalid_from: 2026-01-01", 1
    )
    status, made = await _post(client, token, {"source": source})
    assert status == 201, made
    shown = await (await client.get(f"/api/workflows/consult/{made['version']}")).json()
    assert shown["document"] is None  # a date: JSON would make it text


async def test_a_posted_document_is_the_next_version_unknown_keys_kept(client):
    token = await login(client, "9001")
    document = (await (await client.get("/api/workflows/complaint/1")).json())["document"]
    handle = next(n for n in document["nodes"] if n["id"] == "handle")
    handle["sla"]["limit_by"] = {"field": "严重程度", "values": {"一般": "2h", "重大": "7d"}}
    handle["operators"] = {"batches": [[{"role": ["handler", "team_leader"], "site_field": "所属区域"}]]}
    handle["x_note"] = {"kept": ["as", "it", "was"]}  # nothing the engine reads
    document["x_owner"] = "客服中心"
    status, made = await _post(client, token, {"document": document})
    assert status == 201, made
    assert (made["key"], made["version"], made["current"]) == ("complaint", 2, 2)
    shown = await (await client.get("/api/workflows/complaint/2")).json()
    assert shown["document"] == document
    stored = yaml.safe_load(shown["source"])
    assert stored["x_owner"] == "客服中心"
    assert next(n for n in stored["nodes"] if n["id"] == "handle")["x_note"] == {"kept": ["as", "it", "was"]}
    step = next(s for s in shown["steps"] if s["id"] == "handle")
    assert step["limit"]["by_values"] == {"一般": "2h", "重大": "7d"}


async def test_a_bad_document_is_refused_naming_the_step_and_nothing_stored(client):
    token = await login(client, "9001")
    document = (await (await client.get("/api/workflows/complaint/1")).json())["document"]
    handle = next(n for n in document["nodes"] if n["id"] == "handle")
    handle["sla"] = {"limit": "5x"}
    handle["operators"] = {"batches": [[{"role": "nobody"}]]}
    status, refused = await _post(client, token, {"document": document})
    assert (status, refused["error_id"]) == (422, "workflow_invalid"), refused
    problems = {(p["id"], p.get("node"), p.get("value")) for p in refused["details"]["problems"]}
    assert ("bad_duration", "handle", "5x") in problems
    assert ("unknown_role", "handle", "nobody") in problems
    listed = {w["key"]: w for w in (await (await client.get("/api/workflows")).json())["items"]}
    assert len(listed["complaint"]["versions"]) == 1
    status, refused = await _post(client, token, {"document": ["not", "a", "mapping"]})
    assert (status, refused["error_id"]) == (400, "request.invalid")


async def test_a_document_nested_too_deep_is_refused_before_it_is_written_out(client):
    token = await login(client, "9001")
    document = (await (await client.get("/api/workflows/consult/1")).json())["document"]
    deep: dict = {}
    document["x_deep"] = deep
    for _ in range(600):  # the YAML writer recurses: 600 levels would exhaust it (a 500)
        deep["a"] = {}
        deep = deep["a"]
    status, refused = await _post(client, token, {"document": document})
    assert (status, refused["error_id"]) == (422, "workflow_invalid"), refused
    assert [p["id"] for p in refused["details"]["problems"]] == ["too_deep"]


async def test_every_seeded_workflow_saved_unchanged_from_the_editor_is_the_same_definition(client):
    """Open in the editor and saved as it is: the next version reads exactly as the one opened."""
    token = await login(client, "9001")
    for workflow in (await (await client.get("/api/workflows")).json())["items"]:
        key, version = workflow["key"], workflow["versions"][0]["version"]
        shown = await (await client.get(f"/api/workflows/{key}/{version}")).json()
        assert shown["document"] is not None, key
        status, made = await _post(client, token, {"document": shown["document"]})
        assert (status, made["version"]) == (201, version + 1), (key, made)
        again = await (await client.get(f"/api/workflows/{key}/{version + 1}")).json()
        assert again["document"] == shown["document"], key
        assert again["steps"] == shown["steps"] and again["fields"] == shown["fields"], key
