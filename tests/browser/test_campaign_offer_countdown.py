"""A preview offer's countdown on the campaign card (Chromium, the real seat template and
campaign_card.js, the dialer's events and the offer API faked; no console process). QA: an offer
stays with its agent for the campaign's 预览保留时长, then goes back to the list, and the card showed
no countdown: the agent learnt of it only when the card vanished, and a reload lost the card while
the customer stayed held for them.

The card counts down to the dialer's ``held_until`` from the server's clock when it was sent (the
event's ``ts``, the API's ``server_time``): here the page's own clock is decades away from it and
the countdown is still the server's."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import START_CAMPAIGN_CARD
from tests.browser.test_campaign_card_result import DISPOSITIONS, card_console, push

pytestmark = pytest.mark.browser
#: the server's clock when it sent the offer: nowhere near the page's own
SENT = 1_000_000.0
OFFER = {
    "event": "CampaignContactOffered",
    "staff_no": "1005",
    "campaign_id": 1,
    "contact_id": 5,
    "number": "13800001111",
    "contact_name": "张三",
    "campaign": "停电回访",
    "script": "您好",
    "offer_minutes": 5,
    "ts": SENT,
}


@contextlib.contextmanager
def seat(browser, offer_api: Callable[[], dict] | None = None) -> Iterator[tuple[object, list[str]]]:
    """The seat page with one campaign_card.js running (the template's own left empty), and
    ``offer_api()`` answering GET /api/campaign-offer (404 without it): (the page, its errors and
    dialogs)."""

    def answer(route, path: str) -> bool:
        if path != "/api/campaign-offer" or offer_api is None:
            return False
        route.fulfill(body=json.dumps(offer_api(), ensure_ascii=False), content_type="application/json")
        return True

    with card_console(browser, DISPOSITIONS, answer) as (page, errors, _):
        page.on("dialog", lambda d: errors.append(d.message))  # a dialog is an error here
        yield page, errors


def test_the_card_counts_the_servers_time_down_and_warns_in_the_last_minute(browser):
    with seat(browser) as (page, errors):
        push(page, {**OFFER, "held_until": SENT + 62})
        card = page.locator("#campaign-card")
        held = card.locator("#campaign-held")
        expect(held).to_have_text(_one_of("预览保留剩余 01:02", "预览保留剩余 01:01"))
        expect(held).to_have_attribute("data-state", "held")
        # the last minute: the card says so, and so does the corner (the agent may be typing)
        expect(held).to_have_text("剩余 00:59，请尽快拨打或跳过，超时将退回名单", timeout=5000)
        expect(held).to_have_attribute("data-state", "ending")
        expect(page.locator(".toast.alert")).to_have_text(
            _one_of(*(f"剩余 {s}，请尽快拨打或跳过，超时将退回名单" for s in ("01:00", "00:59")))
        )
        expect(card.get_by_role("button", name="拨打")).to_be_enabled()
        assert errors == []


def test_a_lapsed_offer_says_so_then_goes_as_the_dialer_gives_it_back(browser):
    with seat(browser) as (page, errors):
        push(page, {**OFFER, "held_until": SENT + 2, "offer_minutes": 1})
        card = page.locator("#campaign-card")
        expect(card.locator("#campaign-held")).to_have_text("预览已超时，联系人正在退回名单…", timeout=5000)
        expect(card.locator("#campaign-held")).to_have_attribute("data-state", "over")
        expect(card).to_be_visible()  # until the dialer has given the customer back
        push(
            page,
            {
                "event": "CampaignOfferWithdrawn",
                "staff_no": "1005",
                "campaign_id": 1,
                "contact_id": 5,
                "reason": "campaign.offer_lapsed",
                "offer_minutes": 1,
            },
        )
        expect(card).to_be_hidden()
        expect(page.locator(".toast.refused").last).to_have_text(
            "预览联系人超过 1 分钟未拨打也未跳过，已退回名单"
        )
        assert errors == []


def test_a_reload_shows_the_offer_again_counting_to_the_same_moment(browser):
    # the dialer's offer, held until 250 s after the server's first answer
    server = {"now": 5000.0, "offer": {**OFFER, "held_until": 5250.0}}
    with seat(browser, lambda: {"offer": server["offer"], "server_time": server["now"]}) as (page, errors):
        card = page.locator("#campaign-card")
        held = card.locator("#campaign-held")
        expect(held).to_have_text(_one_of("预览保留剩余 04:10", "预览保留剩余 04:09"))
        expect(card).to_contain_text("13800001111")

        # the agent reloads the page 30 s on: the same offer, 30 s less, not a new 5 minutes
        server["now"] += 30
        page.reload()
        page.evaluate(START_CAMPAIGN_CARD)
        expect(held).to_have_text(_one_of("预览保留剩余 03:40", "预览保留剩余 03:39"))
        expect(card.get_by_role("button", name="跳过")).to_be_visible()

        # the socket drops and comes back after the dialer gave the customer back: the card goes
        server["offer"] = None
        page.evaluate('window.push("snapshot", {})')
        expect(card).to_be_hidden()
        assert errors == []


def _one_of(*texts: str) -> re.Pattern[str]:
    """Any of ``texts``, whole: a second may tick between two looks."""
    return re.compile("^(" + "|".join(re.escape(t) for t in texts) + ")$")
