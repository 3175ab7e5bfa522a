"""Knowledge categories managed from the console (分类维护), in the real Chromium against
``hotline serve``: the team leader adds, renames, moves up, fills and disables a category, and an
agent's tree follows."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, signed_in

pytestmark = [pytest.mark.browser]
LEADER = "2001"  # the demo's team leader (knowledge.write)


# the ids of the top-level categories as the 分类维护 list shows them (children are indented)
TOP_LEVEL = """() => [...document.querySelectorAll("#kb-cat-list > li")]
  .filter((row) => !parseFloat(row.style.marginLeft || "0")).map((row) => row.dataset.kbCategory)"""


def _top_level_order(page) -> list[str]:
    return page.evaluate(TOP_LEVEL)


def test_a_team_leader_manages_a_category_and_the_agents_tree_follows(console, browser):
    suffix = random.randint(1000, 9999)
    first, renamed = f"抄表业务{suffix}", f"智能电表{suffix}"
    title = f"远程费控说明{suffix}"
    errors: list[str] = []
    with signed_in(browser, console, LEADER, errors=errors) as page:
        page.goto(f"{console.url}/knowledge")
        expect(page.locator("#kb-cat-list > li").first).to_be_visible(timeout=10_000)

        # 新增分类: at the top level, last among its siblings
        editor = page.locator("#kb-cat-editor")
        editor.locator("input[name=name]").fill(first)
        page.click("#kb-cat-save")
        expect(page.locator(".toast.ok").last).to_have_text("分类已保存")
        added = page.locator("#kb-cat-list > li", has_text=first)
        expect(added).to_have_count(1)
        category = added.get_attribute("data-kb-category")
        row = page.locator(
            f"#kb-cat-list > li[data-kb-category='{category}']"
        )  # found again after each redraw
        order = _top_level_order(page)
        assert order[-1] == category, order
        before = order[-2]  # the sibling it moves above

        # 改名: the form takes the name, 保存 keeps the place
        row.get_by_role("button", name="改名").click()
        expect(editor.locator("input[name=name]")).to_have_value(first)
        expect(page.locator("#kb-cat-save")).to_have_text("保存")
        editor.locator("input[name=name]").fill(renamed)
        page.click("#kb-cat-save")
        expect(row).to_contain_text(renamed)
        expect(page.locator("#kb-cat-save")).to_have_text("新增分类")

        # ↑: the list is drawn again from the server's order (no reply but the list itself)
        row.get_by_role("button", name="上移").click()
        page.wait_for_function(
            f"([moved, below]) => {{ const ids = ({TOP_LEVEL})(); return ids.indexOf(moved) === ids.indexOf(below) - 1; }}",
            arg=[category, before],
            timeout=10_000,
        )
        expect(page.locator(".toast.ok").last).to_have_text("分类已保存")
        order = _top_level_order(page)
        assert order.index(category) == order.index(before) - 1, order

        # an article in it: the category's count follows
        kb = page.locator("#kb-editor")
        kb.locator("input[name=title]").fill(title)
        kb.locator("select[name=category_id]").select_option(category)
        kb.locator("textarea[name=body]").fill(
            "远程费控电表余额不足时先短信提醒，欠费后远程停电，缴费后自动复电。"
        )
        kb.locator("button[type=submit]").click()
        expect(page.locator(".toast.ok").last).to_have_text("知识已保存")
        expect(row).to_contain_text("1 条")

        # the agent's tree shows it, renamed, above its sibling
        with signed_in(browser, console, console.agent, PASSWORD, errors=errors) as agent:
            agent.goto(f"{console.url}/knowledge")
            tree = agent.locator("#kb-tree")
            expect(tree.locator(f"a[data-category='{category}']")).to_have_text(renamed, timeout=10_000)
            top = agent.eval_on_selector_all(
                "#kb-tree > ul > li > a", "links => links.map((a) => a.dataset.category)"
            )
            assert top.index(category) == top.index(before) - 1, top
            expect(agent.locator("#kb-cat-list")).to_have_count(0)  # an agent reads, never manages

            # 停用 with its article: the form asks where the articles go, then 移动并停用
            row.get_by_role("button", name="停用").click()
            move = row.locator("form")
            move.locator("select[name=move_articles_to]").select_option(before)
            move.get_by_role("button", name="移动并停用").click()
            expect(row).to_contain_text("已停用", timeout=10_000)
            expect(row).to_contain_text("0 条")
            expect(row.get_by_role("button", name="启用")).to_be_visible()

            # the agent's tree no longer has it; its article is under the sibling now
            agent.reload()
            expect(tree.locator(f"a[data-category='{before}']")).to_be_visible(timeout=10_000)
            expect(tree.locator(f"a[data-category='{category}']")).to_have_count(0)
            expect(tree).not_to_contain_text(renamed)
            tree.locator(f"a[data-category='{before}']").click()
            expect(agent.locator("#kb-results article", has_text=title)).to_have_count(1, timeout=10_000)
            assert errors == []
