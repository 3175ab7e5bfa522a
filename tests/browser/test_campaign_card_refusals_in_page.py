"""The campaign card's refusals said in the page (Chromium, the real seat template and
campaign_card.js fed the dialer's event, no console process). QA: the card showed them in a
browser alert(), which stopped the seat page with the customer on the line and said only the
error's generic text: 拨打, 保存结果 and 保存回访 refused now say so in the page's toast, in the
server's words, and what the agent typed stays on the card."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import LANG, TEXTS, answer_survey
from tests.browser.test_campaign_card_result import CALL_PLACED, DISPOSITIONS, card_console, push
from tests.browser.test_campaign_card_survey import SURVEY

pytestmark = pytest.mark.browser


def _refuse(route, status: int, error_id: str) -> None:
    """The server's refusal, its message in the agent's language as agent_ui.errors sends it."""
    message = TEXTS.error(LANG, error_id)
    route.fulfill(status=status, json={"error_id": error_id, "message": message})


def _refusing(refused: str, status: int, error_id: str) -> Callable[[object, str], bool]:
    """card_console's ``answer`` refusing the ``refused`` path (and only that) as the server would."""

    def answer(route, path: str) -> bool:
        if path != refused:
            return False
        _refuse(route, status, error_id)
        return True

    return answer


def test_a_refused_dial_leaves_the_withdrawn_offer_with_the_servers_words(browser):
    offered = {**{k: v for k, v in CALL_PLACED.items() if k != "call_id"}, "event": "CampaignContactOffered"}
    answer = _refusing("/api/campaign-contacts/5/dial", 409, "campaign.not_running")
    with card_console(browser, DISPOSITIONS, answer) as (page, errors, dialogs):
        push(page, offered)
        card = page.locator("#campaign-card")
        card.get_by_role("button", name="拨打").click()
        expect(page.locator(".toast.refused").last).to_have_text(
            "活动已暂停或已结束，不能拨打；联系人已退回名单"
        )
        expect(card).to_be_hidden()  # the offer is gone: back to the list
        assert dialogs == [] and errors == []


def test_a_refused_result_is_said_in_the_page_and_keeps_the_notes(browser):
    answer = _refusing("/api/campaign-contacts/5/disposition", 403, "campaign.contact_not_yours")
    with card_console(browser, DISPOSITIONS, answer) as (page, errors, dialogs):
        push(page, CALL_PLACED)
        card = page.locator("#campaign-card")
        card.locator("[name=code]").select_option(label="不满意")
        card.locator("[name=notes]").fill("客户说下午再联系")
        card.locator("button[type=submit]").click()
        expect(page.locator(".toast.refused").last).to_have_text(
            "该外呼联系人未分配给您：只能查看和记录分配给您或由您拨打的联系人"
        )
        expect(card).to_be_visible()
        expect(card.locator("[name=code]")).to_have_value("dissatisfied")
        expect(card.locator("[name=notes]")).to_have_value("客户说下午再联系")
        expect(card.locator("button[type=submit]")).to_be_enabled()  # to send again
        assert dialogs == [] and errors == []


def test_a_refused_survey_is_said_in_the_page_and_keeps_the_answers(browser):
    def answer(route, path: str) -> bool:
        if path != "/api/campaign-contacts/5/survey":
            return False
        if route.request.method == "GET":
            route.fulfill(json=SURVEY)
        else:
            _refuse(route, 422, "survey_remark_too_long")
        return True

    with card_console(browser, DISPOSITIONS, answer) as (page, errors, dialogs):
        push(page, CALL_PLACED)
        survey = page.locator("#campaign-survey")
        answer_survey(survey, {"服务技能": "满意", "综合评价": "不满意"}, remark="太慢")
        survey.get_by_role("button", name="保存回访").click()
        expect(page.locator(".toast.refused").last).to_have_text("回访意见不能超过 1000 字")
        expect(survey.locator("[name=综合评价]")).to_have_value("不满意")
        expect(survey.locator("[name=remark]")).to_have_value("太慢")
        assert dialogs == [] and errors == []
