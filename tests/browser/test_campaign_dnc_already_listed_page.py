"""加入免打扰 on the campaign page for a number on the list already, spelt otherwise: the page
says it was listed already and that its reason changed, and the list shows the new reason (QA:
the reason given was dropped, the page said 已加入). In-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_campaign_offer_minutes_page import LEADER

pytestmark = [pytest.mark.browser]


def test_adding_a_listed_number_again_says_so_and_keeps_the_new_reason(tmp_path, browser):
    with (
        seeded_console(tmp_path / "dnc.db", demo_only, 2) as server,
        signed_in(browser, server, LEADER) as page,
    ):
        page.goto(f"{server.url}/campaigns")
        form = page.locator("#camp-dnc-add")
        form.locator("input[name=number]").fill("13800000000")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts")).to_contain_text("已加入免打扰名单")
        row = page.locator("#camp-dnc tbody tr", has_text="13800000000")
        expect(row).to_have_count(1)

        form.locator("input[name=number]").fill("138-0000-0000")
        form.locator("input[name=reason]").fill("客户要求")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts")).to_contain_text("13800000000 已在免打扰名单中，原因已更新")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(1)).to_have_text("客户要求")
