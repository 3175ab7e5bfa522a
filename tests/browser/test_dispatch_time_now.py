"""派工 in the real Chromium: 派工时间 (``default: now``) starts at the time the step opens, so
the dispatcher picks a crew and 提交 without typing the time; 到达时间 at 到达现场 and 完成时间 at
抢修完成 likewise. No Asterisk: the console runs
in-process on a seeded SQLite database."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import SH, demo_database

pytestmark = [pytest.mark.browser]
HANDLER = "5101"  # the demo's 广州 handler


async def _seed(url: str, seeded: dict) -> None:
    async with demo_database(url, crews=True) as demo:
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
        seeded["number"] = (await demo.order_at_dispatch(now, handler=HANDLER)).number


@pytest.fixture
def dispatch_console(tmp_path):
    seeded: dict = {}
    with seeded_console(tmp_path / "dispatch-now.db", _seed, seeded) as server:
        yield server, seeded


def test_the_dispatch_time_starts_now_and_the_dispatcher_need_not_type_it(dispatch_console, browser):
    server, seeded = dispatch_console
    with signed_in(browser, server, HANDLER) as page:
        opened = dt.datetime.now(SH).replace(second=0, microsecond=0)
        page.goto(f"{server.url}/orders/{seeded['number']}")
        expect(page.locator("#order-node")).to_have_text("派工")
        when = page.locator("#order-派工时间")
        expect(when).not_to_have_value("")
        shown = dt.datetime.strptime(when.input_value(), "%Y-%m-%dT%H:%M").replace(tzinfo=SH)
        assert opened - dt.timedelta(minutes=1) <= shown <= dt.datetime.now(SH), shown  # the site's time now
        picker = page.locator("#order-抢修班组")
        picker.select_option(
            label=next(t for t in picker.locator("option").all_inner_texts() if t.startswith("天河抢修班"))
        )
        page.click("#order-submit")
        expect(page.locator("#order-node")).to_have_text("到达现场")
        expect(page.locator("#order-派工时间")).to_have_value(shown.strftime("%Y-%m-%d %H:%M"))
        # the crew's arrival and finish start at now as well (0043): 提交 without typing them
        for step, name, also in (
            ("到达现场", "到达时间", ("#order-产权", "客户")),
            ("抢修完成", "完成时间", None),
        ):
            expect(page.locator("#order-node")).to_have_text(step)
            started = page.locator(f"#order-{name}")
            expect(started).not_to_have_value("")
            at = dt.datetime.strptime(started.input_value(), "%Y-%m-%dT%H:%M").replace(tzinfo=SH)
            assert shown <= at <= dt.datetime.now(SH), (name, at)
            if also:
                page.select_option(*also)
            else:
                page.fill("#order-处理描述", "更换熔断器")
            page.click("#order-submit")
        expect(page.locator("#order-node")).not_to_have_text("抢修完成")
        # 处理过程 names the crew dispatched, beside 已派工
        picked = page.locator('#order-timeline li[data-action="dispatch_crew"]')
        expect(picked).to_contain_text("派工（抢修班组）")
        expect(picked).to_contain_text("天河抢修班（")
