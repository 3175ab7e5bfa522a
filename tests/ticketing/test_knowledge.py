"""Knowledge base search in Chinese, versioned outage notices, standard phrases."""

import datetime as dt

import pytest

from ticketing.errors import ActionRefused
from ticketing.knowledge import (
    add_article,
    add_category,
    change_notice,
    delete_notice,
    notice_history,
    phrases,
    publish_notice,
    search_articles,
    update_article,
)

T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


async def test_chinese_search_short_and_long_terms(session):
    cat = await add_category(session, "电费电价")
    await add_article(session, "峰谷分时电价政策", "居民峰谷分时电价，高峰时段为8:00-22:00。", category=cat)
    await add_article(session, "电费缴纳方式", "可通过网上国网App、银行代扣、营业厅缴纳电费。", category=cat)
    await add_article(session, "新装用电办理流程", "低压居民新装需提供身份证和房产证明。", tags="新装 业扩")
    await session.commit()
    assert [a.title for a in await search_articles(session, "分时电价")] == ["峰谷分时电价政策"]
    assert {a.title for a in await search_articles(session, "电费")} == {"电费缴纳方式"}
    assert [a.title for a in await search_articles(session, "网上国网")] == ["电费缴纳方式"]
    assert [a.title for a in await search_articles(session, "新装 身份证")] == ["新装用电办理流程"]
    assert await search_articles(session, "燃气") == []
    article = (await search_articles(session, "营业厅缴纳"))[0]
    await update_article(session, article, body="仅支持网上国网App缴纳。")
    await session.commit()
    assert await search_articles(session, "营业厅") == []  # the body as it is now is searched
    assert [a.title for a in await search_articles(session, "网上国网App")] == ["电费缴纳方式"]


async def test_notices_are_versioned_and_need_a_remark(session, seeded):
    user = seeded.users["3001"]
    gz = seeded.sites["440106"]
    notice = await publish_notice(
        session,
        user,
        site_id=gz.id,
        area="天河区中山路一带",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=4),
        reason="线路检修",
    )
    with pytest.raises(ActionRefused) as refused:
        await change_notice(session, user, notice.notice_key, remark="", ends_at=T0 + dt.timedelta(hours=6))
    assert refused.value.error_id == "remark_required"
    new = await change_notice(
        session, user, notice.notice_key, remark="检修延长", ends_at=T0 + dt.timedelta(hours=6)
    )
    assert new.version == 2
    from ticketing.knowledge import search_notices

    # (the demo data publishes notices of its own around the present: look at ours only)
    def ours(notices):
        return [(n.version, n.state) for n in notices if n.notice_key == notice.notice_key]

    found = await search_notices(session, start=T0, end=T0 + dt.timedelta(days=1), site_code="440100")
    assert ours(found) == [(2, "发布中")]
    assert (
        ours(await search_notices(session, start=T0, end=T0 + dt.timedelta(days=1), site_code="440300")) == []
    )
    await delete_notice(session, user, notice.notice_key, remark="已恢复供电")
    history = await notice_history(session, notice.notice_key)
    # the withdrawal is a version of its own: v2 keeps its remark (why it was changed)
    assert [(n.version, n.state, n.remark) for n in history] == [
        (1, "变更后", ""),
        (2, "变更后", "检修延长"),
        (3, "已删除", "已恢复供电"),
    ]
    assert ours(await search_notices(session, start=T0, end=T0 + dt.timedelta(days=1))) == []


async def test_standard_phrases_seeded(session, seeded):
    texts = await phrases(session, "fault")
    assert texts[0] == "客户反映家中停电，邻居家有电"


async def test_send_article_by_sms(session, seeded):
    from ticketing.knowledge import send_article

    article = await add_article(session, "电费缴纳方式", "可通过网上国网App缴纳。")
    row = await send_article(session, seeded.users["1001"], article, channel="sms", recipient="13800138000")
    assert row.state == "pending" and row.body.startswith("电费缴纳方式：")
    with pytest.raises(ActionRefused) as refused:
        await send_article(session, seeded.users["1001"], article, channel="fax", recipient="020-1")
    assert refused.value.error_id == "channel_unsupported"


async def test_a_query_without_spaces_is_read_as_its_words(session, seeded):
    """居民阶梯电价 (seeded, tagged 阶梯 电价 居民) is found by 居民电价 on both databases, first:
    the other articles saying 电价 (峰谷分时电价) come after it."""
    titles = [a.title for a in await search_articles(session, "居民电价")]
    assert titles[0] == "居民阶梯电价"
    assert [a.title for a in await search_articles(session, "阶梯电价")] == ["居民阶梯电价", "峰谷分时电价"]
    assert await search_articles(session, "燃气") == []
    # 燃气 is in no article: the ones about 电价 are found by it
    assert {a.title for a in await search_articles(session, "燃气电价")} == {"峰谷分时电价", "居民阶梯电价"}
    assert await search_articles(session, "%") == []  # a LIKE wildcard is a character like any other


async def test_a_notice_names_its_affected_areas_each_version_keeps_its_own(session, seeded):
    """Lines, 台区 and streets are found by name (part of it) or code, on both databases; a
    revision that does not name them keeps the previous version's, one that does replaces them."""
    from ticketing.knowledge import notice_json, search_notices

    user = seeded.users["3001"]
    notice = await publish_notice(
        session,
        user,
        site_id=seeded.sites["440106"].id,
        area="天河区部分区域",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=4),
        affected_areas=[
            {"kind": "line", "name": "10kV 天河线", "code": ""},
            {"kind": "transformer_area", "name": "中山路3号台区", "code": "44010603"},
            {"kind": "street", "name": "中山路100%段", "code": ""},
        ],
    )
    await session.commit()
    window = {"start": T0, "end": T0 + dt.timedelta(days=1)}

    async def keys(**query):
        return [(n.notice_key, n.version) for n in await search_notices(session, **window, **query)]

    assert await keys(area="天河线") == [(notice.notice_key, 1)]
    assert await keys(area="中山路3号") == [(notice.notice_key, 1)]
    assert await keys(area="44010603") == [(notice.notice_key, 1)]
    assert await keys(area_code="44010603") == [(notice.notice_key, 1)]
    assert await keys(area_code="4401060") == []  # a code matches whole
    assert await keys(area="100%") == [(notice.notice_key, 1)]  # % is a character, not a wildcard
    assert await keys(area="10%段") == []

    await change_notice(session, user, notice.notice_key, remark="延长", ends_at=T0 + dt.timedelta(hours=6))
    await change_notice(
        session,
        user,
        notice.notice_key,
        remark="范围缩小",
        affected_areas=[{"kind": "line", "name": "10kV 天河线", "code": ""}],
    )
    await session.commit()
    session.expunge_all()  # read back what was stored
    history = await notice_history(session, notice.notice_key)
    assert [[a.name for a in v.areas] for v in history] == [
        ["10kV 天河线", "中山路3号台区", "中山路100%段"],
        ["10kV 天河线", "中山路3号台区", "中山路100%段"],
        ["10kV 天河线"],
    ]
    assert notice_json(history[-1])["affected_areas"] == [{"kind": "line", "name": "10kV 天河线", "code": ""}]
    assert await keys(area_code="44010603") == []  # the published version no longer names it
    assert await keys(area_code="44010603", include_changed=True) == [
        (notice.notice_key, 1),
        (notice.notice_key, 2),
    ]
