"""Pages said in words, rendered from their real templates with the real modules in Chromium and
fed the JSON the API answers (no console process): 坐席工作报表's times as 时:分:秒 with its 合计
row (QA item 15); 环节处理时长's workflow defaulting to the period's busiest (item 16); an empty
list and inbox saying 暂无…, the list filters' hints shown whole (item 18); a missed call's
withheld number and its queue and wait (item 19)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, render_page, serve_static
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser

AGENTS = {
    "name": "agents",
    "title": "坐席工作报表",
    "columns": [
        {"key": "agent_id", "label": "工号", "kind": "text"},
        {"key": "agent_name", "label": "姓名", "kind": "text"},
        {"key": "login", "label": "登录时长", "kind": "duration"},
        {"key": "ready", "label": "就绪", "kind": "duration"},
        {"key": "handled", "label": "接听数", "kind": "int"},
    ],
    "rows": [["1001", "王坐席", 28800, 327, 12], ["合计", "", 28800, 327, 12]],
    "row_count": 2,
    "total": 2,
    "summary": {},
    "charts": [],
}
MISSED = {
    "id": 7,
    "kind": "missed_call",
    "number": "",
    "occurred_at": "2026-11-29T09:00:00+00:00",
    "subject": "",
    "content": "",
    "queue": "fault",
    "waited": 65.3,
    "status": "new",
    "callbacks": [],
    "attachments": [],
}


def _json(route, body) -> None:
    route.fulfill(body=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _serve(route, inbox: dict, asked: list) -> None:
    url = route.request.url
    path = url.removeprefix(ORIGIN).split("?")[0]
    if path == "/reports":
        groups = (("calls", ("queues", "agents")), ("orders", ("cycle_time_steps",)))
        route.fulfill(
            body=render_page("reports.html", groups=groups), content_type="text/html; charset=utf-8"
        )
    elif path == "/lists/stranded":
        route.fulfill(
            body=render_page("lists.html", list_name="stranded"), content_type="text/html; charset=utf-8"
        )
    elif path == "/inbox":
        route.fulfill(body=render_page("inbox.html"), content_type="text/html; charset=utf-8")
    elif path == "/api/reports":
        _json(route, {"reports": [], "sites": [], "queues": [], "max_days": 92, "intervals": ["30"],
                      "workflows": [{"key": "consult", "name": "信息咨询"}, {"key": "fault_repair", "name": "故障报修"}]})  # fmt: skip
    elif path.startswith("/api/reports/"):
        asked.append(url)
        _json(route, AGENTS)
    elif path in ("/api/contractors",):
        _json(route, {"items": []})
    elif path == "/api/categories":
        _json(route, {"categories": [], "statuses": []})
    elif path == "/api/orders":
        _json(route, {"items": [], "total": 0, "page": 1, "size": 20})
    elif path == "/api/inbox":
        _json(route, inbox)
    else:
        serve_static(route, path)  # the module under test starts by hand


@pytest.fixture
def open_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    errors: list[str] = []

    def opened(path: str, module: str, inbox: dict | None = None, asked: list | None = None):
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route(
            f"{ORIGIN}/**", lambda route: _serve(route, inbox or {}, asked if asked is not None else [])
        )
        page.goto(f"{ORIGIN}{path}")
        page.evaluate(
            """async (module) => {
                const socket = new EventTarget();
                socket.command = async () => ({});
                const { start } = await import(module);
                await start({ socket });
            }""",
            module,
        )
        return page

    yield opened
    ctx.close()
    assert errors == []


def test_agent_report_times_read_as_hours_minutes_seconds_with_a_total(open_page):
    asked: list = []
    page = open_page("/reports", "/static/js/reports.js", asked=asked)
    page.select_option("#report-filters select[name=report]", "agents")
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("8:00:00")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("0:05:27")
    expect(rows.nth(0).locator("td").nth(4)).to_have_text("12")  # a count stays a count
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("合计")


def test_the_steps_report_asks_for_the_busiest_workflow_unless_one_is_picked(open_page):
    asked: list = []
    page = open_page("/reports", "/static/js/reports.js", asked=asked)
    workflow = page.locator("#report-workflow")
    expect(workflow.locator("option")).to_have_count(3)
    expect(workflow).to_have_value("")  # none picked: the server takes the period's busiest
    expect(workflow.locator("option").first).to_have_text("期间工单最多的流程")
    page.select_option("#report-filters select[name=report]", "cycle_time_steps")
    expect(page.locator("#report-table tbody tr")).to_have_count(2)
    assert (
        "cycle_time_steps" in asked[-1]
        and "workflow=fault" not in asked[-1]
        and "workflow=consult" not in asked[-1]
    )


def test_an_empty_list_says_so_and_its_hints_show_whole(open_page):
    page = open_page("/lists/stranded", "/static/js/lists.js")
    empty = page.locator("#list-table tbody tr[data-empty] td")
    expect(empty).to_have_text("暂无工单")
    expect(empty).to_have_attribute("colspan", "7")
    for name in ("number", "caller"):
        box = page.locator(f"#list-filters input[name={name}]")
        # the whole placeholder fits the box; the full hint is its tooltip
        assert box.evaluate(
            """(input) => {
                const probe = document.createElement("span");
                probe.style.font = getComputedStyle(input).font;
                probe.style.whiteSpace = "pre";
                probe.textContent = input.placeholder;
                document.body.append(probe);
                const fits = probe.getBoundingClientRect().width <= input.clientWidth;
                probe.remove();
                return fits;
            }"""
        ), name
        expect(box).to_have_attribute(
            "title", "工单号，可不带字母或只输尾号" if name == "number" else "号码或尾号（至少4位）"
        )


def test_the_inbox_says_when_empty_and_words_a_missed_call(open_page):
    page = open_page("/inbox", "/static/js/inbox.js", inbox={"unhandled": 0, "items": []})
    expect(page.locator("#inbox-table tbody tr[data-empty] td")).to_have_text("暂无未处理事件")
    page = open_page(
        "/inbox",
        "/static/js/inbox.js",
        inbox={
            "unhandled": 0,
            "items": [],
            "waiting": {
                "count": 1,
                "items": [MISSED],
                "by_kind": {"missed_call": 1},
                "kind": "",
                "matched": 1,
                "offset": 0,
                "limit": 50,
            },
        },
    )
    # the waiting table's first column is 批量关闭's tick box
    row = page.locator("#inbox-waiting-table tbody tr[data-event='7'] td")
    expect(row.nth(3)).to_have_text("未显示号码")
    expect(row.nth(4)).to_have_text("排队 65 秒，故障报修")
