"""派工 in the real Chromium: 派工时间 (``default: now``) starts at the time the step opens, so
the dispatcher picks a crew and 提交 without typing the time. No Asterisk: the console runs
in-process on a seeded SQLite database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]
SH = ZoneInfo("Asia/Shanghai")
HANDLER = "5101"  # the demo's 广州 handler


async def _seed(url: str, seeded: dict) -> None:
    from sqlalchemy import select

    from ticketing import create_order, submit_step
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import add_demo_crews, seed_demo
    from ticketing.models import Site, User
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=5)
        await add_demo_crews(db)
        users = {u.staff_no: u for u in await db.scalars(select(User))}
        sites = {s.code: s for s in await db.scalars(select(Site))}
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
        order = await create_order(
            db,
            users["1001"],
            workflow="fault_repair",
            site_id=sites["GZ-1"].id,
            now=now,
            form={"故障地址": "天河路1号", "所属供电局": "GZ-1"},
        )
        await submit_step(db, users[HANDLER], order, now=now + dt.timedelta(minutes=5))
        seeded["number"] = order.number
    await engine.dispose()


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
        # 处理过程 names the crew dispatched, beside 已派工
        picked = page.locator('#order-timeline li[data-action="dispatch_crew"]')
        expect(picked).to_contain_text("派工（抢修班组）")
        expect(picked).to_contain_text("天河抢修班（")
