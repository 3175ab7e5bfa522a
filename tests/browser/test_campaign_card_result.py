"""The agent's campaign card, from the real seat template and campaign_card.js in Chromium, fed the
dialer's event (no console process, a few seconds). QA: the 结果代码 started on 满意, so 保存结果
pressed in passing recorded a satisfied customer; and a visit-back call did not say which work
order it was about."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_keyboard_and_labels import AGENT_UI, ORIGIN, SOCKET, _render, _serve
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser
DISPOSITIONS = {
    "dispositions": [
        {"code": "satisfied", "label": "满意", "final": True},
        {"code": "dissatisfied", "label": "不满意", "final": True},
    ]
}


def test_the_card_names_the_order_and_saves_only_a_chosen_result(browser):
    posted: list[dict] = []

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/static/js/campaign_card.js":
            route.fulfill(path=str(AGENT_UI / "static/js/campaign_card.js"), content_type="text/javascript")
        elif path == "/api/campaign-dispositions":
            route.fulfill(json=DISPOSITIONS)
        elif path == "/api/campaign-contacts/5/disposition":
            posted.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(json={"id": 5})
        elif path == "/console":
            route.fulfill(body=_render("console.html"), content_type="text/html; charset=utf-8")
        else:
            _serve(route)

    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.route(f"{ORIGIN}/**", serve)
    try:
        page.goto(f"{ORIGIN}/console")
        page.evaluate(
            SOCKET
            + """(async () => {
                window.hotline = { socket: window.sock };
                await import("/static/js/campaign_card.js?live");
                await new Promise((r) => setTimeout(r, 150));
                window.push("order", { event: { event: "CampaignCallPlaced", staff_no: "1005", campaign_id: 1,
                  contact_id: 5, call_id: "c1", number: "13800001111", contact_name: "张三",
                  campaign: "满意度回访", script: "您好", order_id: 7, order_number: "GZ2026112800002" } });
            })()"""
        )
        card = page.locator("#campaign-card")
        link = card.get_by_role("link", name="GZ2026112800002")
        expect(link).to_have_attribute("href", "/orders/GZ2026112800002")
        expect(card).to_contain_text("回访工单")
        select = card.locator("[name=code]")
        expect(select).to_have_value("")  # nothing chosen for the agent
        card.locator("button[type=submit]").click()
        expect(select).to_be_focused()
        assert dialogs == ["请先选择结果代码"] and posted == []
        select.select_option(label="不满意")
        card.locator("button[type=submit]").click()
        expect(card).to_be_hidden()
        assert posted == [{"code": "dissatisfied", "notes": ""}]
        assert errors == []
    finally:
        ctx.close()
