"""流程配置's 流程定义参考 link opens the reference as a page of the console in Chromium (QA 12: it
was docs/workflows.md as raw English text): its contents lead to a section, its YAML is laid out
as code, its tables as tables. Both pages from their real templates, no console process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agent_ui import doc_pages
from tests.browser.page_harness import ORIGIN, render_page, serve_static
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "workflows.zh-CN.md"


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/admin/workflows":
        route.fulfill(body=render_page("admin_workflows.html"), content_type="text/html; charset=utf-8")
    elif path == "/admin/workflows/reference":
        page = render_page("admin_workflow_reference.html", document=doc_pages.load(REFERENCE))
        route.fulfill(body=page, content_type="text/html; charset=utf-8")
    elif path.startswith("/api/"):
        route.fulfill(body=json.dumps({"items": []}), content_type="application/json")
    else:
        serve_static(route, path)


def test_the_link_opens_the_reference_as_a_console_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ctx.route(f"{ORIGIN}/**", _serve)  # the context's: the tab the link opens is served too
    try:
        page = ctx.new_page()
        page.goto(f"{ORIGIN}/admin/workflows")
        with ctx.expect_page() as opened:
            page.click("#wf-reference")
        reference = opened.value
        errors: list[str] = []
        reference.on("pageerror", lambda exc: errors.append(str(exc)))
        reference.wait_for_load_state()
        assert reference.url == f"{ORIGIN}/admin/workflows/reference"
        expect(reference.locator("#doc-body h1")).to_have_text("流程定义参考")

        # the contents lead to the section
        section = reference.locator("[id='时长的写法']")
        reference.locator(".doc-toc a", has_text="时长的写法").click()
        expect(section).to_be_in_viewport()
        assert reference.evaluate("decodeURIComponent(location.hash)") == "#时长的写法"

        # YAML laid out as written, in the console's monospace; tables as the console's tables
        block = reference.locator("pre > code.language-yaml").first
        expect(block).to_contain_text("key: consult\nname: 信息咨询\ncategory: consult\n")
        style = block.evaluate(
            "c => [getComputedStyle(c.parentElement).whiteSpace, getComputedStyle(c).fontFamily]"
        )
        assert style[0] == "pre" and "monospace" in style[1]
        table = reference.locator("#doc-body table.grid").first
        expect(table.locator("th").first).to_have_text("键")
        expect(table.locator("td code").first).to_have_text("key")
        assert errors == []
    finally:
        ctx.close()
