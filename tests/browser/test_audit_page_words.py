"""QA: 审计日志 showed raw codes (order.create, user.login; the fields status, node, site_id; the
step accept), a sign-in as "账号 7" and an order's whole form JSON across the cell. In Chromium
the page now names actions, fields, steps and sites in Chinese (the code on hover), an account by
its name and 工号, and folds a long JSON value. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]


async def _seed_order(url: str) -> str:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Site, User
    from ticketing.workflow.engine import create_order

    await demo_only(url, 1)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        agent = await db.scalar(select(User).where(User.staff_no == "1001"))
        site_id = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        form = {"咨询内容": "电费怎么交" * 8, "答复内容": "营业厅或网上国网，也可以在支付宝缴费" * 3}
        order = await create_order(db, agent, workflow="consult", site_id=site_id, form=form, link_call=False)
        number = order.number
    await engine.dispose()
    return number


@pytest.fixture
def audit_console(tmp_path):
    with seeded_console(tmp_path / "audit.db", _seed_order) as server:
        yield server


def test_the_audit_log_reads_in_words(audit_console, browser):
    server = audit_console
    with admin_on(browser, server, "/admin/audit") as page:
        created = page.locator("#audit-rows tbody tr[data-action='order.create']").first
        expect(created.locator("td").nth(2)).to_have_text("新建工单")
        expect(created.locator("td").nth(2)).to_have_attribute("title", "order.create")
        expect(created.locator("[data-field=node] b")).to_have_text("步骤")
        expect(created.locator("[data-field=node]")).to_contain_text("受理")
        expect(created.locator("[data-field=node]")).not_to_contain_text("accept")
        expect(created.locator("[data-field=site_id] b")).to_have_text("单位")
        expect(created.locator("[data-field=status] b")).to_have_text("状态")
        # the category by its name, with the full-width colon (QA: 类别: — → consult)
        expect(created.locator("[data-field=category]")).to_contain_text("类别：")
        expect(created.locator("[data-field=category]")).not_to_contain_text("consult")
        form = created.locator("[data-field=form] details")
        expect(form).to_have_count(1)  # folded: its fields only once opened, one a line
        expect(form.locator(".audit-fields")).to_be_hidden()
        form.locator("summary").click()
        expect(form.locator(".audit-fields")).to_contain_text("咨询内容：电费怎么交")

        login = page.locator("#audit-rows tbody tr[data-action='user.login']").first
        expect(login.locator("td").nth(2)).to_have_text("登录")
        # worded as 操作人 is, full-width (it read 账号 管理员 (9001))
        expect(login.locator("td").nth(3)).to_have_text("账号 管理员（9001）")
