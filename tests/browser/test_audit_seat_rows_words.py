"""QA #7 on 审计日志's 坐席 rows (admin 9001, Chromium): 强制下班 by a 质量监控员 (3001) read
待生效：— → logged_out and 原因：— → 班长强制下班, and 通话：… → — as if the force had ended the
call; 加入技能队列 / 移出技能队列 read 状态：就绪 → — though the seat stayed 就绪. Now the row says
what changed in words: 原因 强制下班 (the 操作人 column says who), 待生效 通话结束后签出, the
queues; the call and the state, left as they were, are not listed. Rows in the shape written
now and in the one written before. In-process console on the demo's database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]

CALL = "1795980844.105"


async def _seed(url: str) -> None:
    """Supervisor 3001's 强制下班 of 1001 during a call and two queue moves, in the row shapes
    written before (the state, the call on the before side only) and now (on both)."""
    from ticketing import audit

    async with demo_database(url, customers=1) as demo:
        supervisor = demo.users["3001"]
        talking = {"state": "talking", "reason": "", "call_id": CALL}
        sign_out = {"state": "talking", "reason": "班长强制下班", "pending": "logged_out"}
        for after in (sign_out, {**sign_out, "call_id": CALL}):
            await audit.record(
                demo.db, supervisor, "seat.force_sign_out", "seat", "1001", before=talking, after=after
            )
        queues = {"state": "ready", "queues": ["service"]}
        await audit.record(
            demo.db,
            supervisor,
            "seat.queue_add",
            "seat",
            "1002",
            before=queues,
            after={"queue": "complaint", "queues": ["complaint", "service"]},
        )
        await audit.record(
            demo.db,
            supervisor,
            "seat.queue_remove",
            "seat",
            "1002",
            before={"state": "ready", "queues": ["complaint", "service"]},
            after={"state": "ready", "queue": "complaint", "queues": ["service"]},
        )


@pytest.fixture
def seat_audit_console(tmp_path):
    with seeded_console(tmp_path / "audit_seat.db", _seed) as server:
        yield server


def test_a_seats_forced_sign_out_and_queue_moves_list_what_changed_in_words(seat_audit_console, browser):
    with admin_on(browser, seat_audit_console, "/admin/audit") as page:
        rows = page.locator("#audit-rows tbody tr")
        sign_outs = rows.filter(has_text="强制下班")
        expect(sign_outs).to_have_count(2)
        for i in range(2):
            row = sign_outs.nth(i)
            expect(row.locator("td").nth(1)).to_contain_text("3001")
            expect(row.locator("[data-field=reason]")).to_have_text("原因：— → 强制下班")
            expect(row.locator("[data-field=pending]")).to_have_text("待生效：— → 通话结束后签出")
            # the call goes on and the seat is still on it: neither is a change
            expect(row.locator("[data-field=call_id]")).to_have_count(0)
            expect(row.locator("[data-field=state]")).to_have_count(0)
            expect(row.locator("td").nth(4)).not_to_contain_text("班长")
            expect(row.locator("td").nth(4)).not_to_contain_text("logged_out")

        moves = rows.filter(has_text="技能队列")
        expect(moves).to_have_count(2)
        for i in range(2):
            row = moves.nth(i)
            expect(row.locator("[data-field=queues]")).to_be_visible()
            expect(row.locator("[data-field=state]")).to_have_count(0)  # 就绪 before and after
