"""The wallboard's 合计 is the hotline's own queues': a queue of another line (or a test) on the
same Asterisk is listed below the 合计, under 其他队列, and none of its callers counts in the
total's 排队, 最长等待 or 就绪坐席 (QA item 21: its abandons read the centre's 放弃率 100 %). The
real template and module in Chromium, fed the board its socket would push."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_keyboard_and_labels import ORIGIN, SOCKET, page  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

OTHER = "cti-elsewhere"


def _row(offered: int, answered: int, abandoned: int) -> dict:
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "service_level": answered / offered,
        "abandon_rate": abandoned / offered,
        "asa": 4.0 if answered else None,
        "aht": 60.0 if answered else None,
    }


def test_other_queues_stand_apart_below_the_hotlines_total(page):  # noqa: F811
    page.goto(f"{ORIGIN}/wallboard")
    page.evaluate(
        SOCKET
        + """(async ({ other, service, elsewhere }) => {
            const { start } = await import("/static/js/wallboard.js");
            start({ socket: window.sock, bar: { me: "3001" } });
            const now = Date.now() / 1000;
            window.push("board", { server_time: now, staffed_queues: ["service"], own_queues: ["fault", "service"],
                spies: [], calls: [],
                agents: [{ agent_id: "1005", name: "闫英平", state: "ready", since: now - 30 },
                         { agent_id: "7001", name: "", state: "ready", since: now - 30 }],
                queues: [
                    { queue: "service", waiting: 1, longest_wait: 12, agents_logged_in: 1,
                      members: [{ agent_id: "1005", paused: false }] },
                    { queue: other, waiting: 3, longest_wait: 300, agents_logged_in: 1,
                      members: [{ agent_id: "7001", paused: false }] },
                ],
                today: { period: "today", start: now - 3600, tz: "Asia/Shanghai", occupancy: null,
                         queues: { service, [other]: elsewhere }, total: service, other_queues: [other],
                         callbacks: {}, callbacks_total: 0 } });
        })""",
        {"other": OTHER, "service": _row(2, 2, 0), "elsewhere": _row(5, 0, 5)},
    )
    body = page.locator("#wb-queues tbody tr")
    expect(body).to_have_count(1)
    expect(body.first.locator("td").first).to_have_text("综合服务")
    foot = page.locator("#wb-queues tfoot tr")
    # the total first, the hotline's alone: 1 waiting for 12 s, 1 ready, 服务水平 100 %, 放弃率 0
    total = foot.nth(0)
    expect(total.locator("th")).to_have_text("合计")
    cells = total.locator("td")
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(1)).to_have_text(re.compile(r"^00:1\d$"))
    expect(cells.nth(2)).to_have_text("1")
    expect(cells.nth(6)).to_have_text("100%")
    expect(cells.nth(7)).to_have_text("0.0%")
    expect(cells.nth(8)).to_have_text("4.0 秒")  # ASA and AHT in the page's words, not "4.0 s"
    expect(cells.nth(9)).to_have_text("60.0 秒")
    # then the other queue, under its own heading, by what it is called
    expect(foot.nth(1)).to_have_text("其他队列（不属本热线，不计入合计）")
    expect(foot.nth(2)).to_have_attribute("data-queue", OTHER)
    expect(foot.nth(2).locator("td").nth(1)).to_have_text("3")
    expect(foot.nth(2).locator("td").nth(8)).to_have_text("100.0%")
    # 待回拨 lists the hotline's queues
    expect(page.locator("#wb-callbacks tbody tr")).to_have_count(1)
