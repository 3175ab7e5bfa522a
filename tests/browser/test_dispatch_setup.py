"""外委单位, 打印 and the message templates in the real Chromium: an admin adds a contractor
through the register page (a bad email is marked on its input, its categories ticked by name)
and opens an order's print page; keeps print and message templates whose workflow, category and
step are picked by name from selects (a refusal marks the field and keeps what was picked). No
Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

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
            site_id=demo.sites["440100"].id,
            form={"故障地址": "天河路 1 号 <b>", "所属供电局": "440100"},
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
        ("广州外委", {"site_id": demo.sites["440100"].id}),
        ("深圳外委", {"site_id": demo.sites["440300"].id}),
        ("全省外委", {}),
    ):
        await contractors.create(db, admin, {"name": name, "phones": ["13800001111"], **values})
    order = await create_order(
        db, demo.users["1001"], workflow="outsourced_pick", site_id=demo.sites["440106"].id
    )
    return order.number


@pytest.fixture
def setup_console(tmp_path):
    with seeded_console(tmp_path / "setup.db", _seed) as server:
        yield server, server.seeded


@contextlib.contextmanager
def admin_on(browser, server, path: str):
    """A signed-in admin's page opened from the nav bar; no script error may happen on it."""
    with signed_in(browser, server, ADMIN) as page:
        page.click("#nav-admin summary")  # 系统管理, the admin's setup pages
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
        categories = form.locator("#contractor-categories")
        # categories by name (a category is named by its workflows, one on another's workflow
        # by its own: 用户信息查询, 协调单), never typed as codes
        expect(categories.locator("label")).to_have_text(
            [
                "信息咨询",
                "用户信息查询",
                "故障报修",
                "协调单",
                "用电业务受理",
                "投诉举报建议",
                "售后报修",
                "外委维修",
            ]
        )
        categories.get_by_label("故障报修").check()
        categories.get_by_label("外委维修").check()
        form.locator("button[type=submit]").click()
        row = page.locator("#contractor-list tbody tr").filter(has_text="粤电工程公司")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text("粤电工程公司")
        expect(row.locator("td").nth(2)).to_have_text("13800001111")
        expect(row.locator("td").nth(4)).to_have_text("故障报修、外委维修")
        expect(categories.locator("input:checked")).to_have_count(0)  # the form is clear again
        row.get_by_role("button", name="修改").click()
        expect(categories.locator("input:checked")).to_have_count(2)
        expect(categories.get_by_label("故障报修")).to_be_checked()

        page.goto(f"{server.url}/orders/{number}/print")
        expect(page.locator("#printed h1")).to_contain_text(number)
        expect(page.locator("#printed")).to_contain_text("天河路 1 号 <b>")  # shown as text
        expect(page.locator("#printed")).to_contain_text("客户来电报修")
        expect(page.locator("#print-now")).to_be_visible()


def test_an_admin_keeps_a_message_template_and_a_bad_one_is_marked(setup_console, browser):
    server, _ = setup_console
    with admin_on(browser, server, "/admin/message-templates") as page:
        rows = page.locator("#msg-list tbody tr")
        seeded = rows.filter(has_text="【售后】")  # listed by name, not as aftersales / repair
        expect(seeded.locator("td").nth(0)).to_have_text("售后上门预约短信")
        expect(seeded.locator("td").nth(1)).to_have_text("售后报修")
        expect(seeded.locator("td").nth(2)).to_have_text("上门维修")
        form = page.locator("#msg-form")
        form.locator("[name=name]").fill("咨询办结短信")
        form.locator("[name=category]").select_option(label="信息咨询")
        expect(form.locator("[name=node] option")).to_have_text(["受理", "处理完毕"])
        form.locator("[name=node]").select_option(label="处理完毕")
        # 发给外委单位 only at a step that dispatches to one
        expect(form.locator("[name=audience] option[value=contractor]")).to_be_disabled()
        form.locator("[name=body]").fill("您的咨询{{ order.number }已答复")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=body]")).to_have_attribute("aria-invalid", "true")
        expect(form.locator("[name=category]")).to_have_value("consult")  # what was picked stays
        expect(form.locator("[name=node]")).to_have_value("done")
        form.locator("[name=body]").fill("您的咨询{{ order.number }}已答复")
        form.locator("[name=auto_send]").check()
        form.locator("button[type=submit]").click()
        mine = rows.filter(has_text="您的咨询")
        expect(mine).to_have_count(1)
        expect(mine.locator("td").nth(0)).to_have_text("咨询办结短信")
        expect(mine.locator("td").nth(1)).to_have_text("信息咨询")
        expect(mine.locator("td").nth(2)).to_have_text("处理完毕")
        expect(mine.locator("td").nth(3)).to_have_text("短信")

        # a second SMS to the customer at that step is refused until the first is disabled
        form.locator("[name=name]").fill("咨询已办结短信")
        form.locator("[name=category]").select_option(label="信息咨询")
        form.locator("[name=node]").select_option(label="处理完毕")
        form.locator("[name=body]").fill("咨询已办结")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=node]")).to_have_attribute("aria-invalid", "true")
        mine.get_by_role("button", name="停用").click()
        expect(rows.filter(has_text="您的咨询").locator("td").nth(7)).to_have_text("已停用")
        form.locator("button[type=submit]").click()
        expect(rows.filter(has_text="咨询已办结")).to_have_count(1)

        form.locator("[name=category]").select_option(label="外委维修")
        form.locator("[name=node]").select_option(label="外委处理")
        expect(form.locator("[name=audience] option[value=contractor]")).to_be_enabled()
        # 协调单 runs on 故障报修's workflow: its own templates are kept at that workflow's steps
        form.locator("[name=name]").fill("协调单受理短信")
        form.locator("[name=category]").select_option(label="协调单")
        form.locator("[name=node]").select_option(label="接收确认")
        form.locator("[name=audience]").select_option("customer")
        form.locator("[name=body]").fill("协调单{{ order.number }}已受理")
        form.locator("button[type=submit]").click()
        coordination = rows.filter(has_text="协调单{{")
        expect(coordination.locator("td").nth(1)).to_have_text("协调单")
        expect(coordination.locator("td").nth(2)).to_have_text("接收确认")
        # 修改 brings the template back by its name, which may be changed there
        coordination.get_by_role("button", name="修改").click()
        expect(form.locator("[name=name]")).to_have_value("协调单受理短信")
        expect(page.locator("#msg-form-title")).to_have_text("修改 · 协调单受理短信")
        form.locator("[name=name]").fill("协调单受理通知")
        form.locator("button[type=submit]").click()
        expect(coordination.locator("td").nth(0)).to_have_text("协调单受理通知")

        # in English too, each label's text sits on one line right above its field
        listed = rows.count()
        page.click("button[name=lang]")
        # the switch reloads the page and the list arrives after the form: measure once it is
        # drawn in English (the form moves down under it), label and field in one go
        expect(page.locator("#msg-form button[type=submit]")).to_have_text("Save")
        expect(rows).to_have_count(listed)
        subject = page.locator("#msg-form [name=subject]")
        expect(subject).to_be_visible()
        label, field = subject.evaluate(
            """f => [f.closest("label"), f].map((e) => {
                const r = e.getBoundingClientRect();
                return { x: r.x, y: r.y, width: r.width, height: r.height };
            })"""
        )
        assert field["x"] == label["x"] and field["width"] > 0.95 * label["width"]
        assert (
            0 < field["y"] - label["y"] < 30
            and label["y"] + label["height"] - (field["y"] + field["height"]) < 2
        )


def test_an_admin_keeps_a_print_template_picked_by_name(setup_console, browser):
    server, _ = setup_console
    with admin_on(browser, server, "/admin/print-templates") as page:
        form = page.locator("#print-form")
        # the template spans the form, below the short fields (not a tall narrow box beside them)
        whole, body = form.bounding_box(), form.locator("[name=body]").bounding_box()
        assert body["width"] > 0.95 * whole["width"]
        assert form.locator("[name=category]").bounding_box()["y"] < body["y"]
        form.locator("[name=name]").fill("低压抢修单")
        form.locator("[name=workflow_key]").select_option(label="故障报修")
        expect(form.locator("[name=node] option").nth(0)).to_have_text("全部步骤")
        expect(form.locator("[name=node] option").nth(3)).to_have_text("派工")
        form.locator("[name=node]").select_option(label="派工")
        expect(form.locator("[name=category] option")).to_have_text(
            ["全部类别", "低压故障", "高压故障", "计量装置故障", "电能质量"]
        )
        form.locator("[name=category]").select_option(label="低压故障")
        form.locator("[name=body]").fill("{{ order.__class__ }}")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=body]")).to_have_attribute("aria-invalid", "true")
        expect(form.locator("[name=node]")).to_have_value("dispatch")  # what was picked stays
        form.locator("[name=body]").fill("<h1>低压抢修单 {{ order.number }}</h1>")
        form.locator("button[type=submit]").click()
        row = page.locator("#print-list tbody tr").filter(has_text="低压抢修单")
        expect(row.locator("td").nth(1)).to_have_text("故障报修")  # by name, not fault_repair
        expect(row.locator("td").nth(2)).to_have_text("派工")
        expect(row.locator("td").nth(3)).to_have_text("低压故障")
        expect(form.locator("[name=node]")).to_have_value("")  # cleared: 全部步骤 again
        row.get_by_role("button", name="修改").click()
        expect(form.locator("[name=workflow_key]")).to_have_value("fault_repair")
        expect(form.locator("[name=node]")).to_have_value("dispatch")
        expect(form.locator("[name=category]")).to_have_value("fault_lv")


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
        page.select_option("#intake-fields [data-field='所属供电局']", value="440100")
        expect(pick).to_have_text(["—", "全省外委", "广州外委"])
        page.select_option("#intake-fields [data-field='外委单位']", label="广州外委")
        page.select_option("#intake-fields [data-field='所属供电局']", value="440300")
        # Shenzhen's contractor now; the Guangzhou one picked before is no longer offered
        expect(pick).to_have_text(["—", "全省外委", "深圳外委"])
        expect(page.locator("#intake-fields [data-field='外委单位']")).to_have_value("")
