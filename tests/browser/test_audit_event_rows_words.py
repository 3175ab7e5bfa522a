"""QA: 审计日志 showed an async event's rows in the system's codes: actor "system", object
"interaction 121", 状态 "new → assigned", 分派给 the agent's database id. In Chromium they now
read 系统, 事件 121, 新 → 已分派 and 分派给 the agent's name（工号） as 操作人 is worded (each
code or id on hover), as a work order's rows do. In-process console."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_inbox_close_missed_call import _seed_missed_call

pytestmark = [pytest.mark.browser]


@pytest.fixture
def event_audit_console(tmp_path):
    # a missed call the system assigned to 1001 (no one's hand: the audit's actor is "system")
    with seeded_console(tmp_path / "audit_event.db", _seed_missed_call) as server:
        yield server


def test_an_events_audit_rows_read_in_words(event_audit_console, browser):
    server = event_audit_console
    with admin_on(browser, server, "/admin/audit") as page:
        row = page.locator("#audit-rows tbody tr[data-action='event.assign']").first
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("系统")
        expect(cells.nth(1)).to_have_attribute("title", "system")
        expect(cells.nth(2)).to_have_text("分派事件")
        expect(cells.nth(3)).to_have_text(f"事件 {server.seeded}")
        status = row.locator("[data-field=status]")
        expect(status).to_have_text("状态：新 → 已分派")
        expect(status.locator("span").first).to_have_attribute("title", "new")
        # 分派给: the account by name and 工号 (its id on hover), not "— → 7"
        assigned = row.locator("[data-field=assigned_to]")
        expect(assigned).to_have_text(re.compile(r"^分派给：— → \S+（1001）$"))
        expect(assigned.locator("span")).to_have_attribute("title", re.compile(r"^#\d+$"))
