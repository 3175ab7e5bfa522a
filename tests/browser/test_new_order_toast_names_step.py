"""QA: the 新工单 pop-up named the order's status, not the step it reached: 5102, handed a fault
order's 派工, read 新工单 GZ…（接收确认）已流转给您, 接收确认 being 派工's status (the step before's
name). alerts.js names the step the event carries (TicketRouted.step); an order the system opened
naming no step (an IVR 留言's) is told by its notice's words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import SOCKET, console_page, serve_console

pytestmark = [pytest.mark.browser]

NUMBER = "GZ2026112900001"


def test_the_new_order_pop_up_names_the_step(browser):
    ctx, page, errors = console_page(browser, serve_console)
    try:
        page.evaluate(
            SOCKET
            + """(async () => {
                const { bindAlerts } = await import("/static/js/alerts.js");
                bindAlerts(window.sock);
                window.push("snapshot", { user: { staff_no: "5102" } });
            })()"""
        )
        routed = {"event": "TicketRouted", "order_id": 1, "number": NUMBER, "node": "dispatch",
                  "status": "接收确认", "handlers": ["5102"], "kind": "routed",
                  "message": "新工单已派给您：派工（状态：接收确认）", "step": "派工"}  # fmt: skip
        page.evaluate("(event) => window.push('order', { event })", routed)
        toasts = page.locator("#toasts .toast")
        expect(toasts).to_have_text([f"新工单 {NUMBER}（派工）已流转给您"])

        voicemail = routed | {"step": "", "node": "accept", "status": "已受理",
                              "message": "客户语音报修留言（12 秒）已生成工单，请回听录音、补全故障信息后提交"}  # fmt: skip
        page.evaluate("(event) => window.push('order', { event })", voicemail)
        expect(toasts.nth(1)).to_have_text(
            f"新工单 {NUMBER}：客户语音报修留言（12 秒）已生成工单，请回听录音、补全故障信息后提交"
        )
        assert errors == []
    finally:
        ctx.close()
