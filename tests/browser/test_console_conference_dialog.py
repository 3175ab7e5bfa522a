"""三方通话 in the real Chromium: the seat's top bar (statebar.js) asks for the colleague in the
转接 dialog, not in the browser's window.prompt (QA: unstyled, blocking, no list). The dialog lists
the colleagues signed in with their live state, 就绪 first (GET /api/colleagues); one is picked from
the list or its 工号 typed; Enter confirms, Esc cancels, the focus goes back to 三方通话; a refusal
is told in words. No console, no Asterisk: the socket is a stand-in that notes the commands and
refuses as the server would (tests/agent_ui/test_colleagues_list.py: the list's server side)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, push_state, serve_console, state_bar_on_console

pytestmark = pytest.mark.browser


def test_conference_asks_for_the_colleague_in_a_dialog_listing_them_ready_first(browser):
    colleagues = [
        {"agent_id": "1002", "name": "新员工", "state": "ready", "reason": ""},
        {"agent_id": "1003", "name": "赵坐席", "state": "paused", "reason": "用餐"},
        {"agent_id": "1004", "name": "", "state": "talking", "reason": ""},
    ]
    asked: list[str] = []

    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/api/colleagues":
            asked.append(path)
            route.fulfill(body=json.dumps({"items": colleagues}), content_type="application/json")
        else:
            serve_console(route)

    ctx, page, errors = state_bar_on_console(browser, serve)
    page.on("dialog", lambda d: (errors.append(f"a native prompt: {d.message}"), d.dismiss()))
    try:
        page.evaluate(
            """async () => {
                const { t } = await import("/static/js/i18n.js");
                // the server refuses a colleague who is not ready, in words (error_texts)
                window.sock.command = async (cmd, args) => {
                    window.sent.push([cmd, args]);
                    if (cmd === "conference" && args.agent === "1003") {
                        throw { errorId: "conference_target_not_ready",
                                message: t("error.conference_target_not_ready", { pause_reason: "（用餐）" }) };
                    }
                    return {};
                };
            }"""
        )
        push_state(page, "talking")
        dialog = page.locator("#xfer-dialog")
        rows = page.locator("#xfer-colleagues .colleague")

        # opened: titled 三方通话, the 工号 field focused, no target kinds, the colleagues listed
        page.click("#btn-conference")
        expect(dialog).to_be_visible()
        expect(page.locator("#xfer-title")).to_have_text("三方通话")
        expect(page.locator("#xfer-target")).to_be_focused()
        expect(page.locator("#xfer-kind")).to_be_hidden()
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("新员工 1002")
        expect(rows.nth(0)).to_contain_text("就绪")
        expect(rows.nth(1)).to_contain_text("暂停（用餐）")
        expect(rows.nth(2)).to_contain_text("1004")
        expect(rows.nth(2)).to_contain_text("通话中")
        # live: while the dialog is open the list follows the seats' states
        colleagues[2]["state"] = "ready"
        colleagues.insert(1, colleagues.pop(2))
        expect(rows.nth(1)).to_contain_text("就绪", timeout=6000)
        expect(rows.nth(1)).to_contain_text("1004")

        # Esc: nothing sent, the focus back on 三方通话
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.locator("#btn-conference")).to_be_focused()

        # picked from the list with the keyboard: Enter on the colleague, Enter on 确定
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        rows.first.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#xfer-target")).to_have_value("1002")
        expect(rows.first).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#xfer-ok")).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(page.locator("#toasts .toast.ok")).to_contain_text("三方通话")

        # typed, Enter in the field: the colleague who is on a break is refused, in words
        page.click("#btn-conference")
        expect(page.locator("#xfer-target")).to_have_value("")
        page.keyboard.type(" 1003 ")
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(page.locator("#toasts .toast.refused")).to_have_text("三方通话对象未就绪（用餐）。")

        # nothing typed: the dialog stays, nothing sent
        page.click("#btn-conference")
        page.click("#xfer-ok")
        expect(dialog).to_be_visible()
        page.click("#xfer-cancel")
        expect(dialog).to_be_hidden()

        assert page.evaluate("window.sent") == [
            ["conference", {"agent": "1002"}],
            ["conference", {"agent": "1003"}],
        ]
        assert asked  # the list came from the server
        assert errors == []
    finally:
        ctx.close()
