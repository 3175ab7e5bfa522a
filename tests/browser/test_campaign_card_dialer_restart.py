"""The preview card when the dialer restarted with the offer out (Chromium, the real seat template
and campaign_card.js, the dialer's events and the offer API faked; no console process): the
withdrawal the new dialer sends closes the card and says why, in the page's corner; a socket that
comes back to find no offer closes it and says so too. QA: the card kept showing a customer the
new dialer had put back in the list, and the agent dialled them by hand."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_campaign_card_result import push
from tests.browser.test_campaign_offer_countdown import OFFER, SENT, seat

pytestmark = pytest.mark.browser


def test_the_new_dialers_withdrawal_closes_the_card_and_says_why(browser):
    with seat(browser) as (page, errors):
        push(page, {**OFFER, "held_until": SENT + 200})
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        push(
            page,
            {
                "event": "CampaignOfferWithdrawn",
                "staff_no": "1005",
                "campaign_id": 1,
                "contact_id": 5,
                "reason": "campaign.dialer_restarted",
            },
        )
        expect(card).to_be_hidden()
        expect(page.locator(".toast.refused").last).to_have_text(
            "外呼服务已重启，该预览任务已收回，联系人已退回名单"
        )
        assert errors == []


def test_a_reconnect_that_finds_no_offer_closes_the_card_and_says_so(browser):
    server = {"offer": {**OFFER, "held_until": 5250.0}}
    with seat(browser, lambda: {"offer": server["offer"], "server_time": 5000.0}) as (page, errors):
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        # the socket was down while the dialer restarted and withdrew the offer: it comes back
        server["offer"] = None
        page.evaluate('window.push("snapshot", {})')
        expect(card).to_be_hidden()
        expect(page.locator(".toast.refused").last).to_have_text("该预览联系人已不再为您保留，已退回名单")
        assert errors == []
