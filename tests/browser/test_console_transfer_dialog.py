"""The 转接 / 咨询转接 dialog of the seat's top bar (statebar.js) in the real Chromium: the agent
says what the target is (自动识别 / 工号 / 队列 / 电话号码), and the command carries it. A prompt
asked for the target only, so 95598 or 10086 went as a 工号 (QA t22). No console, no Asterisk:
the socket is a stand-in that notes the commands (tests/agent_ui/test_transfer_kind.py: the
server's side)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import push_state, state_bar_on_console

pytestmark = pytest.mark.browser


def test_the_transfer_dialog_sends_the_kind_the_agent_chose(browser):
    ctx, page, errors = state_bar_on_console(browser)
    page.on("dialog", lambda d: (errors.append(f"a prompt: {d.message}"), d.dismiss()))
    try:
        push_state(page, "talking")
        dialog = page.locator("#xfer-dialog")

        def ask(button: str, target: str, kind_label: str | None = None) -> None:
            page.click(f"#{button}")
            expect(dialog).to_be_visible()
            expect(page.locator("#xfer-kind-auto")).to_be_checked()  # each time: 自动识别
            expect(page.locator("#xfer-target")).to_be_focused()
            page.fill("#xfer-target", target)
            if kind_label:
                dialog.get_by_role("radio", name=kind_label, exact=True).check()
            page.click("#xfer-ok")
            expect(dialog).to_be_hidden()

        ask("btn-transfer", "95598")  # the server decides: no 工号, so a phone number
        expect(page.locator("#xfer-title")).to_have_text("转接")
        ask("btn-transfer", "1002", "电话号码")  # an internal line that is also a 工号
        ask("btn-consult", "综合服务", "队列")
        ask("btn-consult", " 1003 ", "工号（坐席）")
        # 取消, Escape, or nothing typed: nothing is sent
        page.click("#btn-transfer")
        page.fill("#xfer-target", "10086")
        page.click("#xfer-cancel")
        expect(dialog).to_be_hidden()
        page.click("#btn-consult")
        expect(page.locator("#xfer-prompt")).to_contain_text("咨询谁")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.click("#btn-transfer")
        page.click("#xfer-ok")
        expect(dialog).to_be_visible()  # the target is required
        page.click("#xfer-cancel")
        assert page.evaluate("window.commands") == [
            {"cmd": "transfer", "args": {"target": "95598"}},
            {"cmd": "transfer", "args": {"target": "1002", "kind": "number"}},
            {"cmd": "consult", "args": {"target": "综合服务", "kind": "queue"}},
            {"cmd": "consult", "args": {"target": "1003", "kind": "agent"}},
        ]
        assert errors == []
    finally:
        ctx.close()


def test_a_transfer_carries_its_note_and_a_consultation_has_none(browser):
    """转接 has a 转接备注 (empty here: no intake form on this page; the seat's form fills it in,
    tests/browser/test_console_transfer_note.py), sent as typed without the blanks around it,
    and not at all when emptied; 咨询转接 and 三方通话 have none."""
    ctx, page, errors = state_bar_on_console(browser)
    try:
        push_state(page, "talking")
        note = page.locator("#xfer-note")
        page.click("#btn-transfer")
        expect(note).to_be_visible()
        expect(note).to_have_value("")
        page.fill("#xfer-target", "1002")
        note.fill("  客户家里停电两小时  ")
        page.click("#xfer-ok")
        page.click("#btn-transfer")
        expect(note).to_have_value("")  # a new dialog, a new note
        page.fill("#xfer-target", "1003")
        note.fill("   ")
        page.click("#xfer-ok")
        for button in ("btn-consult", "btn-conference"):
            page.click(f"#{button}")
            expect(note).to_be_hidden()
            page.click("#xfer-cancel")
        assert page.evaluate("window.commands") == [
            {"cmd": "transfer", "args": {"target": "1002", "note": "客户家里停电两小时"}},
            {"cmd": "transfer", "args": {"target": "1003"}},
        ]
        assert errors == []
    finally:
        ctx.close()
