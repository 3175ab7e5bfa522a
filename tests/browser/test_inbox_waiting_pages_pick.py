"""The 异步事件 page in Chromium, from its real template and modules fed the API's JSON (no
console process): 未分派事件 paged and filtered by kind (QA-12: 50 of 636 shown, no way on); a
handled event says the order it joined (QA-13); 填写受理工单's category starts on nothing
picked and refuses until one is (QA-16: every event defaulted to 用户信息查询), a voicemail on
the fault report's; a fax or voicemail whose file is gone says 找不到该文件… in its row
(QA-14: a tab of raw JSON, a silent player)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, render_page, serve_static
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser

INTAKE = {
    "categories": [
        {"id": 1, "code": "query", "name": "用户信息查询", "workflow": "consult", "subcategories": []},
        {
            "id": 2,
            "code": "fault",
            "name": "故障报修",
            "workflow": "fault_repair",
            "subcategories": [
                {"code": "fault_lv", "name": "低压故障"},
                {"code": "fault_hv", "name": "高压故障"},
            ],
        },
    ]
}
GONE = {"error_id": "recordings.not_found", "message": "no such file"}


def _event(n: int, kind: str = "missed_call", **extra) -> dict:
    return {
        "id": n,
        "kind": kind,
        "number": "13800000001",
        "occurred_at": "2026-11-29T09:00:00+00:00",
        "subject": "",
        "content": "",
        "queue": "fault" if kind == "missed_call" else None,
        "waited": 3.0 if kind == "missed_call" else None,
        "status": "new",
        "workflow": None,
        "file_url": None,
        "closed": None,
        "callbacks": [],
        "attachments": [],
        **extra,
    }


MISSED = [_event(n) for n in range(1, 121)]
SMS = _event(500, "sms", content="我家又停电了")


def _inbox(query: dict) -> dict:
    kind = query.get("waiting_kind", [""])[0]
    offset = int(query.get("waiting_offset", ["0"])[0])
    waiting = [*MISSED, SMS] if not kind else [SMS] if kind == "sms" else MISSED
    mine = [
        _event(
            900,
            "voicemail",
            status="assigned",
            workflow="fault_repair",
            file_url="/recordings/voicemail/vm/play",
        ),
        _event(901, "fax", status="assigned", file_url="/recordings/fax/fx/pdf"),
        _event(902, "email", status="assigned", content="投诉抄表员"),
    ]
    if query.get("handled"):
        mine.append(_event(903, "email", status="handled", orders=["TS2026112900001"]))
    return {
        "items": mine,
        "unhandled": 3,
        "waiting": {
            "items": waiting[offset : offset + 50],
            "count": 121,
            "by_kind": {"missed_call": 120, "sms": 1},
            "kind": kind,
            "matched": len(waiting),
            "offset": offset,
            "limit": 50,
        },
    }


def _serve(route, asked: list) -> None:
    url = urlsplit(route.request.url)
    if url.path == "/inbox":
        route.fulfill(body=render_page("inbox.html"), content_type="text/html; charset=utf-8")
    elif url.path == "/api/inbox":
        asked.append(url.query)
        route.fulfill(
            body=json.dumps(_inbox(parse_qs(url.query)), ensure_ascii=False), content_type="application/json"
        )
    elif url.path == "/api/intake":
        route.fulfill(body=json.dumps(INTAKE, ensure_ascii=False), content_type="application/json")
    elif url.path.startswith("/recordings/"):
        route.fulfill(status=404, body=json.dumps(GONE), content_type="application/json")
    elif url.path.startswith("/api/inbox/"):
        asked.append(f"{route.request.method} {url.path}")
        route.fulfill(status=500, body="{}", content_type="application/json")
    else:
        serve_static(route, url.path)


def open_inbox(page, serve) -> None:
    """/inbox, as ``serve`` answers it, with inbox.js started on a stand-in socket."""
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/inbox")
    page.evaluate(
        """async () => {
            const socket = new EventTarget();
            socket.command = async () => ({});
            const { start } = await import("/static/js/inbox.js");
            await start({ socket });
        }"""
    )


@pytest.fixture
def inbox_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    errors: list[str] = []
    asked: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_inbox(page, lambda route: _serve(route, asked))
    yield page, asked
    ctx.close()
    assert errors == []


def test_every_waiting_event_is_reached_by_page_and_kind(inbox_page):
    page, asked = inbox_page
    rows = page.locator("#inbox-waiting-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#inbox-waiting-count")).to_have_text("121")
    expect(page.locator("#inbox-waiting-range")).to_have_text("第 1–50 条，共 121 条")
    expect(page.locator("#inbox-waiting-prev")).to_be_disabled()
    page.click("#inbox-waiting-next")
    page.click("#inbox-waiting-next")
    expect(page.locator("#inbox-waiting-range")).to_have_text("第 101–121 条，共 121 条")
    expect(page.locator("#inbox-waiting-table tr[data-event='500']")).to_contain_text("我家又停电了")
    expect(page.locator("#inbox-waiting-next")).to_be_disabled()
    assert "waiting_offset=100" in asked[-1]

    options = page.locator("#inbox-waiting-kind option")
    expect(options).to_have_text(["全部类型（121）", "未接来电（120）", "短信（1）"])
    page.select_option("#inbox-waiting-kind", "sms")
    expect(rows).to_have_count(1)
    expect(page.locator("#inbox-waiting-pager")).to_be_hidden()
    assert "waiting_kind=sms" in asked[-1] and "waiting_offset" not in asked[-1]


def test_the_category_is_picked_before_an_order_is_made(inbox_page):
    page, asked = inbox_page
    mail = page.locator("#inbox-table tr[data-event='902'] select[data-field=category]")
    expect(mail.locator("option:checked")).to_have_text("— 请选择类别 —")
    page.locator("#inbox-table tr[data-event='902'] [data-act=order]").click()
    expect(page.locator(".toast.refused").last).to_have_text("请先选择工单类别，再填写受理工单。")
    expect(mail).to_have_attribute("aria-invalid", "true")
    expect(mail).to_be_focused()
    assert not [a for a in asked if a.startswith("POST")]  # no order made

    # a voicemail is the fault report's: its subcategories first, one still to be picked
    voicemail = page.locator("#inbox-table tr[data-event='900'] select[data-field=category] option")
    expect(voicemail).to_have_text(
        ["— 故障报修：请选择小类别 —", "故障报修 / 低压故障", "故障报修 / 高压故障", "用户信息查询"]
    )


def test_a_file_that_is_gone_says_so_in_its_row(inbox_page):
    page, _ = inbox_page
    fax = page.locator("#inbox-table tr[data-event='901']")
    fax.locator("a", has_text="传真 PDF").click()
    expect(fax.locator(".media-error")).to_contain_text("找不到该文件")
    voicemail = page.locator("#inbox-table tr[data-event='900']")
    voicemail.locator("audio").evaluate("a => a.play().catch(() => {})")
    expect(voicemail.locator(".media-error")).to_contain_text("找不到该文件")


def test_a_handled_event_names_the_order_it_joined(inbox_page):
    page, _ = inbox_page
    page.check("#inbox-handled")
    handled = page.locator("#inbox-table tr[data-event='903']")
    expect(handled.locator("[data-orders]")).to_have_text("已关联工单：TS2026112900001")
    expect(handled.locator("a[href='/orders/TS2026112900001']")).to_be_visible()
