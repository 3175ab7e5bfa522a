"""Two editors of one knowledge article: each edit names the version it started from, and the
second of two edits made from the same version is refused (kb_article_changed_meanwhile, in
Chinese) instead of silently replacing the first (QA: 2001 and 3001 both PATCHed article 8)."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login
from ticketing.models import AuditLog, KbArticle


async def test_a_stale_edit_is_refused_and_the_first_edit_stays(client, world, aiohttp_client):
    leader = {"X-CSRF-Token": await login(client, "3001")}
    other = await aiohttp_client(client.server)
    admin = {"X-CSRF-Token": await login(other, "9001")}
    created = await client.post("/api/knowledge", json={"title": "电费查询", "body": "原文"}, headers=leader)
    assert created.status == 201
    article = await created.json()
    aid = article["id"]

    # both open the editor on the same version
    opened = await (await other.get(f"/api/knowledge/{aid}")).json()
    assert opened["version"] == article["version"] and opened["body"] == "原文"

    first = await client.patch(
        f"/api/knowledge/{aid}", json={"body": "班长的修改", "version": article["version"]}, headers=leader
    )
    assert first.status == 200, await first.text()
    saved = await first.json()
    assert saved["version"] != article["version"]

    second = await other.patch(
        f"/api/knowledge/{aid}", json={"body": "质检的修改", "version": opened["version"]}, headers=admin
    )
    refused = await second.json()
    assert second.status == 409 and refused["error_id"] == "kb_article_changed_meanwhile", refused
    assert refused["message"] == Texts().get("zh-CN", "error.kb_article_changed_meanwhile")
    assert "您的修改未保存" in refused["message"] and "重新载入" in refused["message"]
    assert refused["details"]["version"] == saved["version"]
    async with world.services.sessionmaker() as db:
        assert (await db.get(KbArticle, aid)).body == "班长的修改"
        updates = list(
            await db.scalars(
                select(AuditLog).where(AuditLog.action == "kb.update", AuditLog.entity_id == str(aid))
            )
        )
    assert [(u.actor, u.after["body"]) for u in updates] == [("3001", "班长的修改")]

    # the second editor reloads (the version the page now shows) and merges: saved
    now = await (await other.get(f"/api/knowledge/{aid}")).json()
    assert (now["body"], now["version"]) == ("班长的修改", saved["version"])
    merged = await other.patch(
        f"/api/knowledge/{aid}",
        json={"body": "班长的修改,质检的修改", "version": now["version"]},
        headers=admin,
    )
    assert merged.status == 200, await merged.text()
    # a disable moves the version on too: an edit from before it is stale
    assert (await client.post(f"/api/knowledge/{aid}/disable", headers=leader)).status == 200
    stale = await other.patch(
        f"/api/knowledge/{aid}",
        json={"title": "x", "version": (await merged.json())["version"]},
        headers=admin,
    )
    assert stale.status == 409
    # an edit naming no version could overwrite a change unseen: refused (QA's PATCH without one)
    unnamed = await other.patch(f"/api/knowledge/{aid}", json={"body": "质检的修改"}, headers=admin)
    body = await unnamed.json()
    assert unnamed.status == 422 and body["details"]["problems"] == {"version": "field_required"}
    assert "版本" in body["message"]
    nulled = await other.patch(
        f"/api/knowledge/{aid}", json={"body": "质检的修改", "version": None}, headers=admin
    )
    assert nulled.status == 422 and (await nulled.json())["details"]["problems"] == {
        "version": "field_required"
    }
    bad = await other.patch(f"/api/knowledge/{aid}", json={"title": "x", "version": 3}, headers=admin)
    assert bad.status == 422 and (await bad.json())["details"]["problems"] == {"version": "field_not_text"}


async def test_the_editor_keeps_the_loaded_version_and_offers_reload_or_merge(client):
    await login(client, "3001")
    page = await (await client.get("/knowledge")).text()
    assert 'name="version"' in page and 'id="kb-conflict"' in page
    assert "载入最新内容" in page and "合并后再保存" in page
    script = await (await client.get("/static/js/knowledge.js")).text()
    assert "kb_article_changed_meanwhile" in script and "version" in script


async def test_an_agent_reads_one_enabled_article_but_not_a_disabled_one(client, world, aiohttp_client):
    leader = {"X-CSRF-Token": await login(client, "3001")}
    article = await (
        await client.post("/api/knowledge", json={"title": "峰谷", "body": "电价"}, headers=leader)
    ).json()
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    assert (await agent.get(f"/api/knowledge/{article['id']}")).status == 200
    await client.post(f"/api/knowledge/{article['id']}/disable", headers=leader)
    assert (await agent.get(f"/api/knowledge/{article['id']}")).status == 404
    assert (await client.get(f"/api/knowledge/{article['id']}")).status == 200
