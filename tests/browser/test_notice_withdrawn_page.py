"""停电信息 in Chromium: with 含变更前 the list shows a withdrawn notice's last version as 已撤销,
its remark and who withdrew it when (QA: only version 1 showed, as 变更后)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> str:
    from sqlalchemy import select

    from ticketing import knowledge
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.models import Site, User
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=1)
        boss = await db.scalar(select(User).where(User.staff_no == "3001"))
        gz = await db.scalar(select(Site.id).where(Site.code == "440100"))
        start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=20)
        notice = await knowledge.publish_notice(
            db,
            boss,
            site_id=gz,
            area="天河路撤销测试段",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=4),
        )
        await knowledge.delete_notice(db, boss, notice.notice_key, remark="调度取消检修计划")
        key = notice.notice_key
    await engine.dispose()
    return key


@pytest.fixture(scope="module")
def notices_console(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("withdrawn") / "withdrawn.db", _seed) as server:
        yield server


def test_a_withdrawn_notice_reads_as_such_in_the_list(notices_console, browser):
    server = notices_console
    errors: list[str] = []
    with signed_in(browser, server, "3001", errors=errors) as page:
        page.goto(f"{server.url}/notices")
        form = page.locator("#notice-search")
        form.locator("input[name=changed]").check()
        form.locator("button").click()
        rows = page.locator(f"#notice-table tr[data-key='{server.seeded}']")
        expect(rows).to_have_count(2)
        withdrawn = rows.filter(has_text="已撤销")
        expect(withdrawn).to_contain_text("调度取消检修计划")
        expect(withdrawn.locator("[data-withdrawn-by]")).to_contain_text("（3001） 于")
        expect(withdrawn.locator("[data-withdrawn-by]")).to_contain_text("撤销")
        assert errors == []
