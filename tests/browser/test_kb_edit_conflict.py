"""Two editors of one knowledge article in the real Chromium against ``hotline serve``: the
second save, made from the version both loaded, is refused in words; the page keeps that user's
text, shows the article as the first editor saved it, and saves the merge on top of it."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser]


def _knowledge_page(page, base: str) -> None:
    page.goto(f"{base}/knowledge")
    # the page's script has drawn the tree: a search is its own, not the form's plain GET
    expect(page.locator("#kb-tree ul").first).to_be_visible(timeout=10_000)


def _open_editor(page, title: str) -> None:
    page.locator("#kb-search input[name=q]").fill(title)
    page.locator("#kb-search button").click()
    card = page.locator("#kb-results article", has_text=title)
    expect(card).to_have_count(1, timeout=10_000)
    card.get_by_role("button", name="编辑").click()
    expect(page.locator("#kb-editor input[name=title]")).to_have_value(title)


def test_the_second_editor_is_told_and_merges_instead_of_overwriting(console, browser):
    title = f"阶梯电价说明{random.randint(1000, 9999)}"
    with signed_in(browser, console, "2001") as leader, signed_in(browser, console, "3001") as other:
        _knowledge_page(leader, console.url)
        _knowledge_page(other, console.url)
        kb = leader.locator("#kb-editor")
        kb.locator("input[name=title]").fill(title)
        kb.locator("textarea[name=body]").fill("原文")
        kb.locator("button[type=submit]").click()
        expect(leader.locator(".toast.ok").last).to_have_text("知识已保存")

        # both open the editor on the same version
        _open_editor(leader, title)
        _open_editor(other, title)

        kb.locator("textarea[name=body]").fill("班长的修改")
        kb.locator("button[type=submit]").click()
        expect(leader.locator(".toast.ok").last).to_have_text("知识已保存")

        mine = other.locator("#kb-editor")
        mine.locator("textarea[name=body]").fill("质检的修改")
        mine.locator("button[type=submit]").click()
        expect(other.locator(".toast.refused").last).to_contain_text("该知识已被他人修改", timeout=10_000)
        conflict = other.locator("#kb-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("保存前该知识已被他人修改")
        expect(other.locator("#kb-conflict-body")).to_have_text("班长的修改")
        expect(mine.locator("textarea[name=body]")).to_have_value("质检的修改")  # nothing lost

        # 保留我的修改: merged by hand, saved on top of the leader's version
        other.get_by_role("button", name="保留我的修改，合并后再保存").click()
        expect(conflict).to_be_hidden()
        mine.locator("textarea[name=body]").fill("班长的修改；质检的修改")
        mine.locator("button[type=submit]").click()
        expect(other.locator(".toast.ok").last).to_have_text("知识已保存", timeout=10_000)

        # both open it again; the leader saves first, and 载入最新内容 gives up the other's text
        for page in (leader, other):
            page.locator("#kb-search button").click()
            card = page.locator("#kb-results article", has_text=title)
            expect(card).to_contain_text("班长的修改；质检的修改", timeout=10_000)  # the search answered
            card.get_by_role("button", name="编辑").click()
        expect(kb.locator("textarea[name=body]")).to_have_value("班长的修改；质检的修改")
        expect(mine.locator("textarea[name=body]")).to_have_value("班长的修改；质检的修改")
        kb.locator("textarea[name=body]").fill("班长第二次修改")
        kb.locator("button[type=submit]").click()
        expect(leader.locator(".toast.ok").last).to_have_text("知识已保存")
        mine.locator("textarea[name=body]").fill("作废的修改")
        mine.locator("button[type=submit]").click()
        expect(conflict).to_be_visible(timeout=10_000)
        other.get_by_role("button", name="载入最新内容（放弃我的修改）").click()
        expect(conflict).to_be_hidden()
        expect(mine.locator("textarea[name=body]")).to_have_value("班长第二次修改")
        mine.locator("textarea[name=body]").fill("班长第二次修改，质检补充")
        mine.locator("button[type=submit]").click()
        expect(other.locator(".toast.ok").last).to_have_text("知识已保存", timeout=10_000)
