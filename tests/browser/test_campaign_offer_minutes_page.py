"""The campaign page in the real Chromium: the team leader sets a preview campaign's hold
(预览保留时长: how long an offer nobody dials or skips stays with its agent) when creating it,
sees it among the settings and changes it (it was a constant 5 minutes nobody could see or set).
No Asterisk needed: the console runs in-process on a seeded SQLite database (see in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]
LEADER = "2001"  # the demo's 班长


def test_the_team_leader_sets_and_changes_the_preview_hold(tmp_path, browser):
    with (
        seeded_console(tmp_path / "camp.db", demo_only, 2) as server,
        signed_in(browser, server, LEADER) as page,
    ):
        page.goto(f"{server.url}/campaigns")
        new = page.locator("#camp-new")
        expect(new.locator("input[name=offer_minutes]")).to_have_value("5")  # the default
        new.locator("input[name=name]").fill("回访慢读")
        new.locator("select[name=mode]").select_option("preview")
        new.locator("input[name=offer_minutes]").fill("12")
        new.locator("button[type=submit]").click()
        page.locator("#camp-list a", has_text="回访慢读").click()
        settings = page.locator("#camp-settings")
        expect(settings).to_contain_text("预览保留时长（分钟）：12")
        edit = page.locator("#camp-edit")
        expect(edit.locator("input[name=offer_minutes]")).to_have_value("12")
        edit.locator("input[name=offer_minutes]").fill("3")
        edit.locator("button[type=submit]").click()
        expect(settings).to_contain_text("预览保留时长（分钟）：3")
        # the browser holds to the server's range (1–60) before anything is sent
        expect(edit.locator("input[name=offer_minutes]")).to_have_attribute("max", "60")
