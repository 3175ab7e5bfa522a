"""The visit-back survey on the agent's campaign card (Chromium, the real seat template and
campaign_card.js fed the dialer's event, no console process). QA: the card only offered a 结果代码,
whose 不满意 opened no complaint and recorded no survey: a visit-back call's card asks the order's
survey questions, posts them for the contact, and no longer offers a bare 满意 / 不满意 code."""

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
        {"code": "call_later", "label": "客户要求稍后再打", "final": False},
    ]
}
OPTIONS = [{"label": "满意", "satisfied": True}, {"label": "不满意", "satisfied": False}]
SURVEY = {
    "due": True,
    "step_field": None,
    "order_number": "GZ2026112800002",
    "dimensions": [{"name": "服务技能", "options": OPTIONS}, {"name": "综合评价", "options": OPTIONS}],
    "results": [],
}


def test_the_visit_back_card_records_the_orders_survey(browser):
    posted: list[dict] = []

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/static/js/campaign_card.js":
            route.fulfill(path=str(AGENT_UI / "static/js/campaign_card.js"), content_type="text/javascript")
        elif path == "/api/campaign-dispositions":
            route.fulfill(json=DISPOSITIONS)
        elif path == "/api/campaign-contacts/5/survey" and route.request.method == "GET":
            route.fulfill(json=SURVEY)
        elif path == "/api/campaign-contacts/5/survey":
            posted.append(json.loads(route.request.post_data or "{}"))
            result = {
                "answers": posted[-1]["answers"],
                "satisfied": False,
                "remark": "太慢",
                "at": None,
                "follow_up": "TS2026112800003",
            }
            route.fulfill(status=201, json={**SURVEY, "due": False, "results": [result]})
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
        survey = card.locator("#campaign-survey")
        expect(survey).to_contain_text("满意度回访")
        expect(survey.locator("select")).to_have_count(2)
        # the 结果代码 keeps what is not the survey's (稍后再打…), not a bare 满意 / 不满意
        codes = card.locator("[name=code] option")
        expect(codes).to_have_text(["请选择结果", "客户要求稍后再打"])
        survey.locator("[name=服务技能]").select_option("满意")
        survey.locator("[name=综合评价]").select_option("不满意")
        survey.locator("[name=remark]").fill("太慢")
        survey.get_by_role("button", name="保存回访").click()
        saved = card.locator("#campaign-survey-saved")
        expect(saved).to_contain_text("回访已保存")
        expect(saved.get_by_role("link", name="TS2026112800003")).to_have_attribute(
            "href", "/orders/TS2026112800003"
        )
        assert posted == [{"answers": {"服务技能": "满意", "综合评价": "不满意"}, "remark": "太慢"}]
        expect(card.locator("[name=code]")).to_have_count(0)  # the survey set the result too
        card.get_by_role("button", name="关闭").click()
        expect(card).to_be_hidden()
        assert errors == [] and dialogs == []
    finally:
        ctx.close()


def test_a_lapsed_offer_leaves_the_card_with_a_word(browser):
    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/static/js/campaign_card.js":
            route.fulfill(path=str(AGENT_UI / "static/js/campaign_card.js"), content_type="text/javascript")
        elif path == "/api/campaign-dispositions":
            route.fulfill(json=DISPOSITIONS)
        elif path == "/console":
            route.fulfill(body=_render("console.html"), content_type="text/html; charset=utf-8")
        else:
            _serve(route)

    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route(f"{ORIGIN}/**", serve)
    try:
        page.goto(f"{ORIGIN}/console")
        page.evaluate(
            SOCKET
            + """(async () => {
                window.hotline = { socket: window.sock };
                await import("/static/js/campaign_card.js?live");
                await new Promise((r) => setTimeout(r, 150));
                window.push("order", { event: { event: "CampaignContactOffered", staff_no: "1005", campaign_id: 1,
                  contact_id: 5, number: "13800001111", contact_name: "张三", campaign: "满意度回访",
                  script: "您好", attempts: 0, order_id: 7, order_number: "GZ2026112800002" } });
            })()"""
        )
        card = page.locator("#campaign-card")
        expect(card.get_by_role("button", name="拨打")).to_be_visible()
        page.evaluate(
            """window.push("order", { event: { event: "CampaignOfferWithdrawn", staff_no: "1005",
                campaign_id: 1, contact_id: 5, reason: "campaign.offer_lapsed" } })"""
        )
        expect(card).to_be_hidden()
        expect(page.locator("#toasts")).to_contain_text("已退回名单")
        assert errors == []
    finally:
        ctx.close()
