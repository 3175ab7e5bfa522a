"""The 抢修班组 page at 1366×768 in the real Chromium: 修改 on a crew low in a long register
brings the form into view with its name ready to type, and 保存 sits beside 清空. No Asterisk:
the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    from ticketing import crews

    async with demo_database(url, crews=True) as demo:
        # a register longer than the screen: the form is below the fold
        for n in range(1, 25):
            await crews.create(
                demo.db,
                demo.users["9001"],
                {"name": f"越秀抢修{n:02d}班", "site_id": demo.sites["440104"].id, "sort": 10 + n},
            )


@pytest.fixture
def crews_page(tmp_path):
    with seeded_console(tmp_path / "crews-form.db", _seed) as server:
        yield server


def test_edit_brings_the_form_into_view_and_its_buttons_share_a_row(crews_page, browser):
    with signed_in(browser, crews_page, "9001") as page:
        page.goto(f"{crews_page.url}/admin/crews")
        rows = page.locator("#crew-list tbody tr")
        expect(rows).to_have_count(30)
        form = page.locator("#crew-form")
        save, clear = form.locator("button[type=submit]"), form.locator("button[type=reset]")
        s, c = save.bounding_box(), clear.bounding_box()
        assert s and c and abs(s["y"] - c["y"]) < 2 and c["x"] > s["x"], (s, c)

        first = rows.filter(has_text="广州抢修一队")
        first.locator("button", has_text="修改").click()
        name = form.locator("[name=name]")
        expect(name).to_be_focused()
        expect(name).to_have_value("广州抢修一队")
        expect(page.locator("#crew-form-title")).to_have_text("修改 · 广州抢修一队")
        expect(name).to_be_in_viewport()
        expect(save).to_be_in_viewport()
