"""QA 2026-11-29 #3 in the real Chromium: the fault order an IVR 故障报修留言 opened (故障报修, no
小类别) on its agent's desk at 受理. The order page had no 小类别 picker and 提交 routed it on
without one. Its create step now asks for the 小类别 as the seat's intake does: 提交 without one is
refused (表单有误：小类别（必填）), the picker marked; picked, 提交 sends it on with the order."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str]) -> None:
    from ticketing import create_order

    async with demo_database(url) as demo:
        # as Intake.open_fault_report makes it: the workflow's category, no 小类别, held by 1001
        order = await create_order(
            demo.db,
            demo.users["1001"],
            workflow="fault_repair",
            site_id=demo.sites["440100"].id,
            form={"故障地址": "天河路1号", "所属供电局": "440100"},
            caller_number=CALLER,
            submit=False,
        )
        numbers["order"] = order.number


@pytest.fixture
def voicemail_order(tmp_path):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "subcategory.db", _seed, numbers) as server:
        yield server, numbers["order"]


def test_the_create_step_asks_for_the_subcategory(voicemail_order, browser):
    server, number = voicemail_order
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{number}")
        pick = page.locator("#order-subcategory-pick")
        expect(pick).to_be_visible(timeout=10_000)
        expect(page.locator("label[for=order-subcategory-pick]")).to_have_text("小类别")
        expect(pick.locator("option")).to_have_text(
            ["— 故障报修：请选择小类别 —", "低压故障", "高压故障", "计量装置故障", "电能质量"]
        )

        page.click("#order-submit")
        expect(page.locator(".toast.refused").last).to_contain_text("小类别（必填）")
        expect(pick).to_have_attribute("aria-invalid", "true")
        expect(pick).to_be_focused()
        expect(page.locator("#order-status")).to_have_text("已受理")

        pick.select_option(label="低压故障")
        page.click("#order-submit")
        expect(page.locator("#order-status")).not_to_have_text("已受理")
        expect(page.locator("#order-category")).to_have_text("故障报修 / 低压故障")
        expect(page.locator("#order-subcategory-pick")).to_have_count(0)  # the create step is done
