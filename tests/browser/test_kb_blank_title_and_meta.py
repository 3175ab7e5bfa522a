"""知识库 in Chromium (QA-4, QA-5): an article without 关键词 shows its time alone under the text,
no stray 「 · 」; 知识维护 and 分类维护 tell a blank 标题 / 分类名称 in the page's words
(表单有误：标题（必填）), as the notice editor does, not by the browser's own bubble."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    from ticketing.models import KbArticle

    async with demo_database(url, customers=1) as demo:
        demo.db.add(KbArticle(title="临时停电赔偿规定", body="按供电营业规则执行。", kind="text", tags=""))
        demo.db.add(KbArticle(title="临时停电预告时限", body="提前一天告知。", kind="text", tags="预告 时限"))


@pytest.fixture(scope="module")
def kb_console(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("kb-words") / "kb-words.db", _seed) as server:
        yield server


def test_meta_line_and_blank_names_in_the_pages_words(kb_console, browser):
    server = kb_console
    with signed_in(browser, server, "2001") as page:
        page.goto(f"{server.url}/knowledge")
        page.locator("#kb-search input[name=q]").fill("临时停电")
        page.locator("#kb-search button").click()
        bare = page.locator("#kb-results article", has_text="临时停电赔偿规定").locator("small.muted").last
        expect(bare).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
        tagged = page.locator("#kb-results article", has_text="临时停电预告时限").locator("small.muted").last
        expect(tagged).to_have_text(re.compile(r"^预告 时限 · \d{4}-"))

        # 新建知识 with no 标题: the page's words, the field marked and focused; nothing saved
        editor = page.locator("#kb-editor")
        editor.locator("textarea[name=body]").fill("正文")
        editor.locator("button[type=submit]").click()
        expect(page.locator(".toast.refused").last).to_have_text("表单有误：标题（必填）")
        title = editor.locator("input[name=title]")
        expect(title).to_have_attribute("aria-invalid", "true")
        expect(title).to_be_focused()
        assert page.evaluate("document.getElementById('kb-editor').noValidate")

        # 分类维护 with no 分类名称: the same
        page.click("#kb-cat-save")
        expect(page.locator(".toast.refused").last).to_have_text("表单有误：分类名称（必填）")
        expect(page.locator("#kb-cat-editor input[name=name]")).to_have_attribute("aria-invalid", "true")
