"""At 1366×768 (the smallest screen the console is made for) the admin's tables fit their panels:
单位管理's list showed 1754 px in a 1344 px panel, its 状态, 编辑, 停用, 删除 and the 节假日 off
screen; 停电信息 lists each notice's 供电局 (it had the filter but not the column). The seat's
bar at 1366 is tests/browser/test_topbar_one_row.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
SMALL = {"width": 1366, "height": 768}

# the page, its panels and the tables in them: nothing wider than where it is shown
FITS = """(selector) => {
  const doc = document.documentElement;
  const table = document.querySelector(selector);
  const panel = table.closest(".panel");
  const cells = [...table.querySelectorAll("tr:first-child > *")].map((c) => Math.round(c.getBoundingClientRect().right));
  return { page: [doc.scrollWidth, doc.clientWidth], panel: [panel.scrollWidth, panel.clientWidth],
           table: Math.round(table.getBoundingClientRect().width), right: Math.max(...cells) };
}"""


def _fits(page, selector):
    found = page.evaluate(FITS, selector)
    assert found["page"][0] <= found["page"][1], found
    assert found["panel"][0] <= found["panel"][1], found
    assert found["right"] <= SMALL["width"], found
    return found


def test_the_sites_list_fits_at_1366(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, "9001", viewport=SMALL) as page:
        page.goto(f"{users_console.url}/admin/sites")
        row = page.locator("#site-list tbody tr", has_text="440100").first
        expect(row).to_contain_text("广州市供电局")
        _fits(page, "#site-list")
        for name in ("编辑", "停用", "删除"):  # each action on screen, on a row of its own height
            box = row.get_by_role("button", name=name).bounding_box()
            assert box and box["x"] + box["width"] <= SMALL["width"], (name, box)
        state = row.locator("[data-state]").bounding_box()
        assert state["x"] + state["width"] <= SMALL["width"], state
        holidays = page.locator("#site-holidays-title").bounding_box()
        assert holidays["x"] + holidays["width"] <= SMALL["width"], holidays


def test_the_notices_list_names_each_notices_bureau_and_fits_at_1366(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, "9001", viewport=SMALL) as page:
        page.goto(f"{users_console.url}/notices")
        header = page.locator("#notice-table thead th").all_inner_texts()
        assert header[0] == "供电局", header
        rows = page.locator("#notice-table tbody tr")
        expect(rows.first).to_be_visible()
        sites = page.locator("#notice-search select[name=site] option").all_inner_texts()
        for bureau in rows.locator("td:first-child").all_inner_texts():
            assert bureau and bureau in [s.strip() for s in sites], (bureau, sites)
        _fits(page, "#notice-table")
