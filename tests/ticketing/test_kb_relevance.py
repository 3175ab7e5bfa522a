"""QA #18: 知识库 search needed every term to match, so an agent typing the caller's question as
said (怎么交电费, 停电了怎么办) found nothing although the articles were there. Now a query is
read as its terms (fillers dropped, Chinese as overlapping two-character words, hotline
synonyms as one term), any term finds an article, and the one holding most of them, in its
title above in its body, is first; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from ticketing.knowledge import add_article, add_category, query_terms, search_articles
from ticketing.models import KbArticle

T0 = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)
PAYING = ("交费", "缴费", "交电费", "缴电费", "缴纳电费", "电费缴纳")
NO_POWER = ("停电", "断电", "没电", "没有电")


def test_a_question_is_read_as_its_terms():
    # fillers dropped; a synonym is its whole group; what is left of the question as typed is a
    # term too (an article titled with the very question ranks first)
    assert query_terms("怎么交电费") == [PAYING, ("怎么交电费",)]
    assert query_terms("停电了怎么办") == [NO_POWER, ("停电了怎么办",)]  # 办 alone is dropped
    assert query_terms("我家没电了？") == [NO_POWER, ("我家没电了",)]
    # Chinese with no known word in it: overlapping pairs, since which two make a word is unknown
    assert query_terms("峰谷电价") == [("峰谷",), ("谷电",), ("电价",), ("峰谷电价",)]
    # an article's tag is read whole, no pairs across it
    assert query_terms("用网上国网缴费", {"网上国网"}) == [("网上国网",), PAYING, ("用网上国网缴费",)]
    # cut at spaces and punctuation (either width); 8:00-22:00 and 95598 stay whole
    assert query_terms("电价，８:00-22:00 ９５５９８") == [("电价",), ("8:00-22:00",), ("95598",)]
    # a lone character is a term only when its piece has nothing else
    assert query_terms("1号楼") == [("号楼",), ("1号楼",)]
    assert query_terms("电") == [("电",)]
    assert query_terms("怎么 了") == []


async def _articles(session) -> dict[str, KbArticle]:
    cat = await add_category(session, "常见问题")
    other = await add_category(session, "业扩报装")
    rows = {
        "pay": await add_article(
            session, "交电费的几种方式", "网上国网App、支付宝、营业厅均可。", category=cat
        ),
        "bill": await add_article(session, "电费账单查询", "缴费后可在网上国网App查询账单。", category=cat),
        "outage": await add_article(
            session, "家中停电怎么办", "先看邻居家是否有电，再拨打95598报修。", category=cat
        ),
        "arrears": await add_article(
            session, "欠费复电", "欠费停电的，缴清电费后24小时内恢复供电。", category=cat
        ),
        "new": await add_article(session, "低压新装", "提供身份证明在营业厅申请。", category=other),
    }
    # all as old as each other: the order is the terms', not the last edit's
    await session.execute(update(KbArticle).values(updated_at=T0))
    await session.commit()
    return rows


def _titles(found: list[KbArticle]) -> list[str]:
    return [a.title for a in found]


async def test_a_callers_question_finds_the_articles_the_best_first(session):
    await _articles(session)
    # 交电费 in the title; 缴费 in the body, then 缴清电费 (no synonym of 交电费): not found
    assert _titles(await search_articles(session, "怎么交电费")) == ["交电费的几种方式", "电费账单查询"]
    # 停电 in the title first, then in a body; the synonym 没电 finds both
    assert _titles(await search_articles(session, "停电了怎么办")) == ["家中停电怎么办", "欠费复电"]
    assert _titles(await search_articles(session, "没电了")) == ["家中停电怎么办", "欠费复电"]
    # any term finds an article: 燃气 is in none; 电费 in two titles, then in a body
    found = _titles(await search_articles(session, "燃气电费"))
    assert set(found[:2]) == {"交电费的几种方式", "电费账单查询"} and found[2:] == ["欠费复电"]
    assert await search_articles(session, "燃气") == []


async def test_more_terms_rank_higher_and_a_title_above_a_body(session):
    await _articles(session)
    # two terms (95598, 报修) in one body above one (App) in each of two others
    found = _titles(await search_articles(session, "App 95598 报修"))
    assert found[0] == "家中停电怎么办" and set(found[1:]) == {"交电费的几种方式", "电费账单查询"}
    # one term in a title above the same in a body (of an article written after it)
    assert _titles(await search_articles(session, "停电")) == ["家中停电怎么办", "欠费复电"]
    # the title's 新装 and the body's 营业厅 above 营业厅 alone
    assert _titles(await search_articles(session, "营业厅 新装")) == ["低压新装", "交电费的几种方式"]


async def test_among_equals_the_latest_edited_first(session):
    rows = await _articles(session)
    for key, minutes in (("bill", 5), ("pay", 10)):
        await session.execute(
            update(KbArticle)
            .where(KbArticle.id == rows[key].id)
            .values(updated_at=T0 + dt.timedelta(minutes=minutes))
        )
    await session.commit()
    # both hold 网上国网 in the body alone
    assert _titles(await search_articles(session, "网上国网")) == ["交电费的几种方式", "电费账单查询"]


async def test_the_filters_and_the_limit_are_as_before(session):
    rows = await _articles(session)
    category = rows["new"].category_id
    assert _titles(await search_articles(session, "营业厅 新装", category_id=category)) == ["低压新装"]
    rows["pay"].enabled = False
    await session.commit()
    assert _titles(await search_articles(session, "怎么交电费")) == ["电费账单查询"]
    found = await search_articles(session, "怎么交电费", enabled_only=False)
    assert _titles(found) == ["交电费的几种方式", "电费账单查询"]
    assert _titles(await search_articles(session, "怎么交电费", enabled_only=False, limit=1)) == [
        "交电费的几种方式"
    ]
