"""The agent's campaign card, from the real seat template and campaign_card.js in Chromium, fed the
dialer's event (no console process, a few seconds). QA: the 结果代码 started on 满意, so 保存结果
pressed in passing recorded a satisfied customer; and a visit-back call did not say which work
order it was about."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, START_CAMPAIGN_CARD
from tests.browser.test_console_keyboard_and_labels import _serve
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser
DISPOSITIONS = {
    "dispositions": [
        {"code": "satisfied", "label": "满意", "final": True},
        {"code": "dissatisfied", "label": "不满意", "final": True},
    ]
}
#: the dialer's event for a visit-back call placed for agent 1005 (contact 5, order 7)
CALL_PLACED = {
    "event": "CampaignCallPlaced",
    "staff_no": "1005",
    "campaign_id": 1,
    "contact_id": 5,
    "call_id": "c1",
    "number": "13800001111",
    "contact_name": "张三",
    "campaign": "满意度回访",
    "script": "您好",
    "order_id": 7,
    "order_number": "GZ2026112800002",
}


@contextlib.contextmanager
def card_console(
    browser, dispositions: dict, answer: Callable[[object, str], bool] = lambda route, path: False
) -> Iterator[tuple[object, list[str], list[str]]]:
    """The seat template with the real campaign_card.js loaded, no console process: (the page,
    its script errors, the dialogs it showed and that were accepted). ``answer(route, path)``
    fakes what a test needs (True when it answered); ``dispositions`` are the 结果代码."""

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/api/campaign-dispositions":
            route.fulfill(json=dispositions)
        elif not answer(route, path):
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
        page.evaluate(START_CAMPAIGN_CARD)
        yield page, errors, dialogs
    finally:
        ctx.close()


def push(page, event: dict) -> None:
    """The dialer's ``event`` reaching the seat's socket."""
    page.evaluate(f'window.push("order", {{ event: {json.dumps(event, ensure_ascii=False)} }})')


def saving_into(posted: list[dict]):
    """A ``card_console`` answer that saves contact 5's result (its POST's body kept in ``posted``)."""

    def answer(route, path: str) -> bool:
        if path != "/api/campaign-contacts/5/disposition":
            return False
        posted.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(json={"id": 5})
        return True

    return answer


def test_the_card_names_the_order_and_saves_only_a_chosen_result(browser):
    posted: list[dict] = []
    with card_console(browser, DISPOSITIONS, saving_into(posted)) as (page, errors, dialogs):
        push(page, CALL_PLACED)
        card = page.locator("#campaign-card")
        link = card.get_by_role("link", name="GZ2026112800002")
        expect(link).to_have_attribute("href", "/orders/GZ2026112800002")
        expect(card).to_contain_text("回访工单")
        select = card.locator("[name=code]")
        expect(select).to_have_value("")  # nothing chosen for the agent
        card.locator("button[type=submit]").click()
        expect(select).to_be_focused()
        # said in the page (its toast, the select marked), never a browser alert over the card
        expect(page.locator(".toast.refused").last).to_have_text("请先选择结果代码")
        expect(select).to_have_attribute("aria-invalid", "true")
        assert dialogs == [] and posted == []
        select.select_option(label="不满意")
        expect(select).to_have_attribute("aria-invalid", "false")
        card.locator("button[type=submit]").click()
        expect(card).to_be_hidden()
        assert posted == [{"code": "dissatisfied", "notes": ""}]
        assert errors == []
