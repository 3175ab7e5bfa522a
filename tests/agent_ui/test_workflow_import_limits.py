"""流程配置 import refuses a definition nested too deep (QA: 5,000 brackets gave a 500, the YAML
loader's RecursionError) or too large as workflow_invalid, a problem the editor says in Chinese;
nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login
from ticketing.models import WorkflowDefinition

MAX_DEPTH = 64  # levels of lists and mappings a definition may nest (the seeded ones: 8)
SEED = Path(__file__).resolve().parents[2] / "ticketing" / "seeds" / "consult.yaml"


async def _stored(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(func.count(WorkflowDefinition.id)))


async def _import(client, headers, source: str) -> tuple[int, dict]:
    resp = await client.post("/api/workflows", json={"source": source}, headers=headers)
    return resp.status, await resp.json()


async def test_a_definition_nested_too_deep_is_refused_not_a_500(client, world):
    headers = {"X-CSRF-Token": await login(client, "9001")}
    before = await _stored(world)
    block = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "x: 1\n"
    for source, line in (
        ("a: " + "[" * 5000 + "]" * 5000, 1),  # QA's
        ("key: consult\nname: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", 2),
        (block, MAX_DEPTH + 1),  # by indentation: the mapping opened on the 65th line
    ):
        status, body = await _import(client, headers, source)
        assert (status, body["error_id"]) == (422, "workflow_invalid"), body
        [problem] = body["details"]["problems"]
        assert problem["id"] == "too_deep" and problem["line"] == line
    assert await _stored(world) == before
    zh = Texts()
    assert zh.get("zh-CN", "wf.problem.too_deep") == "嵌套过深（列表与键值结构最多 64 层）"
    assert zh.get("zh-CN", "wf.problem.too_large") == "定义过大（不超过 256 KB）"

    # the seeded definitions are far from the limit: one imports as the next version
    status, body = await _import(client, headers, SEED.read_text(encoding="utf-8"))
    assert status == 201, body


async def test_an_oversized_upload_is_refused_in_words_at_any_size(client, world):
    headers = {"X-CSRF-Token": await login(client, "9001")}
    before = await _stored(world)
    for size in (
        300 * 1024,
        3 * 1024 * 1024,
        9 * 1024 * 1024,
    ):  # over the limit, over the body read, over 8 MB
        source = "key: consult\n# " + "x" * size + "\n"
        resp = await client.post(
            "/api/workflows",
            data=json.dumps({"source": source}),
            headers={**headers, "Content-Type": "application/json"},
        )
        body = await resp.json()
        assert (resp.status, body["error_id"]) == (422, "workflow_invalid"), size
        assert [p["id"] for p in body["details"]["problems"]] == ["too_large"]
    assert await _stored(world) == before
