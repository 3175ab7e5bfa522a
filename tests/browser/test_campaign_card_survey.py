"""The visit-back survey on the agent's campaign card (Chromium, the real seat template and
campaign_card.js fed the dialer's event, no console process). QA: the card only offered a 结果代码,
whose 不满意 opened no complaint and recorded no survey: a visit-back call's card asks the order's
survey questions, posts them for the contact, and no longer offers a bare 满意 / 不满意 code."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import answer_survey
from tests.browser.test_campaign_card_result import CALL_PLACED, card_console, push

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

    def answer(route, path: str) -> bool:
        if path != "/api/campaign-contacts/5/survey":
            return False
        if route.request.method == "GET":
            route.fulfill(json=SURVEY)
            return True
        posted.append(json.loads(route.request.post_data or "{}"))
        result = {
            "answers": posted[-1]["answers"],
            "satisfied": False,
            "remark": "太慢",
            "at": None,
            "follow_up": "TS2026112800003",
        }
        route.fulfill(status=201, json={**SURVEY, "due": False, "results": [result]})
        return True

    with card_console(browser, DISPOSITIONS, answer) as (page, errors, dialogs):
        push(page, CALL_PLACED)
        card = page.locator("#campaign-card")
        survey = card.locator("#campaign-survey")
        expect(survey).to_contain_text("满意度回访")
        expect(survey.locator("select")).to_have_count(2)
        # the 结果代码 keeps what is not the survey's (稍后再打…), not a bare 满意 / 不满意
        codes = card.locator("[name=code] option")
        expect(codes).to_have_text(["请选择结果", "客户要求稍后再打"])
        answer_survey(survey, {"服务技能": "满意", "综合评价": "不满意"}, remark="太慢")
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


def test_a_lapsed_offer_leaves_the_card_with_a_word(browser):
    offered = {
        **{k: v for k, v in CALL_PLACED.items() if k != "call_id"},
        "event": "CampaignContactOffered",
        "attempts": 0,
    }
    with card_console(browser, DISPOSITIONS) as (page, errors, dialogs):
        push(page, offered)
        card = page.locator("#campaign-card")
        expect(card.get_by_role("button", name="拨打")).to_be_visible()
        page.evaluate(
            """window.push("order", { event: { event: "CampaignOfferWithdrawn", staff_no: "1005",
                campaign_id: 1, contact_id: 5, reason: "campaign.offer_lapsed", offer_minutes: 12 } })"""
        )
        expect(card).to_be_hidden()
        # how long the campaign held it, not a constant 5 minutes
        expect(page.locator("#toasts")).to_contain_text("超过 12 分钟未拨打也未跳过，已退回名单")
        assert errors == [] and dialogs == []
