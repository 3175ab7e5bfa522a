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


async def _seed(url: str) -> dict[str, str]:
    """The order numbers: ``fault`` (a fault report to print), ``pick`` (waiting for a contractor)."""
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
        numbers = {"fault": order.number, "pick": await _contractor_pick(db, demo)}
    await engine.dispose()
    return numbers


PICK_FLOW = {
    "key": "outsourced_pick",
    "name": "外委维修",
    "category": "outsourced",
    "fields": {"外委单位": {"type": "contractor"}},
    "nodes": [
        {"id": "start", "type": "create", "exits": [{"to": "pick"}]},
        {
            "id": "pick",
            "name": "选择外委单位",
            "type": "realize",
            "operators": {"batches": [[{"user": "1001"}]]},
            "fields": {"外委单位": "required"},
            "exits": [{"to": "outsource"}],
        },
        {
            "id": "outsource",
            "name": "外委处理",
            "type": "realize",
            "contractor": {"field": "外委单位", "channels": ["sms"]},
            "operators": {"batches": [[{"user": "1001"}]]},
            "fields": {"外委单位": "visible"},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


INTAKE_FLOW = {
    **PICK_FLOW,
    "key": "outsourced_intake",
    "fields": {"外委单位": {"type": "contractor"}, "所属供电局": {"type": "site"}},
    "nodes": [
        {
            "id": "start",
            "type": "create",
            "fields": {"所属供电局": "editable", "外委单位": "editable"},
            "exits": [{"to": "outsource"}],
        },
        *PICK_FLOW["nodes"][2:],
    ],
}


async def _contractor_pick(db, demo) -> str:
    """Three contractors, one order of Guangzhou waiting at 1001's step for one of them, and a
    category whose intake form picks the contractor beside the site."""
    from ticketing import contractors, create_order
    from ticketing.models import Category
    from ticketing.workflow.store import import_definition

    await import_definition(db, PICK_FLOW)
    await import_definition(db, INTAKE_FLOW)
    db.add(Category(code="outsourced", name="外委维修", workflow_key="outsourced_intake", sort=99))
    admin = demo.users[ADMIN]
    for name, values in (
        ("广州外委", {"site_id": demo.sites["GZ"].id}),
        ("深圳外委", {"site_id": demo.sites["SZ"].id}),
        ("全省外委", {}),
    ):
        await contractors.create(db, admin, {"name": name, "phones": ["13800001111"], **values})
    order = await create_order(
        db, demo.users["1001"], workflow="outsourced_pick", site_id=demo.sites["GZ-1"].id
    )
    return order.number


@pytest.fixture
def setup_console(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}"
    found: list[dict[str, str]] = []
    worker = threading.Thread(target=lambda: found.append(asyncio.run(_seed(url))))
    worker.start()
    worker.join(300)
    server = InProcessConsole(url)
    server.start()
    yield server, found[0]
    server.stop()


@contextlib.contextmanager
def signed_in(browser, server, staff_no: str):
    """A page of ``staff_no`` signed in to the console; no script error may happen on it."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, server.url, staff_no, DEMO_PASSWORD)
        yield page
        assert errors == []
    finally:
        context.close()


@contextlib.contextmanager
def admin_on(browser, server, path: str):
    """A signed-in admin's page opened from the nav bar; no script error may happen on it."""
    with signed_in(browser, server, ADMIN) as page:
        page.click(f"nav a[href='{path}']")
        yield page


def test_an_admin_adds_a_contractor_and_prints_an_order(setup_console, browser):
    server, numbers = setup_console
    number = numbers["fault"]
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
        row = page.locator("#contractor-list tbody tr").filter(has_text="粤电工程公司")
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


def test_a_step_offers_only_the_contractors_whose_area_holds_the_order(setup_console, browser):
    server, numbers = setup_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{numbers['pick']}")
        pick = page.locator("[data-field='外委单位']")
        # a Guangzhou outlet's order: the Guangzhou contractor and the province-wide one, not Shenzhen's
        expect(pick.locator("option")).to_have_text(["—", "全省外委", "广州外委"])
        pick.select_option(label="广州外委")
        page.locator("#order-submit").click()
        expect(page.locator("#order-contractor")).to_contain_text("广州外委")


def test_intake_offers_the_contractors_of_the_site_picked_in_the_form(setup_console, browser):
    server, _ = setup_console
    with signed_in(browser, server, "1001") as page:  # an agent of the provincial centre
        page.select_option("#intake-category", label="外委维修")
        pick = page.locator("#intake-fields [data-field='外委单位'] option")
        # no site picked: the order would be the agent's own site, above every bureau's area
        expect(pick).to_have_text(["—", "全省外委"])
        page.select_option("#intake-fields [data-field='所属供电局']", value="GZ")
        expect(pick).to_have_text(["—", "全省外委", "广州外委"])
        page.select_option("#intake-fields [data-field='外委单位']", label="广州外委")
        page.select_option("#intake-fields [data-field='所属供电局']", value="SZ")
        # Shenzhen's contractor now; the Guangzhou one picked before is no longer offered
        expect(pick).to_have_text(["—", "全省外委", "深圳外委"])
        expect(page.locator("#intake-fields [data-field='外委单位']")).to_have_value("")
