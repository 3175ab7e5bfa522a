"""QA: 知识库 opened with "没有找到" before anything was searched, and the category picked was not
marked. In Chromium the page now opens with a prompt, lists a category's articles with that
category marked (aria-current), and says 没有找到 only for a search that found nothing.
In-process console on the seeded knowledge base."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _seed_with_an_article(url: str) -> dict:
    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import KbArticle, KbCategory

    await demo_only(url, 1)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        category = KbCategory(name="电价电费浏览")
        db.add(category)
        await db.flush()
        db.add(
            KbArticle(category_id=category.id, title="居民阶梯电价说明", body="第一档 0.4883 元", tags="电价")
        )
        await db.flush()
        seeded = {"category": category.id}
    await engine.dispose()
    return seeded


@pytest.fixture
def kb_console(tmp_path):
    with seeded_console(tmp_path / "kb.db", _seed_with_an_article) as server:
        yield server


def test_the_knowledge_base_opens_with_a_prompt_and_marks_the_category_browsed(kb_console, browser):
    server = kb_console
    category = server.seeded["category"]
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/knowledge")
        nothing = page.locator("#kb-nothing")
        expect(nothing).to_have_text("请在左侧选择分类，或输入关键词搜索。")
        expect(page.locator("#kb-results")).not_to_contain_text("没有找到")

        link = page.locator(f"#kb-tree a[data-category='{category}']")
        link.click()
        expect(page.locator("#kb-results article")).to_have_count(1)
        expect(page.locator("#kb-results")).to_contain_text("居民阶梯电价说明")
        link = page.locator(f"#kb-tree a[data-category='{category}']")  # the tree is drawn again
        expect(link).to_have_attribute("aria-current", "true")
        expect(page.locator("#kb-tree a[aria-current]")).to_have_count(1)

        page.fill("#kb-search [name=q]", "没有这种知识zzz")
        page.press("#kb-search [name=q]", "Enter")
        expect(nothing).to_have_text("没有找到")
        expect(page.locator("#kb-tree a[aria-current]")).to_have_count(0)


def test_a_callers_question_finds_the_articles_the_best_first(kb_console, browser):
    """QA #18: the agent types the caller's question as said; every word had to match, so
    怎么交电费 found nothing. Now the articles holding any of its words are listed, the best
    first (the demo's 电费缴纳方式 for 怎么交电费), and the page says they are in that order."""
    with signed_in(browser, kb_console, "1001") as page:
        page.goto(f"{kb_console.url}/knowledge")
        box = page.locator("#kb-search [name=q]")
        expect(box).to_have_attribute("placeholder", "如：怎么交电费")
        for question, first in (("怎么交电费", "电费缴纳方式"), ("停电了怎么办", "家中停电自查指引")):
            box.fill(question)
            box.press("Enter")
            expect(page.locator("#kb-results article h3").first).to_have_text(first)
            expect(page.locator("#kb-ranked")).to_have_text("按相关程度排列，最相关的在前。")
        # 停电 is in another article's body too (欠费停电): listed after the one titled with it
        expect(page.locator("#kb-results article h3").nth(1)).to_have_text("电费缴纳方式")
        # nothing said of an order when nothing is listed
        box.fill("燃气")
        box.press("Enter")
        expect(page.locator("#kb-nothing")).to_have_text("没有找到")
        expect(page.locator("#kb-ranked")).to_have_count(0)
