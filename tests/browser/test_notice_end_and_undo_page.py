"""停电信息 in Chromium, the buttons on a row (QA-6, QA-30, QA-7): 提前结束 only on an outage that
has begun (a planned one is changed or withdrawn); its prompt starts empty, so Enter alone ends
nothing; an outage ended by mistake is put right with 撤销提前结束 on its 已结束 row; the search's
date boxes show the range the list is for."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from ticketing import knowledge
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.models import Site, User
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    now = dt.datetime.now(dt.UTC)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=1)
        boss = await db.scalar(select(User).where(User.staff_no == "3001"))
        gz = await db.scalar(select(Site.id).where(Site.code == "440100"))
        planned = await knowledge.publish_notice(
            db, boss, site_id=gz, area="人民路明日检修段", starts_at=now + dt.timedelta(hours=20),
            ends_at=now + dt.timedelta(hours=24),
        )  # fmt: skip
        on = await knowledge.publish_notice(
            db, boss, site_id=gz, area="中山路故障停电段", starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=5),
        )  # fmt: skip
        keys = {"planned": planned.notice_key, "on": on.notice_key}
    await engine.dispose()
    return keys


@pytest.fixture(scope="module")
def notices_console(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("notice-end") / "notice-end.db", _seed) as server:
        yield server


class _Prompts:
    """The page's prompt() dialogs: each one's message and pre-filled value kept, answered in
    turn with ``answers`` (None: 取消)."""

    def __init__(self, page, answers: list[str | None]) -> None:
        self.asked: list[tuple[str, str]] = []
        self._answers = list(answers)
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.asked.append((dialog.message, dialog.default_value))
        answer = self._answers.pop(0)
        if answer is None:
            dialog.dismiss()
        else:
            dialog.accept(answer)


def test_end_only_once_begun_never_on_enter_alone_and_undone_on_the_row(notices_console, browser):
    server = notices_console
    with signed_in(browser, server, "3001") as page:
        prompts = _Prompts(page, ["", "已恢复送电", "误点提前结束"])
        page.goto(f"{server.url}/notices")
        # the list is for today and the next 7 days, and the boxes say so
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        form = page.locator("#notice-search")
        expect(form.locator("input[name=from]")).to_have_value(today.isoformat())
        expect(form.locator("input[name=to]")).to_have_value((today + dt.timedelta(days=7)).isoformat())

        planned = page.locator(f"#notice-table tr[data-key='{server.seeded['planned']}']")
        on = page.locator(f"#notice-table tr[data-key='{server.seeded['on']}']")
        expect(planned.locator("[data-action]")).to_have_text(["变更", "撤销"])  # no 提前结束
        expect(on.locator("[data-action]")).to_have_text(["变更", "提前结束", "撤销"])

        # Enter alone: the prompt was empty, nothing is ended, the page says what is missing
        on.locator("[data-action=end]").click()
        expect(page.locator(".toast.refused")).to_contain_text("备注（必填）")
        message, prefilled = prompts.asked[0]
        assert prefilled == "" and "中山路故障停电段" in message and "来电查询不再播报" in message
        expect(on.locator("td").nth(5)).to_have_text("发布中")

        # ended with a reason typed: 已结束, and the row offers to undo it
        on.locator("[data-action=end]").click()
        expect(on.locator("td").nth(5)).to_have_text("已结束")
        expect(on.locator("[data-action]")).to_have_text(["撤销提前结束"])

        # 撤销提前结束: the end it had is back, published again
        on.locator("[data-action=undo_end]").click()
        expect(on.locator("td").nth(5)).to_have_text("发布中")
        expect(on.locator("[data-action]")).to_have_text(["变更", "提前结束", "撤销"])
        assert "来电查询重新播报" in prompts.asked[2][0] and prompts.asked[2][1] == ""
        expect(page.locator(".toast.ok").last).to_contain_text("已撤销提前结束")
