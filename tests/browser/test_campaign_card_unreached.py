"""QA 2026-11-29 #5 on the agent's card (the real seat template and campaign_card.js in Chromium,
fed the dialer's events, no console process): after 外呼结果：无人接听 the card still offered 满意 /
不满意 / 问题已解决, and a 满意 saved for a customer nobody reached counted as satisfied. Once the
call ends unanswered the card offers only the codes that fit (号码错误, 稍后再打), says so, and may
be closed with no result (the retry is due anyway); an answered call keeps every code."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_campaign_card_result import card_console, push, saving_into

pytestmark = pytest.mark.browser
DISPOSITIONS = {
    "dispositions": [
        {"code": "satisfied", "label": "满意", "final": True, "needs_answer": True},
        {"code": "dissatisfied", "label": "不满意", "final": True, "needs_answer": True},
        {"code": "resolved", "label": "问题已解决", "final": True, "needs_answer": True},
        {"code": "call_later", "label": "客户要求稍后再打", "final": False, "needs_answer": False},
        {"code": "wrong_number", "label": "号码错误", "final": True, "needs_answer": False},
    ]
}
#: a list campaign's call placed for agent 1005 (contact 5)
CALL_PLACED = {
    "event": "CampaignCallPlaced",
    "staff_no": "1005",
    "campaign_id": 1,
    "contact_id": 5,
    "call_id": "c1",
    "number": "13800138000",
    "contact_name": "",
    "campaign": "QA测试回访",
    "script": "您好",
}


def ended(outcome: str) -> dict:
    return {"event": "CampaignCallEnded", "staff_no": "1005", "campaign_id": 1, "contact_id": 5,
            "call_id": "c1", "outcome": outcome}  # fmt: skip


def options(card) -> list[str]:
    return card.locator("[name=code] option").all_inner_texts()


def test_an_unanswered_call_offers_only_the_codes_that_fit_and_closes_without_one(browser):
    posted: list[dict] = []
    with card_console(browser, DISPOSITIONS, saving_into(posted)) as (page, errors, dialogs):
        push(page, CALL_PLACED)
        card = page.locator("#campaign-card")
        expect(card.locator("[name=code] option")).to_have_count(6)  # 请选择结果 and every code
        card.locator("[name=code]").select_option(label="满意")  # chosen while it rang
        push(page, ended("no_answer"))
        expect(card).to_contain_text("外呼结果：无人接听")
        expect(card.locator("#campaign-unreached")).to_have_text(
            "客户未接通：只能记录无需通话的结果（如号码错误）。也可以不记录结果直接关闭，联系人将按活动的重拨设置再次外呼。"
        )
        assert options(card) == ["请选择结果", "客户要求稍后再打", "号码错误"]
        expect(card.locator("[name=code]")).to_have_value("")  # the 满意 chosen is gone with it
        card.locator("button[type=submit]").click()
        expect(page.locator(".toast.refused").last).to_have_text("请先选择结果代码")
        assert posted == []

        card.get_by_role("button", name="不记录结果，关闭").click()
        expect(card).to_be_hidden()
        assert posted == [] and dialogs == [] and errors == []

        # the next call's card, answered: every code again; 号码错误 after a busy one is saved
        push(page, {**CALL_PLACED, "call_id": "c2"})
        expect(card.locator("#campaign-unreached")).to_have_count(0)
        push(page, {**ended("answered"), "call_id": "c2"})
        expect(card).to_contain_text("外呼结果：接通")
        assert options(card)[1:4] == ["满意", "不满意", "问题已解决"]

        push(page, {**CALL_PLACED, "call_id": "c3"})
        push(page, {**ended("busy"), "call_id": "c3"})
        expect(card.locator("#campaign-unreached")).to_be_visible()
        card.locator("[name=code]").select_option(label="号码错误")
        card.locator("button[type=submit]").click()
        expect(card).to_be_hidden()
        assert posted == [{"code": "wrong_number", "notes": ""}]
        assert errors == []
