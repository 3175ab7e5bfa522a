"""账号管理's 停用 of a 远程处理人 in the real Chromium (QA 2026-11-29 #11): the confirmation says
what becomes of the open orders whose step they hold (how many; to a colleague at the step or
待改派), and nothing of a seat they do not have; an agent's still speaks of their seat. In-process
console on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    async with demo_database(url, customers=1) as demo:
        for place in ("中山路1号", "中山路2号"):  # two orders whose 接收确认 waits for 5101 (and 5102)
            await demo.fault_order(
                site="440106",
                address=f"广州市天河区{place}",
                form={"故障名称": "家中停电", "所属供电局": "440100"},
                caller_number="13800138000",
            )


@pytest.fixture
def handler_console(tmp_path):
    with seeded_console(tmp_path / "handlers.db", _seed) as server:
        yield server


def _confirmation(page, staff_no: str) -> str:
    said: list[str] = []

    def dismiss(dialog):
        said.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator(f"#user-list tbody tr[data-staff='{staff_no}'] [data-act=toggle]").click()
    expect(page.locator(f"#user-list tbody tr[data-staff='{staff_no}'] td").nth(5)).not_to_have_text("已停用")
    assert said, "no confirmation"
    return said[0]


def test_disabling_a_handler_says_where_their_open_orders_go(handler_console, browser):
    with admin_on(browser, handler_console, "/admin/users") as page:
        expect(page.locator("#user-list tbody tr[data-staff='5101']")).to_have_count(1)
        words = _confirmation(page, "5101")
        assert words.startswith("停用 ") and "坐席" not in words and "来电" not in words
        assert "其名下 2 张未办结工单" in words and "待改派" in words
        agent = _confirmation(page, "1002")
        assert "坐席从所有队列签出" in agent and "未办结工单" not in agent  # 1002 holds none
