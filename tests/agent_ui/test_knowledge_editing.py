"""Writing the knowledge base and the outage notices from the console: who may, what is refused
(naming each field), the versions a notice keeps, the audit rows, what the IVR tells callers
after a revision, and the knowledge search reading Chinese typed without spaces."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent_ui.texts import Texts
from hotline.selfservice import ticketing_hooks
from tests.agent_ui.conftest import login, posted_notice
from ticketing import knowledge, users
from ticketing.models import AuditLog, KbArticle, KbCategory, OutageNotice, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _writer(client, staff_no: str) -> dict[str, str]:
    return {"X-CSRF-Token": await login(client, staff_no)}


def _local(value: dt.datetime) -> str:
    """A datetime-local input's value: minutes, site time, no offset."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _site_id(world, code: str) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.id).where(Site.code == code))


async def _audit(world, entity: str, entity_id: object) -> list[AuditLog]:
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(
            select(AuditLog)
            .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
            .order_by(AuditLog.id)
        )
        return list(rows)


# -- who may write -------------------------------------------------------------------------------
@pytest.mark.parametrize("staff_no", ["1001", "2001"])
async def test_agents_and_handlers_may_read_but_not_write(client, world, staff_no):
    headers = await _writer(client, staff_no)
    article = {"title": "临时", "body": "x"}
    resp = await client.post("/api/knowledge", json=article, headers=headers)
    assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"
    resp = await client.patch("/api/knowledge/1", json={"title": "改"}, headers=headers)
    assert resp.status == 403
    resp = await client.post("/api/knowledge/1/disable", headers=headers)
    assert resp.status == 403
    resp = await client.post("/api/notices", json={"area": "x"}, headers=headers)
    assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"
    for path in ("/api/notices/abc/end", "/api/notices/abc/withdraw"):
        assert (await client.post(path, json={"remark": "x"}, headers=headers)).status == 403
    assert (await client.patch("/api/notices/abc", json={}, headers=headers)).status == 403
    # the pages are theirs to read, without the editors
    kb_page = await (await client.get("/knowledge")).text()
    notices_page = await (await client.get("/notices")).text()
    assert 'id="kb-search"' in kb_page and 'id="kb-editor"' not in kb_page
    assert 'id="notice-table"' in notices_page and 'id="notice-editor"' not in notices_page


async def test_team_leaders_and_admins_get_the_editors(client):
    await login(client, "3001")
    assert 'id="kb-editor"' in await (await client.get("/knowledge")).text()
    assert 'id="notice-editor"' in await (await client.get("/notices")).text()
    spec = await (await client.get("/api/openapi.json")).json()
    assert spec["paths"]["/api/knowledge"]["post"]["x-permission"] == "knowledge.write"
    assert spec["paths"]["/api/knowledge/{id}"]["patch"]["x-permission"] == "knowledge.write"
    assert spec["paths"]["/api/notices"]["post"]["x-permission"] == "notice.write"
    assert spec["paths"]["/api/notices/{key}"]["patch"]["x-permission"] == "notice.write"
    assert spec["paths"]["/api/notices/{key}/withdraw"]["post"]["x-permission"] == "notice.write"
    assert spec["paths"]["/api/notices/{key}"]["get"]["x-permission"] == "knowledge.read"
    assert spec["paths"]["/api/notices"]["post"]["x-roles"] == ["admin", "supervisor", "team_leader"]
    revise = spec["paths"]["/api/notices/{key}"]["patch"]["requestBody"]["content"]["application/json"]
    assert revise["schema"]["required"] == ["remark"] and "version" in revise["schema"]["properties"]


async def test_writes_need_the_csrf_token(client):
    await login(client, "9001")
    resp = await client.post("/api/knowledge", json={"title": "t", "body": "b"})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"


# -- knowledge articles -------------------------------------------------------------------------------
async def test_a_team_leader_writes_edits_and_disables_an_article_audited(client, world):
    headers = await _writer(client, "3001")
    async with world.services.sessionmaker() as db:
        category = await db.scalar(select(KbCategory.id).where(KbCategory.name == "电费电价"))
    resp = await client.post(
        "/api/knowledge",
        json={
            "title": "  分布式光伏并网办理 ",
            "category_id": category,
            "body": "个人分布式光伏并网:携带身份证、房产证明到营业厅申请,免费接入。",
            "tags": ["光伏", "并网", "光伏"],
        },
        headers=headers,
    )
    created = await resp.json()
    assert resp.status == 201, created
    assert created["title"] == "分布式光伏并网办理" and created["tags"] == "光伏 并网"
    assert created["enabled"] is True and created["kind"] == "text" and created["category_id"] == category

    resp = await client.patch(
        f"/api/knowledge/{created['id']}",
        json={
            "tags": "光伏、并网,新能源",
            "kind": "link",
            "url": "https://www.95598.cn/pv",
            "version": created["version"],
        },
        headers=headers,
    )
    edited = await resp.json()
    assert resp.status == 200, edited
    assert edited["tags"] == "光伏 并网 新能源" and edited["kind"] == "link"

    found = await (await client.get("/api/knowledge", params={"q": "新能源"})).json()
    assert [a["id"] for a in found["items"]] == [created["id"]]

    resp = await client.post(f"/api/knowledge/{created['id']}/disable", headers=headers)
    assert resp.status == 200 and (await resp.json())["enabled"] is False
    assert (await (await client.get("/api/knowledge", params={"q": "新能源"})).json())["items"] == []
    # its editors still find it, to enable it again
    found = await (await client.get("/api/knowledge", params={"q": "新能源", "disabled": "1"})).json()
    assert [(a["id"], a["enabled"]) for a in found["items"]] == [(created["id"], False)]

    audit = await _audit(world, "kb_article", created["id"])
    assert [(a.action, a.actor) for a in audit] == [
        ("kb.add", "3001"),
        ("kb.update", "3001"),
        ("kb.disable", "3001"),
    ]
    assert audit[1].before["tags"] == "光伏 并网" and audit[1].after["tags"] == "光伏 并网 新能源"
    assert audit[1].before["kind"] == "text" and audit[1].after["url"] == "https://www.95598.cn/pv"
    assert audit[2].after["enabled"] is False


async def test_a_disabled_article_cannot_be_sent_and_agents_never_see_it(client, world):
    async with world.services.sessionmaker.begin() as db:
        article = await knowledge.add_article(db, "旧政策", "已废止的旧政策", tags="废止")
    headers = await _writer(client, "9001")
    assert (await client.post(f"/api/knowledge/{article.id}/disable", headers=headers)).status == 200
    await client.delete("/api/session", headers=headers)
    headers = await _writer(client, "1001")
    # an agent asking for disabled ones gets the enabled ones only
    found = await (await client.get("/api/knowledge", params={"q": "废止", "disabled": "1"})).json()
    assert found["items"] == []
    resp = await client.post(
        f"/api/knowledge/{article.id}/send", json={"channel": "sms", "to": "13800138000"}, headers=headers
    )
    assert resp.status == 404


@pytest.mark.parametrize(
    "body, problems",
    [
        ({"body": "内容"}, {"title": "field_required"}),
        ({"title": "   ", "body": "内容"}, {"title": "field_required"}),
        ({"title": "标题"}, {"body": "field_required"}),
        ({"title": "标题", "body": "x", "kind": "video"}, {"kind": "field_bad_option"}),
        ({"title": "标题", "kind": "link"}, {"url": "field_required"}),
        ({"title": "标题", "kind": "link", "url": "javascript:alert(1)"}, {"url": "field_bad_url"}),
        ({"title": "标题", "kind": "file", "url": "javascript:alert(1)"}, {"url": "field_bad_file_url"}),
        (
            {"title": "标题", "kind": "file", "url": "data:text/html,<script>x</script>"},
            {"url": "field_bad_file_url"},
        ),
        ({"title": "标题", "kind": "file", "url": "//evil.example/a.pdf"}, {"url": "field_bad_file_url"}),
        ({"title": "标题", "kind": "file", "url": "/\\evil.example/a.pdf"}, {"url": "field_bad_file_url"}),
        ({"title": "标题", "kind": "file", "url": "files/a.pdf"}, {"url": "field_bad_file_url"}),
        ({"title": "标题", "body": "x", "category_id": 99999}, {"category_id": "field_unknown_kb_category"}),
        ({"title": "标题", "body": "x", "category_id": "电费"}, {"category_id": "field_not_number"}),
        ({"title": "标" * 201, "body": "x"}, {"title": "field_too_long"}),
        ({"title": "标题", "body": "x", "tags": "长" * 201}, {"tags": "field_too_long"}),
        ({"title": "标题", "body": "x", "tags": 5}, {"tags": "field_not_text"}),
        ({"title": "标题", "body": "x", "enabled": "yes"}, {"enabled": "field_not_boolean"}),
        ({"title": "标题", "body": "x", "author": "me"}, {"author": "field_unknown"}),
    ],
)
async def test_bad_articles_are_refused_naming_the_field(client, world, body, problems):
    headers = await _writer(client, "3001")
    resp = await client.post("/api/knowledge", json=body, headers=headers)
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["error_id"] == "invalid_fields" and refused["details"]["problems"] == problems
    # the message names the field in words (标题, 内容 …); an unknown one by its key
    field = next(iter(problems))
    assert Texts().field("zh-CN", field) in refused["message"]
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(KbArticle.id).where(KbArticle.title == "标题")) is None


async def test_an_edit_is_checked_against_the_whole_article(client, world):
    headers = await _writer(client, "3001")
    created = await (
        await client.post("/api/knowledge", json={"title": "标题", "body": "内容"}, headers=headers)
    ).json()
    # turning a text into a link needs its address; emptying the body of a text is refused
    for change, problems in [
        ({"kind": "link"}, {"url": "field_required"}),
        ({"body": ""}, {"body": "field_required"}),
        ({"title": None}, {"title": "field_required"}),
    ]:
        resp = await client.patch(
            f"/api/knowledge/{created['id']}", json={**change, "version": created["version"]}, headers=headers
        )
        assert resp.status == 422 and (await resp.json())["details"]["problems"] == problems
    assert (await client.patch("/api/knowledge/99999", json={"title": "x"}, headers=headers)).status == 404
    assert [a.action for a in await _audit(world, "kb_article", created["id"])] == ["kb.add"]


@pytest.mark.parametrize("url", ["/files/电价政策.pdf", "https://www.95598.cn/files/a.pdf"])
async def test_a_file_is_a_web_address_or_a_path_on_this_site(client, world, url):
    headers = await _writer(client, "3001")
    resp = await client.post(
        "/api/knowledge", json={"title": "电价文件", "kind": "file", "url": url}, headers=headers
    )
    assert resp.status == 201, await resp.text()
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(KbArticle.url).where(KbArticle.title == "电价文件")) == url


# -- searching Chinese typed without spaces ------------------------------------------------------------
async def test_a_query_without_spaces_finds_the_article_tagged_with_its_words(client):
    """居民阶梯电价 (seeded) is tagged 居民 and 电价: 居民电价 finds it first, 阶梯电价 still does."""
    await login(client, "1001")
    for query in ("居民电价", "阶梯电价", "居民 电价", "居民的电价"):
        found = await (await client.get("/api/knowledge", params={"q": query})).json()
        titles = [a["title"] for a in found["items"]]
        assert titles and titles[0] == "居民阶梯电价", (query, titles)
    found = await (await client.get("/api/knowledge", params={"q": "燃气"})).json()
    assert found["items"] == []  # 燃气 is nowhere
    # any word finds an article: 燃气电价 finds those about 电价
    found = await (await client.get("/api/knowledge", params={"q": "燃气电价"})).json()
    assert {a["title"] for a in found["items"]} == {"居民阶梯电价", "峰谷分时电价"}


async def test_a_new_tag_is_a_word_of_the_next_search(client, world):
    """The words come from the articles' tags (cached): a tag written now counts at once. Without
    the tag 网上国网 is read as 网上 上国 国网, and an article saying only 国网 is found by it;
    once it is a tag, 网上国网 is one word."""
    headers = await _writer(client, "3001")
    resp = await client.post(
        "/api/knowledge",
        json={"title": "国网客服中心", "body": "国网客服中心全天受理咨询。"},
        headers=headers,
    )
    assert resp.status == 201
    found = await (await client.get("/api/knowledge", params={"q": "用网上国网缴费"})).json()
    assert "国网客服中心" in [a["title"] for a in found["items"]]
    async with world.services.sessionmaker() as db:
        article = await db.scalar(select(KbArticle).where(KbArticle.title == "电费缴纳方式"))
    resp = await client.patch(
        f"/api/knowledge/{article.id}",
        json={"tags": f"{article.tags} 网上国网", "version": knowledge.article_version(article)},
        headers=headers,
    )
    assert resp.status == 200
    found = await (await client.get("/api/knowledge", params={"q": "用网上国网缴费"})).json()
    titles = [a["title"] for a in found["items"]]
    assert titles[:1] == ["电费缴纳方式"] and "国网客服中心" not in titles


def test_the_terms_of_a_query():
    tags = {"居民", "电价", "网上国网", "缴费"}
    paying = knowledge.SYNONYMS[0]
    assert knowledge.query_terms("居民电价", tags) == [("居民",), ("电价",), ("居民电价",)]
    assert knowledge.query_terms("居民的电价", tags) == [("居民",), ("电价",), ("居民的电价",)]  # 的 dropped
    assert knowledge.query_terms("阶梯电价", tags) == [("阶梯",), ("电价",), ("阶梯电价",)]
    # no tag in it: overlapping two-character words
    assert knowledge.query_terms("峰谷电价", set()) == [("峰谷",), ("谷电",), ("电价",), ("峰谷电价",)]
    assert knowledge.query_terms("用网上国网缴费", tags) == [("网上国网",), paying, ("用网上国网缴费",)]
    assert knowledge.query_terms("网上国网App", tags) == [("网上国网",), ("App",), ("网上国网App",)]
    assert knowledge.query_terms("电价", tags) == [("电价",)]
    assert knowledge.query_terms("8:00-22:00", tags) == [("8:00-22:00",)]


# -- outage notices --------------------------------------------------------------------------------------
async def _publish(client, headers, site_id, area="中关村大街1-99号", **extra):
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": site_id,
        "area": area,
        "reason": "10kV线路检修",
        "starts_at": _local(now - dt.timedelta(hours=1)),
        "ends_at": _local(now + dt.timedelta(hours=3)),
        **extra,
    }
    notice = await posted_notice(client, headers, body)
    return notice


async def test_a_revised_notice_is_a_new_version_and_what_the_ivr_now_says(client, world):
    headers = await _writer(client, "3001")
    hd = await _site_id(world, "HD")
    starts = (dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    notice = await _publish(client, headers, hd, starts_at=starts.strftime("%Y-%m-%dT%H:%M"))
    assert notice["version"] == 1 and notice["state"] == "发布中"
    assert notice["created_by"] == {"staff_no": "3001", "name": "张班长"}
    # the time typed was Shanghai time: stored and answered in UTC
    assert dt.datetime.fromisoformat(notice["starts_at"]) == starts
    assert notice["starts_at"].endswith("+00:00")

    lookup = ticketing_hooks(world.services.sessionmaker).outage_lookup
    assert [o.area for o in await lookup("HD")] == ["中关村大街1-99号"]

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    resp = await client.patch(
        f"/api/notices/{notice['key']}",
        json={
            "area": "中关村大街1-199号",
            "ends_at": _local(later),
            "remark": "停电范围扩大,延长检修",
            "version": 1,
        },
        headers=headers,
    )
    revised = await resp.json()
    assert resp.status == 200, revised
    assert revised["version"] == 2 and revised["key"] == notice["key"]
    assert revised["reason"] == "10kV线路检修" and revised["remark"] == "停电范围扩大,延长检修"

    [outage] = await lookup("HD")
    assert outage.area == "中关村大街1-199号"
    assert outage.ends_at == pytest.approx(later.replace(second=0, microsecond=0).timestamp())

    history = await (await client.get(f"/api/notices/{notice['key']}")).json()
    assert [(v["version"], v["state"], v["area"]) for v in history["versions"]] == [
        (1, "变更后", "中关村大街1-99号"),
        (2, "发布中", "中关村大街1-199号"),
    ]
    assert history["current"]["version"] == 2
    # the search shows the current version; the old one only when asked for
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    listed = await (await client.get("/api/notices", params={"site": "HD", "from": today})).json()
    assert [(n["key"], n["version"]) for n in listed["items"]] == [(notice["key"], 2)]

    audit = await _audit(world, "outage_notice", notice["key"])
    assert [(a.action, a.actor) for a in audit] == [("notice.publish", "3001"), ("notice.change", "3001")]
    assert audit[1].before["area"] == "中关村大街1-99号" and audit[1].after["version"] == 2


async def test_a_revision_needs_a_remark_and_the_version_it_was_made_from(client, world):
    headers = await _writer(client, "3001")
    notice = await _publish(client, headers, await _site_id(world, "HD"))
    key = notice["key"]
    resp = await client.patch(f"/api/notices/{key}", json={"area": "别处"}, headers=headers)
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"remark": "field_required"}
    ok = await client.patch(
        f"/api/notices/{key}", json={"reason": "抢修", "remark": "原因更正", "version": 1}, headers=headers
    )
    assert ok.status == 200
    # a second editor still looking at version 1
    resp = await client.patch(
        f"/api/notices/{key}", json={"reason": "计划检修", "remark": "改", "version": 1}, headers=headers
    )
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "notice_changed_meanwhile"
    assert refused["details"]["version"] == 2
    async with world.services.sessionmaker() as db:
        versions = await knowledge.notice_history(db, key)
    assert [(v.version, v.state, v.reason) for v in versions] == [
        (1, "变更后", "10kV线路检修"),
        (2, "发布中", "抢修"),
    ]


@pytest.mark.parametrize(
    "change, problems",
    [
        ({"area": ""}, {"area": "field_required"}),
        ({"area": "   "}, {"area": "field_required"}),
        ({"site_id": None}, {"site_id": "field_required"}),
        ({"site_id": 99999}, {"site_id": "field_unknown_site"}),
        ({"starts_at": "明天上午"}, {"starts_at": "field_bad_time"}),
        ({"ends_at": "2020-01-01T08:00"}, {"ends_at": "field_ends_before_start"}),
        ({"reason": "长" * 256}, {"reason": "field_too_long"}),
        ({"lines": "10kV 中关村线"}, {"lines": "field_unknown"}),
    ],
)
async def test_bad_notices_are_refused_naming_the_field(client, world, change, problems):
    headers = await _writer(client, "9001")
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": await _site_id(world, "HD"),
        "area": "中关村大街",
        "starts_at": _local(now),
        "ends_at": _local(now + dt.timedelta(hours=2)),
        **change,
    }
    resp = await client.post("/api/notices", json=body, headers=headers)
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["error_id"] == "invalid_fields" and refused["details"]["problems"] == problems
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(OutageNotice.id)) is None


async def test_a_new_notice_needs_its_site_area_and_times(client):
    headers = await _writer(client, "3001")
    resp = await client.post("/api/notices", json={"reason": "检修"}, headers=headers)
    problems = (await resp.json())["details"]["problems"]
    assert resp.status == 422
    assert problems == dict.fromkeys(["site_id", "area", "starts_at", "ends_at"], "field_required")


async def test_a_bureau_team_leader_writes_only_their_bureaus_notices(client, world):
    hq, hd = await _site_id(world, "HQ"), await _site_id(world, "HD")
    async with world.services.sessionmaker.begin() as db:
        await users.create_user(
            db, "3002", "赵班长", "secret123", roles=["team_leader"], site_id=hd, must_change_password=False
        )
    admin = await _writer(client, "9001")
    hq_notice = await _publish(client, admin, hq, area="总部大楼")
    await client.delete("/api/session", headers=admin)

    headers = await _writer(client, "3002")
    resp = await client.post(
        "/api/notices",
        json={"site_id": hq, "area": "全市", "starts_at": "2030-01-01T08:00", "ends_at": "2030-01-01T12:00"},
        headers=headers,
    )
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {
        "site_id": "field_out_of_scope"
    }
    resp = await client.post(
        f"/api/notices/{hq_notice['key']}/withdraw", json={"remark": "不是我们的"}, headers=headers
    )
    assert resp.status == 403 and (await resp.json())["error_id"] == "forbidden"
    own = await _publish(client, headers, hd, area="海淀黄庄")
    assert own["site_id"] == hd


async def test_ending_early_and_withdrawing_keep_the_history_and_silence_the_ivr(client, world):
    headers = await _writer(client, "3001")
    hd = await _site_id(world, "HD")
    ended = await _publish(client, headers, hd, area="中关村南大街")
    withdrawn = await _publish(client, headers, hd, area="知春路")
    lookup = ticketing_hooks(world.services.sessionmaker).outage_lookup
    assert sorted(o.area for o in await lookup("HD")) == ["中关村南大街", "知春路"]

    resp = await client.post(f"/api/notices/{ended['key']}/end", json={"remark": ""}, headers=headers)
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"remark": "field_required"}
    resp = await client.post(
        f"/api/notices/{ended['key']}/end", json={"remark": "已恢复送电", "version": 1}, headers=headers
    )
    body = await resp.json()
    assert resp.status == 200, body
    # the new version ends now, so it reads 已结束 at once: no longer sent nor revised
    assert body["version"] == 2 and body["state"] == "已结束"
    assert dt.datetime.fromisoformat(body["ends_at"]) <= dt.datetime.now(dt.UTC)

    resp = await client.post(
        f"/api/notices/{withdrawn['key']}/withdraw", json={"remark": "调度取消检修计划"}, headers=headers
    )
    assert resp.status == 200 and (await resp.json())["state"] == "已删除"

    assert await lookup("HD") == []
    history = await (await client.get(f"/api/notices/{withdrawn['key']}")).json()
    assert [(v["version"], v["state"], v["remark"]) for v in history["versions"]] == [
        (1, "变更后", ""),
        (2, "已删除", "调度取消检修计划"),
    ]
    assert history["current"] is None
    # nothing published is left to change: refused as withdrawn (409), not as unknown
    for path in (f"/api/notices/{withdrawn['key']}/end", f"/api/notices/{withdrawn['key']}/withdraw"):
        again = await client.post(path, json={"remark": "再次"}, headers=headers)
        assert again.status == 409 and (await again.json())["error_id"] == "notice_withdrawn"
    assert (await client.get("/api/notices/nosuchkey")).status == 404

    actions = [a.action for a in await _audit(world, "outage_notice", ended["key"])]
    assert actions == ["notice.publish", "notice.end"]
    actions = [a.action for a in await _audit(world, "outage_notice", withdrawn["key"])]
    assert actions == ["notice.publish", "notice.withdraw"]  # 撤销停电信息: nothing is deleted


async def test_a_planned_outage_is_withdrawn_not_ended(client, world):
    headers = await _writer(client, "3001")
    now = dt.datetime.now(dt.UTC)
    planned = await _publish(
        client,
        headers,
        await _site_id(world, "HD"),
        starts_at=_local(now + dt.timedelta(days=1)),
        ends_at=_local(now + dt.timedelta(days=1, hours=4)),
    )
    resp = await client.post(f"/api/notices/{planned['key']}/end", json={"remark": "取消"}, headers=headers)
    assert resp.status == 409 and (await resp.json())["error_id"] == "notice_not_started"
