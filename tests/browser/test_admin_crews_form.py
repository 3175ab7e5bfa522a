"""The 抢修班组 page at 1366×768 in the real Chromium: 修改 on a crew low in a long register
brings the form into view with its name ready to type, and 保存 sits beside 清空. No Asterisk:
the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    from sqlalchemy import select

    from ticketing import crews
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
        admin = await db.scalar(select(User).where(User.staff_no == "9001"))
        site = await db.scalar(select(Site).where(Site.code == "GZ-2"))
        # a register longer than the screen: the form is below the fold
        for n in range(1, 25):
            await crews.create(db, admin, {"name": f"越秀抢修{n:02d}班", "site_id": site.id, "sort": 10 + n})
    await engine.dispose()


@pytest.fixture
def crews_page(tmp_path):
    with seeded_console(tmp_path / "crews-form.db", _seed) as server:
        yield server


def test_edit_brings_the_form_into_view_and_its_buttons_share_a_row(crews_page, browser):
    with signed_in(browser, crews_page, "9001") as page:
        page.goto(f"{crews_page.url}/admin/crews")
        rows = page.locator("#crew-list tbody tr")
        expect(rows).to_have_count(30)
        form = page.locator("#crew-form")
        save, clear = form.locator("button[type=submit]"), form.locator("button[type=reset]")
        s, c = save.bounding_box(), clear.bounding_box()
        assert s and c and abs(s["y"] - c["y"]) < 2 and c["x"] > s["x"], (s, c)

        first = rows.filter(has_text="广州抢修一队")
        first.locator("button", has_text="修改").click()
        name = form.locator("[name=name]")
        expect(name).to_be_focused()
        expect(name).to_have_value("广州抢修一队")
        expect(page.locator("#crew-form-title")).to_have_text("修改 · 广州抢修一队")
        expect(name).to_be_in_viewport()
        expect(save).to_be_in_viewport()
