"""On the order page in Chromium: 申请延期 (dialog) and its approval, 退单 at 接收确认, and 作废 of
a duplicate naming the order it repeats."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_story import VIEWPORT, sign_in
from tests.browser.test_reports import InProcessConsole
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser]
SH = ZoneInfo("Asia/Shanghai")


async def _seed(url: str, numbers: dict[str, str]) -> None:
    from sqlalchemy import select

    from ticketing import create_order
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.models import Site, User
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=5)
        users = {u.staff_no: u for u in await db.scalars(select(User))}
        gz = await db.scalar(select(Site.id).where(Site.code == "GZ"))
        for name in ("first", "again"):
            order = await create_order(
                db,
                users["1001"],
                workflow="fault_repair",
                site_id=gz,
                form={"故障地址": "天河路1号", "所属供电局": "GZ", "大面积停电": True},
                caller_number="13800001111",
            )
            numbers[name] = order.number
            numbers[f"{name}_due"] = order.due_at.astimezone(SH).strftime("%Y-%m-%dT%H:%M")
    await engine.dispose()


@pytest.fixture
def orders_console(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'void.db'}"
    numbers: dict[str, str] = {}
    worker = threading.Thread(target=asyncio.run, args=(_seed(url, numbers),))
    worker.start()
    worker.join(300)
    assert "again" in numbers
    server = InProcessConsole(url)
    server.start()
    yield server, numbers
    server.stop()


def test_extension_return_and_void_on_the_order_page(orders_console, browser):
    server, numbers = orders_console
    errors: list[str] = []
    handler = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    supervisor = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        page = handler.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, server.url, "5101", DEMO_PASSWORD)
        page.goto(f"{server.url}/orders/{numbers['first']}")
        expect(page.locator("#order-reject")).to_have_text("退单")
        page.click("#extension-request")
        later = dt.datetime.fromisoformat(numbers["first_due"]) + dt.timedelta(hours=2)
        page.fill("#extension-due", later.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#extension-reason", "暴雨，道路积水")
        page.click("#extension-send")
        expect(page.locator("#extension-pending")).to_contain_text("待审批")
        expect(page.locator("#extension-request")).to_have_count(0)

        boss = supervisor.new_page()
        boss.on("pageerror", lambda exc: errors.append(str(exc)))
        boss.on("dialog", lambda dialog: dialog.accept())
        sign_in(boss, server.url, "3001", DEMO_PASSWORD)
        boss.goto(f"{server.url}/orders/{numbers['first']}")
        boss.click("#extension-approve")
        expect(boss.locator("#extension-pending")).to_have_count(0)
        expect(boss.locator("#order-timeline li[data-action='extend_approve']")).to_contain_text("批准延期")

        # the duplicate: 作废, naming the order it repeats
        boss.goto(f"{server.url}/orders/{numbers['again']}")
        boss.fill("#order-opinion", "同一停电区域重复报修")
        boss.fill("#order-duplicate-of", numbers["first"])
        boss.click("#order-void")
        expect(boss.locator("#order-status")).to_have_text("已作废")
        expect(boss.locator("#order-links-duplicate_of")).to_contain_text(numbers["first"])
        boss.goto(f"{server.url}/orders/{numbers['first']}")
        expect(boss.locator("#order-links-duplicates")).to_contain_text(numbers["again"])

        # 退单: back to 受理, for the agent to correct 所属供电局
        page.reload()
        page.fill("#order-opinion", "退单：地址不在本局")
        page.click("#order-reject")
        expect(page.locator("#order-status")).to_have_text("已受理")
        assert not errors, errors
    finally:
        handler.close()
        supervisor.close()
