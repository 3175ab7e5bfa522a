"""QA: 发短信 on the order page reported its problems in two rounds (the empty 正文 first, the
bad number once the text was there). In Chromium one press now names both, and marks both
inputs. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.test_list_status_pick import _seed_orders

pytestmark = [pytest.mark.browser]


@pytest.fixture
def message_console(tmp_path):
    with seeded_console(tmp_path / "messages.db", _seed_orders) as server:
        yield server


def test_an_sms_with_no_text_to_a_landline_is_refused_once_naming_both(message_console, browser):
    server = message_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{server.seeded['open']}")
        to, text = page.locator("#sms-to"), page.locator("#sms-text")
        expect(to).to_be_visible()
        to.fill("010-88886666")
        text.fill("")
        page.locator("#sms-send").click()
        toast = page.locator(".toast.refused").last
        expect(toast).to_contain_text("收件人（须为手机号）")
        expect(toast).to_contain_text("正文（必填）")
        expect(to).to_have_attribute("aria-invalid", "true")
        expect(text).to_have_attribute("aria-invalid", "true")
