"""QA: on the supervisor's wallboard at 1366×768 a seat's tile put the agent's name and its
话后处理 badge on two lines (the name wrapped, the badge dropped below it). In Chromium at 1366×768
the name, the state badge and the clock now share one line on every tile; a name too long for
the tile is cut with … and its full text is the name's title (on hover).

No Asterisk: the console runs in-process; once the server's own (empty) board has come, the
board with the seats is handed to the page as the socket hands it one (``board``)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
SMALL = {"width": 1366, "height": 768}
SUPERVISOR = "3001"
LONG_NAME = "欧阳司马诸葛长孙慕容上官晓明"

# each part of a tile's top line: its box, and how many lines its text takes (a Range's boxes,
# one per line the text is laid out on)
LINE = """(tile) => {
  const top = tile.querySelector(".top");
  const part = (el) => {
    const box = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return { top: box.top, bottom: box.bottom, left: box.left, right: box.right, lines: lines.size,
             title: el.title || "", cut: el.scrollWidth > el.clientWidth };
  };
  const tileBox = tile.getBoundingClientRect();
  return { name: part(top.querySelector("b")), badge: part(top.querySelector(".state")),
           timer: part(top.querySelector(".timer")), tile: { left: tileBox.left, right: tileBox.right } };
}"""


def _one_line(found: dict) -> None:
    name, badge, timer, tile = found["name"], found["badge"], found["timer"], found["tile"]
    assert name["lines"] == 1 and badge["lines"] == 1 and timer["lines"] == 1, found
    # one line box: each part's vertical extent overlaps the others', left to right in order
    for a, b in ((name, badge), (badge, timer)):
        assert a["top"] < b["bottom"] and b["top"] < a["bottom"], found
        assert a["right"] <= b["left"] + 0.5, found
    assert tile["left"] <= name["left"] and timer["right"] <= tile["right"], found


def test_a_seat_in_after_call_work_keeps_name_and_badge_on_one_line_at_1366(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, SUPERVISOR, viewport=SMALL) as page:
        page.goto(f"{users_console.url}/wallboard")
        # the server's board has come (no seat signed in: every expected agent is 未签入)
        expect(page.locator("#wb-summary")).to_contain_text("未签入")
        since = time.time() - 65
        agents = [
            {
                "agent_id": "1001",
                "name": "欧阳晓明",
                "state": "after_call_work",
                "reason": "",
                "since": since,
            },
            {"agent_id": "1002", "name": "张伟", "state": "talking", "reason": "", "since": since},
            {"agent_id": "1003", "name": LONG_NAME, "state": "after_call_work", "reason": "", "since": since},
            {"agent_id": "1004", "name": "李娜", "state": "not_ready", "reason": "小休", "since": since},
            {"agent_id": "1005", "name": "王芳", "state": "ready", "reason": "", "since": since},
            {"agent_id": "1006", "name": "陈静", "state": "ringing", "reason": "", "since": since},
        ]
        page.evaluate(
            """(agents) => window.hotline.socket.dispatchEvent(new CustomEvent("board", { detail: {
                server_time: Date.now() / 1000, agents, calls: [], queues: [], spies: [], forced: [] } }))""",
            agents,
        )
        acw = page.locator("#wb-seats .seat[data-agent='1001']")
        expect(acw.locator(".state")).to_have_text("话后处理")
        # the smallest screen the console is made for: six tiles a row, each about 215 px wide
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        found = acw.evaluate(LINE)
        _one_line(found)
        assert not found["name"]["cut"], found  # an ordinary name is shown whole
        assert found["name"]["title"] == "欧阳晓明 1001"

        long = page.locator("#wb-seats .seat[data-agent='1003']")
        found = long.evaluate(LINE)
        _one_line(found)
        assert found["name"]["cut"], found  # cut with … (text-overflow), its full text on hover
        assert found["name"]["title"] == f"{LONG_NAME} 1003"
        assert long.locator(".top b").evaluate("(b) => getComputedStyle(b).textOverflow") == "ellipsis"
        for agent in agents:  # every state's badge, not only 话后处理
            _one_line(page.locator(f"#wb-seats .seat[data-agent='{agent['agent_id']}']").evaluate(LINE))
