"""批量关闭 on the 异步事件 page in Chromium, from its real template and modules fed the API's JSON
(no console process): a supervisor ticks rows (one by one, 全选本页) or takes every one of the 类型
filter, confirms in the page's own dialog naming how many and of what, gives one reason
(required, asked in the dialog), and is told how many were closed and why some were not; past
the limit the dialog says so before a reason is typed."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import render_page, serve_static
from tests.browser.test_console_story import VIEWPORT
from tests.browser.test_inbox_waiting_pages_pick import _event, open_inbox

pytestmark = pytest.mark.browser

MISSED = [_event(n) for n in range(1, 121)]
SMS = _event(500, "sms", content="恭喜您中奖")


def _inbox(query: dict, limit: int) -> dict:
    kind = query.get("waiting_kind", [""])[0]
    offset = int(query.get("waiting_offset", ["0"])[0])
    waiting = [*MISSED, SMS] if not kind else [SMS] if kind == "sms" else MISSED
    return {
        "items": [],
        "unhandled": 0,
        "waiting": {
            "items": waiting[offset : offset + 50],
            "count": 121,
            "by_kind": {"missed_call": 120, "sms": 1},
            "kind": kind,
            "matched": len(waiting),
            "offset": offset,
            "limit": 50,
            "through": max(e["id"] for e in waiting),
            "bulk_limit": limit,
        },
    }


@pytest.fixture
def bulk_page(browser, request):
    limit = getattr(request, "param", 1000)
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    errors: list[str] = []
    sent: list[dict] = []

    def serve(route) -> None:
        url = urlsplit(route.request.url)
        if url.path == "/inbox":
            route.fulfill(body=render_page("inbox.html"), content_type="text/html; charset=utf-8")
        elif url.path == "/api/inbox":
            body = _inbox(parse_qs(url.query), limit)
            route.fulfill(body=json.dumps(body, ensure_ascii=False), content_type="application/json")
        elif url.path == "/api/inbox/waiting/close":
            sent.append({"csrf": route.request.headers.get("x-csrf-token"), **route.request.post_data_json})
            done = {"closed": 49, "ids": [], "skipped": {"taken": 1}, "skipped_ids": {"taken": [7]}}
            route.fulfill(body=json.dumps(done), content_type="application/json")
        elif url.path.startswith("/api/"):
            route.fulfill(status=500, body="{}", content_type="application/json")
        else:
            serve_static(route, url.path)

    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_inbox(page, serve)
    yield page, sent
    ctx.close()
    assert errors == []


def test_the_rows_ticked_close_with_one_reason_asked_in_the_page(bulk_page):
    page, sent = bulk_page
    expect(page.locator("#inbox-waiting-table [data-pick]")).to_have_count(50)
    expect(page.locator("#inbox-bulk-close-picked")).to_be_disabled()
    page.check("#inbox-waiting-table [data-pick='3']")
    expect(page.locator("#inbox-bulk-picked")).to_have_text("已选 1 条")
    expect(page.locator("#inbox-waiting-pick-page")).to_have_js_property("indeterminate", True)
    page.check("#inbox-waiting-pick-page")
    expect(page.locator("#inbox-bulk-picked")).to_have_text("已选 50 条")

    page.click("#inbox-bulk-close-picked")
    dialog = page.locator("#inbox-bulk-dialog")
    expect(dialog.locator("#inbox-bulk-question")).to_have_text("确定关闭所选的 50 条未分派事件吗？")
    expect(page.locator("#inbox-bulk-reason")).to_be_focused()
    page.click("#inbox-bulk-yes")  # no reason: said in the dialog, nothing sent
    expect(dialog.locator("#inbox-bulk-error")).to_have_text("请填写关闭原因。")
    expect(page.locator("#inbox-bulk-reason")).to_have_attribute("aria-invalid", "true")
    assert sent == []

    page.fill("#inbox-bulk-reason", "其他热线队列的未接来电")
    page.click("#inbox-bulk-yes")
    expect(dialog).to_have_count(0)
    expect(page.locator(".toast").last).to_have_text("已关闭 49 条。1 条未关闭：已分派给坐席 1 条。")
    [closing] = sent
    assert closing["csrf"] == "x" and closing["reason"] == "其他热线队列的未接来电"
    assert sorted(closing["ids"]) == list(range(1, 51))
    expect(page.locator("#inbox-bulk-picked")).to_have_text("")


def test_every_one_of_the_filter_is_confirmed_by_its_count_and_kind(bulk_page):
    page, sent = bulk_page
    expect(page.locator("#inbox-bulk-close-all")).to_have_text("关闭全部 121 条未分派事件")
    page.select_option("#inbox-waiting-kind", "missed_call")
    expect(page.locator("#inbox-bulk-close-all")).to_have_text("关闭全部 120 条未接来电")
    page.click("#inbox-bulk-close-all")
    question = page.locator("#inbox-bulk-dialog #inbox-bulk-question")
    expect(question).to_have_text("确定关闭全部 120 条未接来电吗？")
    page.click("#inbox-bulk-cancel")
    expect(page.locator("#inbox-bulk-dialog")).to_have_count(0)
    assert sent == []

    page.click("#inbox-bulk-close-all")
    page.fill("#inbox-bulk-reason", "测试活动遗留")
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-bulk-dialog")).to_have_count(0)
    assert sent == [
        {"csrf": "x", "all": {"kind": "missed_call", "count": 120, "through": 120}, "reason": "测试活动遗留"}
    ]


@pytest.mark.parametrize("bulk_page", [100], indirect=True)
def test_past_the_limit_the_dialog_says_so_before_a_reason_is_typed(bulk_page):
    page, sent = bulk_page
    page.click("#inbox-bulk-close-all")
    dialog = page.locator("#inbox-bulk-dialog")
    expect(dialog.locator("#inbox-bulk-error")).to_contain_text("一次最多批量关闭 100 条事件，本次为 121 条")
    expect(dialog.locator("#inbox-bulk-yes")).to_be_disabled()
    assert sent == []
