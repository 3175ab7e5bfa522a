"""QA on 单位管理 (/admin/sites at 1366×768): the hours column broke a time range in the middle
(周四 08:30- / 12:00) and repeated the full default week on every row; and a site's own days off
(a typhoon closure, a local holiday) could not be entered at all. In Chromium: a site on the
default hours says 默认营业时间 (the week on hover); a long week of its own wraps only between
ranges, never inside one; 本单位休息日 / 本单位上班日 are typed one date a line, a bad line is
named and marked with nothing typed lost, and the saved days show in the list and come back in
the form. In-process console on a seeded SQLite database, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
SMALL = {"width": 1366, "height": 768}
# each weekday its own periods (no two days alike): the longest week the column shows
WEEK = {
    "mon": "08:00-12:00, 13:30-17:30",
    "tue": "08:30-12:00, 13:30-17:30, 19:00-21:00",
    "wed": "08:00-11:30, 13:00-17:00",
    "thu": "08:30-12:00, 13:30-17:30",
    "fri": "08:00-12:00, 14:00-18:00",
    "sat": "09:00-12:00",
}
# every range (or date) in the hours cell on one line: [text, lines it takes]
RANGES = """(cell) => [...cell.querySelectorAll(".period")].map((p) => [p.textContent, p.getClientRects().length])"""


def test_hours_never_break_inside_a_range_and_own_days_are_entered(users_console, browser, screenshots):  # noqa: F811
    with signed_in(browser, users_console, "9001", viewport=SMALL) as page:
        page.goto(f"{users_console.url}/admin/sites")
        row = page.locator("#site-list tbody tr", has_text="广州市供电局").first
        cell = row.locator("td.site-hours")
        expect(cell).to_have_text("默认营业时间")
        others = page.locator("#site-list tbody td.site-hours", has_text="周二")
        expect(others).to_have_count(0)  # no row repeats the default week

        row.get_by_role("button", name="编辑").click()
        form = page.locator("#site-form")
        for day, periods in WEEK.items():
            form.locator(f"[name='hours.{day}']").fill(periods)

        # a bad line among the days off: named, marked, nothing typed lost
        holidays = form.locator("textarea[name=holidays]")
        holidays.fill("2026-09-15\n2026-13-01")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts .toast").last).to_contain_text(
            "本单位休息日第 2 行（不是日期，应如 2026-09-15）"
        )
        expect(holidays).to_have_attribute("aria-invalid", "true")
        expect(holidays).to_have_value("2026-09-15\n2026-13-01")
        expect(form.locator("[name='hours.tue']")).to_have_value(WEEK["tue"])

        # a day off and a working day at once
        holidays.fill("2026-09-15\n2026/9/16")
        form.locator("textarea[name=workdays]").fill("2026-09-19\n2026-09-16")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts .toast").last).to_contain_text(
            "本单位上班日第 2 行（同一天不能既是本单位休息日又是本单位上班日）"
        )
        form.locator("textarea[name=workdays]").fill("2026-09-19")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts .toast").last).to_have_text("已保存")

        expect(cell).to_contain_text("周二 08:30-12:00、13:30-17:30、19:00-21:00")
        expect(cell.locator(".site-holidays")).to_have_text("本单位休息日 2026-09-15、2026-09-16")
        expect(cell.locator(".site-workdays")).to_have_text("本单位上班日 2026-09-19")
        ranges = cell.evaluate(RANGES)
        texts = [text for text, _ in ranges]
        for periods in WEEK.values():
            for period in periods.split(", "):
                assert any(text.endswith(period) for text in texts), (period, texts)
        assert [text for text, lines in ranges if lines != 1] == [], ranges  # none broken across lines
        assert cell.evaluate("(c) => c.getClientRects()[0].height") > 40  # the week did wrap
        page.screenshot(path=str(screenshots / "admin-sites-own-days.png"), full_page=True)

        row.get_by_role("button", name="编辑").click()
        expect(holidays).to_have_value("2026-09-15\n2026-09-16")
        expect(form.locator("textarea[name=workdays]")).to_have_value("2026-09-19")
