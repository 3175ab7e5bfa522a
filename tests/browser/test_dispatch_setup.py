"""外委单位 and 打印 in the real Chromium: an admin adds a contractor through the register page
(a bad email is marked on its input) and opens an order's print page. No Asterisk: the console
runs in-process on a seeded SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_story import VIEWPORT, sign_in
from tests.browser.test_reports import InProcessConsole
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser]
ADMIN = "9001"


async def _seed(url: str) -> str:
    from ticketing import create_order
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        demo = await seed_demo(db, customers=1)
        order = await create_order(
            db,
            demo.users["1001"],
            workflow="fault_repair",
            site_id=demo.sites["GZ"].id,
            form={"故障地址": "天河路 1 号 <b>", "所属供电局": "GZ"},
            opinion="客户来电报修",
        )
        number = order.number
    await engine.dispose()
    return number


@pytest.fixture
def setup_console(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}"
    found: list[str] = []
    worker = threading.Thread(target=lambda: found.append(asyncio.run(_seed(url))))
    worker.start()
    worker.join(300)
    server = InProcessConsole(url)
    server.start()
    yield server, found[0]
    server.stop()


@contextlib.contextmanager
def admin_on(browser, server, path: str):
    """A signed-in admin's page opened from the nav bar; no script error may happen on it."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, server.url, ADMIN, DEMO_PASSWORD)
        page.click(f"nav a[href='{path}']")
        yield page
        assert errors == []
    finally:
        context.close()


def test_an_admin_adds_a_contractor_and_prints_an_order(setup_console, browser):
    server, number = setup_console
    with admin_on(browser, server, "/admin/contractors") as page:
        form = page.locator("#contractor-form")
        form.locator("[name=name]").fill("粤电工程公司")
        form.locator("[name=phones]").fill("13800001111")
        form.locator("[name=email]").fill("not-an-email")
        # the browser's own check would stop a type=email input: let the server refuse it
        page.evaluate("document.querySelector('#contractor-form').noValidate = true")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=email]")).to_have_attribute("aria-invalid", "true")
        form.locator("[name=email]").fill("dispatch@yuedian.example")
        form.locator("button[type=submit]").click()
        row = page.locator("#contractor-list tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text("粤电工程公司")
        expect(row.locator("td").nth(2)).to_have_text("13800001111")

        page.goto(f"{server.url}/orders/{number}/print")
        expect(page.locator("#printed h1")).to_contain_text(number)
        expect(page.locator("#printed")).to_contain_text("天河路 1 号 <b>")  # shown as text
        expect(page.locator("#printed")).to_contain_text("客户来电报修")
        expect(page.locator("#print-now")).to_be_visible()


def test_an_admin_keeps_a_message_template_and_a_bad_one_is_marked(setup_console, browser):
    server, _ = setup_console
    with admin_on(browser, server, "/admin/message-templates") as page:
        form = page.locator("#msg-form")
        form.locator("[name=category]").fill("consult")
        form.locator("[name=node]").fill("nowhere")
        form.locator("[name=body]").fill("您的咨询{{ order.number }已答复")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=node]")).to_have_attribute("aria-invalid", "true")
        expect(form.locator("[name=body]")).to_have_attribute("aria-invalid", "true")
        form.locator("[name=node]").fill("done")
        form.locator("[name=body]").fill("您的咨询{{ order.number }}已答复")
        form.locator("[name=auto_send]").check()
        form.locator("button[type=submit]").click()
        rows = page.locator("#msg-list tbody tr")
        mine = rows.filter(has_text="您的咨询")
        expect(mine).to_have_count(1)
        expect(mine.locator("td").nth(2)).to_have_text("短信")
        mine.get_by_role("button", name="停用").click()
        expect(rows.filter(has_text="您的咨询").locator("td").nth(6)).to_have_text("已停用")
