"""QA: 填写受理工单 from the 异步事件 inbox with a subcategory picked (用电业务受理 / 高压新装) opened
the order's create step with 业务类型 free to change, where the seat's intake form sets and locks
what the subcategory decides. In Chromium the order page now shows it set and locked, the same way
(forms.js lockBound), and saves without it. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _seed_sms(url: str) -> int:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.intake import Intake, assign_to
    from ticketing.models import User

    await demo_only(url, 1)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        event = await Intake().receive(db, "sms", "sms-bound-1", sender="13100000482", content="申请高压新装")
        await assign_to(db, None, event, await db.scalar(select(User).where(User.staff_no == "1001")))
        event_id = event.id
    await engine.dispose()
    return event_id


@pytest.fixture
def bound_console(tmp_path):
    with seeded_console(tmp_path / "inbox-bound.db", _seed_sms) as server:
        yield server


def test_an_events_order_has_its_subcategorys_fields_set_and_locked(bound_console, browser):
    server = bound_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{server.seeded}']")
        row.locator("select").select_option(label="用电业务受理 / 高压新装")
        row.locator("text=填写受理工单").click()
        fields = page.locator("#order-fields")
        kind = fields.locator("[data-field='业务类型']")
        expect(kind).to_have_value("高压新装", timeout=10_000)
        expect(kind).to_be_disabled()
        expect(kind).to_have_attribute("data-bound", "subcategory")
        expect(kind).to_have_attribute("title", "由所选小类别决定")
        # the rest of the create step is the agent's, the subcategory's own form too
        expect(fields.locator("[data-field='用电地址']")).to_be_enabled()
        expect(fields.locator("[data-field='受电变压器容量']")).to_be_enabled()

        # the seat's intake form, whose way it is (the one lockBound): the same field, the same lock
        page.goto(f"{server.url}/")
        page.select_option("#intake-category", label="用电业务受理")
        page.select_option("#intake-subcategory", label="高压新装")
        intake = page.locator("#intake-业务类型")
        expect(intake).to_have_value("高压新装")
        expect(intake).to_be_disabled()
        expect(intake).to_have_attribute("title", "由所选小类别决定")
