"""Managing the knowledge category tree from the console: who may, adding under a parent,
renaming and moving (a name once among its siblings), putting siblings in order, disabling
only an empty category (or moving its articles first), and the audit rows of each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import login
from tests.agent_ui.test_knowledge_editing import _audit, _writer
from ticketing import knowledge
from ticketing.models import KbArticle, KbCategory


async def _category_id(world, name: str) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(KbCategory.id).where(KbCategory.name == name))


async def _tree(client) -> list[tuple[str, int | None]]:
    """The tree an agent browses: (name, parent id) in display order."""
    tree = (await (await client.get("/api/knowledge")).json())["tree"]
    return [(n["name"], n["parent_id"]) for n in tree]


async def _create(client, headers, **body) -> dict:
    resp = await client.post("/api/knowledge/categories", json=body, headers=headers)
    created = await resp.json()
    assert resp.status == 201, created
    return created


@pytest.mark.parametrize("staff_no", ["1001", "2001"])
async def test_agents_and_handlers_may_not_manage_categories(client, world, staff_no):
    headers = await _writer(client, staff_no)
    seeded = await _category_id(world, "电费电价")
    for method, path, body in [
        ("GET", "/api/knowledge/categories", None),
        ("POST", "/api/knowledge/categories", {"name": "新分类"}),
        ("PATCH", f"/api/knowledge/categories/{seeded}", {"name": "改名"}),
        ("POST", "/api/knowledge/categories/order", {"ids": [seeded]}),
        ("POST", f"/api/knowledge/categories/{seeded}/disable", {}),
        ("POST", f"/api/knowledge/categories/{seeded}/enable", {}),
    ]:
        resp = await client.request(method, path, json=body, headers=headers)
        assert resp.status == 403, (method, path)
        assert (await resp.json())["error_id"] == "role.forbidden"
    page = await (await client.get("/knowledge")).text()
    assert 'id="kb-cat-editor"' not in page
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(KbCategory.id).where(KbCategory.name == "新分类")) is None


async def test_the_routes_name_their_permission(client):
    await login(client, "9001")
    assert 'id="kb-cat-editor"' in await (await client.get("/knowledge")).text()
    spec = await (await client.get("/api/openapi.json")).json()
    for method, path in [
        ("get", "/api/knowledge/categories"),
        ("post", "/api/knowledge/categories"),
        ("patch", "/api/knowledge/categories/{id}"),
        ("post", "/api/knowledge/categories/order"),
        ("post", "/api/knowledge/categories/{id}/{action}"),
    ]:
        assert spec["paths"][path][method]["x-permission"] == "knowledge.write", (method, path)


async def test_a_team_leader_adds_renames_and_moves_categories_audited(client, world):
    headers = await _writer(client, "3001")
    fees = await _category_id(world, "电费电价")
    top = await _create(client, headers, name="  新能源 ")
    assert top["name"] == "新能源" and top["parent_id"] is None and top["enabled"] is True
    child = await _create(client, headers, name="分布式光伏", parent_id=top["id"])
    assert child["parent_id"] == top["id"]
    # agents see them in the tree at once, the new top-level one last
    tree = await _tree(client)
    assert [n for n, parent in tree if parent is None][-1] == "新能源"
    assert ("分布式光伏", top["id"]) in tree

    resp = await client.patch(
        f"/api/knowledge/categories/{child['id']}",
        json={"name": "光伏并网", "parent_id": fees},
        headers=headers,
    )
    moved = await resp.json()
    assert resp.status == 200, moved
    assert (moved["name"], moved["parent_id"]) == ("光伏并网", fees)
    assert ("光伏并网", fees) in await _tree(client)

    # an article can be filed under it
    resp = await client.post(
        "/api/knowledge",
        json={"title": "光伏并网流程", "body": "携带身份证到营业厅", "category_id": child["id"]},
        headers=headers,
    )
    assert resp.status == 201

    audit = await _audit(world, "kb_category", child["id"])
    assert [(a.action, a.actor) for a in audit] == [
        ("kb.category.add", "3001"),
        ("kb.category.update", "3001"),
    ]
    assert audit[1].before["name"] == "分布式光伏" and audit[1].before["parent_id"] == top["id"]
    assert audit[1].after["name"] == "光伏并网" and audit[1].after["parent_id"] == fees


@pytest.mark.parametrize(
    "body, problems",
    [
        ({}, {"name": "field_required"}),
        ({"name": "   "}, {"name": "field_required"}),
        ({"name": "长" * 65}, {"name": "field_too_long"}),
        ({"name": "电费电价"}, {"name": "field_duplicate"}),  # a seeded top-level one
        ({"name": "新", "parent_id": 99999}, {"parent_id": "field_unknown_kb_category"}),
        ({"name": "新", "parent_id": "电费"}, {"parent_id": "field_not_number"}),
        ({"name": "新", "sort": 1}, {"sort": "field_unknown"}),
    ],
)
async def test_bad_categories_are_refused_naming_the_field(client, world, body, problems):
    headers = await _writer(client, "3001")
    resp = await client.post("/api/knowledge/categories", json=body, headers=headers)
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["error_id"] == "invalid_fields" and refused["details"]["problems"] == problems
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(KbCategory.id).where(KbCategory.name == "新")) is None


async def test_names_are_unique_among_siblings_and_a_category_never_goes_under_itself(client, world):
    headers = await _writer(client, "3001")
    fees = await _category_id(world, "电费电价")
    repairs = await _category_id(world, "故障抢修")
    # the same name under another parent is another category
    under_fees = await _create(client, headers, name="常见问题", parent_id=fees)
    under_repairs = await _create(client, headers, name="常见问题", parent_id=repairs)
    # renaming into a sibling's name, or moving next to a namesake, is refused
    resp = await client.patch(
        f"/api/knowledge/categories/{under_fees['id']}", json={"parent_id": repairs}, headers=headers
    )
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"name": "field_duplicate"}
    resp = await client.patch(f"/api/knowledge/categories/{fees}", json={"name": "故障抢修"}, headers=headers)
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"name": "field_duplicate"}
    # under its own subcategory, or itself
    for parent in (under_fees["id"], fees):
        resp = await client.patch(
            f"/api/knowledge/categories/{fees}", json={"parent_id": parent}, headers=headers
        )
        refused = await resp.json()
        assert resp.status == 422 and refused["details"]["problems"] == {
            "parent_id": "field_kb_category_cycle"
        }
        assert "子分类" in refused["message"]
    # keeping its own name while changing nothing else is no duplicate
    resp = await client.patch(
        f"/api/knowledge/categories/{under_repairs['id']}", json={"name": "常见问题"}, headers=headers
    )
    assert resp.status == 200
    assert (
        await client.patch("/api/knowledge/categories/99999", json={"name": "x"}, headers=headers)
    ).status == 404


async def test_siblings_are_put_in_order(client, world):
    headers = await _writer(client, "3001")
    names = ["电费电价", "业扩报装", "故障抢修"]
    ids = [await _category_id(world, n) for n in names]
    assert [n for n, _ in await _tree(client)] == names

    resp = await client.post(
        "/api/knowledge/categories/order", json={"parent_id": None, "ids": ids[::-1]}, headers=headers
    )
    assert resp.status == 200, await resp.json()
    assert [n for n, _ in await _tree(client)] == names[::-1]
    # the editors' list follows the same order
    listed = await (await client.get("/api/knowledge/categories")).json()
    assert [c["name"] for c in listed["items"]] == names[::-1]
    assert {c["name"]: c["articles"] for c in listed["items"]}["电费电价"] > 0

    # every sibling, each once, and nothing else
    for bad in (ids[:2], ids + [ids[0]], [*ids, 99999]):
        resp = await client.post(
            "/api/knowledge/categories/order", json={"parent_id": None, "ids": bad}, headers=headers
        )
        refused = await resp.json()
        assert resp.status == 422 and refused["details"]["problems"] == {"ids": "field_kb_category_siblings"}
    assert [n for n, _ in await _tree(client)] == names[::-1]

    [audit] = await _audit(world, "kb_category", "top")
    assert audit.action == "kb.category.reorder" and audit.actor == "3001"
    assert audit.before == {"ids": ids} and audit.after == {"ids": ids[::-1]}


async def test_only_an_empty_category_is_disabled(client, world):
    headers = await _writer(client, "3001")
    fees = await _category_id(world, "电费电价")
    repairs = await _category_id(world, "故障抢修")
    async with world.services.sessionmaker() as db:
        in_fees = list(await db.scalars(select(KbArticle.id).where(KbArticle.category_id == fees)))
    assert in_fees

    child = await _create(client, headers, name="峰谷电价", parent_id=fees)
    resp = await client.post(f"/api/knowledge/categories/{fees}/disable", json={}, headers=headers)
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "kb_category_has_children"
    assert "子分类" in refused["message"]
    assert (
        await client.post(f"/api/knowledge/categories/{child['id']}/disable", headers=headers)
    ).status == 200

    resp = await client.post(f"/api/knowledge/categories/{fees}/disable", json={}, headers=headers)
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "kb_category_not_empty"
    assert refused["details"]["articles"] == len(in_fees) and "移到其他分类" in refused["message"]
    # …unless the disable says where its articles go (an enabled category, not itself)
    for target, problem in [
        (child["id"], "field_kb_category_disabled"),
        (fees, "field_kb_move_to_itself"),
        (99999, "field_unknown_kb_category"),
    ]:
        resp = await client.post(
            f"/api/knowledge/categories/{fees}/disable", json={"move_articles_to": target}, headers=headers
        )
        refused = await resp.json()
        assert resp.status == 422 and refused["details"]["problems"] == {"move_articles_to": problem}
        if target == fees:  # the category is enabled: saying it is disabled would mislead
            assert "不能移到本分类" in refused["message"] and "停用" not in refused["message"]
    resp = await client.post(
        f"/api/knowledge/categories/{fees}/disable", json={"move_articles_to": repairs}, headers=headers
    )
    body = await resp.json()
    assert resp.status == 200 and body["enabled"] is False, body

    async with world.services.sessionmaker() as db:
        moved = set(await db.scalars(select(KbArticle.id).where(KbArticle.category_id == repairs)))
    assert set(in_fees) <= moved
    # out of the tree agents browse, out of the article editor's choices
    assert "电费电价" not in [n for n, _ in await _tree(client)]
    resp = await client.post(
        "/api/knowledge", json={"title": "标题", "body": "x", "category_id": fees}, headers=headers
    )
    assert resp.status == 422
    assert (await resp.json())["details"]["problems"] == {"category_id": "field_kb_category_disabled"}
    # nothing goes under it either, and its subcategory comes back only after it
    resp = await client.post(
        "/api/knowledge/categories", json={"name": "新", "parent_id": fees}, headers=headers
    )
    assert (await resp.json())["details"]["problems"] == {"parent_id": "field_kb_category_disabled"}
    resp = await client.post(f"/api/knowledge/categories/{child['id']}/enable", headers=headers)
    assert resp.status == 409 and (await resp.json())["error_id"] == "kb_category_parent_disabled"
    assert (await client.post(f"/api/knowledge/categories/{fees}/enable", headers=headers)).status == 200
    assert "电费电价" in [n for n, _ in await _tree(client)]

    audit = await _audit(world, "kb_category", fees)
    assert [a.action for a in audit] == ["kb.category.disable", "kb.category.enable"]
    assert audit[0].before["enabled"] is True and audit[0].after["enabled"] is False
    # each moved article keeps its own audit row, like an edit of its category
    [article_audit] = await _audit(world, "kb_article", in_fees[0])
    assert article_audit.action == "kb.update" and article_audit.actor == "3001"
    assert article_audit.before["category_id"] == fees and article_audit.after["category_id"] == repairs


async def test_an_empty_category_is_disabled_at_once_and_its_articles_may_go_uncategorised(client, world):
    headers = await _writer(client, "9001")
    empty = await _create(client, headers, name="临时")
    resp = await client.post(f"/api/knowledge/categories/{empty['id']}/disable", headers=headers)
    assert resp.status == 200 and (await resp.json())["enabled"] is False
    listed = (await (await client.get("/api/knowledge/categories")).json())["items"]
    assert {c["name"]: c["enabled"] for c in listed}["临时"] is False  # its editors still see it

    repairs = await _category_id(world, "故障抢修")
    resp = await client.post(
        f"/api/knowledge/categories/{repairs}/disable", json={"move_articles_to": None}, headers=headers
    )
    assert resp.status == 200
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(KbArticle.id).where(KbArticle.category_id == repairs)) is None
    resp = await client.post(
        f"/api/knowledge/categories/{repairs}/disable", json={"why": "x"}, headers=headers
    )
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"why": "field_unknown"}


async def test_a_seeded_category_added_later_comes_last(world):
    async with world.services.sessionmaker.begin() as db:
        added = await knowledge.add_category(db, "测试分类")
        listed = await knowledge.category_list(db)
    assert listed[-1]["id"] == added.id and listed[-1]["sort"] > listed[-2]["sort"]
