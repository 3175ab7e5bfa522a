"""A voicemail in 异步事件 says why it was left and on which line, and only the IVR's fault report
comes preset to 故障报修 (QA #15: a message left after hours on the 400 after-sales line came
preset to 「— 故障报修：请选择小类别 —」 like the 95598 fault report, its row not saying which line
or why). In-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]

#: (call id, the line rung, why): as the IVR and the dialplan publish them (VoicemailReceived)
MESSAGES = (
    ("1795900100.1", "95598", "fault_report"),  # 95598, menu key 4: 故障报修留言
    ("1795900100.2", "95598", "ivr"),  # 95598's menu: a withheld caller's 9
    ("1795900100.3", "4008200000", "after_hours"),  # the 400 line's after-hours menu, key 1
    ("1795900100.4", "95598", "queue_timeout"),  # past a queue's wait (the dialplan's overflow)
    ("1795900100.5", "4008200000", "queue_unstaffed"),  # no agent signed in to the queue
    ("1795900100.6", "95598", ""),  # a message from before the reasons: the line alone
)


async def _seed(url: str) -> dict[str, int]:
    from tests.browser.story_seeds import demo_database
    from ticketing.intake import Intake

    ids = {}
    async with demo_database(url) as demo:
        for call_id, dnis, reason in MESSAGES:
            # nobody signed in: each waits on 未分派事件
            event = await Intake().receive(
                demo.db, "voicemail", call_id, sender="13800000008", payload={"reason": reason}
            )
            event.dnis = dnis
            ids[call_id] = event.id
    return ids


@pytest.fixture
def reason_console(tmp_path):
    with seeded_console(tmp_path / "reason.db", _seed) as server:
        yield server


def test_a_voicemail_says_why_and_where_and_only_a_fault_report_is_preset(reason_console, browser):
    server = reason_console
    ids = server.seeded
    with signed_in(browser, server, "3001") as page:  # a supervisor: 未分派事件
        page.goto(f"{server.url}/inbox")
        rows = {
            call_id: page.locator(f"#inbox-waiting-table tr[data-event='{ids[call_id]}']")
            for call_id, *_ in MESSAGES
        }
        fault, menu, closed, overflow, unstaffed, unsaid = (rows[call_id] for call_id, *_ in MESSAGES)

        expect(fault.locator("[data-vm-why]")).to_have_text("故障报修留言 · 拨打 95598")
        expect(menu.locator("[data-vm-why]")).to_have_text("语音菜单留言 · 拨打 95598")
        expect(closed.locator("[data-vm-why]")).to_have_text("非工作时间留言 · 拨打 4008200000")
        expect(overflow.locator("[data-vm-why]")).to_have_text("排队超时留言 · 拨打 95598")
        expect(unstaffed.locator("[data-vm-why]")).to_have_text("无坐席接听留言 · 拨打 4008200000")
        expect(unsaid.locator("[data-vm-why]")).to_have_text("拨打 95598")

        pick = "select[data-field=category]"
        # the fault report: its subcategories first, asked for
        expect(fault.locator(pick).locator("option").first).to_have_text("— 故障报修：请选择小类别 —")
        for row in (
            menu,
            closed,
            overflow,
            unstaffed,
            unsaid,
        ):  # about what the caller says: nothing picked, nothing first
            expect(row.locator(pick).locator("option").first).to_have_text("— 请选择类别 —")
            expect(row.locator(pick)).to_have_value("")
