"""The order page of a 故障报修 at 回复客户 (QA-1, QA-2, QA-3), for the agent who took it, in Chromium.

QA-1: the page showed the workflow's 处理意见 * and, under 下一步, the step's generic box also
labelled 处理意见; what the agent typed into the lower one did not fill the required field. Now the
step's field (``opinion: true``) is the one box: the generic one is hidden there, and what the
agent writes in the field is the step's opinion on the timeline.

QA-2: 处理过程 listed 接收确认 twice (the handler's 接收确认 and the status it led to, also named
接收确认), and 已派工 apart from its 提交 派工. Now an action and the status it caused are one line,
the status worded as one (状态：…), at every step.

QA-3: 发传真's 收件人 started with the caller's mobile, which a send refuses; now it starts empty.
No Asterisk needed (in_process)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database, wall_time

pytestmark = [pytest.mark.browser]

AGENT = "1001"


async def _seed(url: str, numbers: dict[str, str]) -> None:
    """A fault order 1001 took with 需要回复客户, 5101 took in with an opinion at 接收确认 and
    dispatched, the crew's arrival and repair recorded: at 1001's 回复客户. Hours ago: each step's
    opinion is dated as its action (the database's clock would date it now, as it never is)."""
    from sqlalchemy import update

    from ticketing import approve, submit_step
    from ticketing.models import Comment

    async with demo_database(url) as demo:

        async def dated(at: dt.datetime) -> None:
            await demo.db.execute(
                update(Comment)
                .where(Comment.order_id == order.id, Comment.id > seen[0])
                .values(created_at=at)
            )
            seen[0] = max(c.id for c in await demo.db.scalars(select_comments(order.id)))

        handler = demo.users["5101"]
        now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=4)
        seen = [0]
        order = await demo.fault_order(now=now, caller_number=CALLER, form={"需要回复客户": True})
        await dated(now)
        later = {m: now + dt.timedelta(minutes=m) for m in (10, 20, 50, 120)}
        await approve(demo.db, handler, order, opinion="已接收，马上派工", now=later[10])
        await dated(later[10])
        for minutes, form in (
            (20, {"抢修人员": "张师傅", "派工时间": wall_time(later[20])}),
            (50, {"到达时间": wall_time(later[50]), "产权": "客户"}),
            (120, {"完成时间": wall_time(later[120]), "处理描述": "换了保险丝"}),
        ):
            await submit_step(demo.db, handler, order, form=form, now=later[minutes])
            await dated(later[minutes])
        assert order.current_node == "reply"
        numbers["reply"] = order.number


def select_comments(order_id: int):
    from sqlalchemy import select

    from ticketing.models import Comment

    return select(Comment).where(Comment.order_id == order_id)


def test_one_opinion_box_and_each_step_said_once(tmp_path, browser):
    numbers: dict[str, str] = {}
    with (
        seeded_console(tmp_path / "reply.db", _seed, numbers) as server,
        signed_in(browser, server, AGENT) as page,
    ):
        page.goto(f"{server.url}/orders/{numbers['reply']}")
        expect(page.locator("#order-status")).to_have_text("抢修完成")
        # one 处理意见 on the page: the step's own, required
        field = page.locator("#order-处理意见")
        expect(field).to_be_visible()
        expect(page.locator("label[data-label-of=处理意见]")).to_have_class("req")
        expect(page.locator("#order-opinion")).to_be_hidden()
        expect(page.locator("#order-opinion-label")).to_be_hidden()
        expect(page.locator("label:visible").filter(has_text=re.compile("^处理意见$"))).to_have_count(1)

        # 处理过程: 接收确认 once, with the status it led to worded as a status
        timeline = page.locator("#order-timeline")
        receipt = timeline.locator("li", has_text="接收确认 · ")
        expect(receipt).to_have_count(1)
        expect(receipt).to_contain_text("状态：接收确认")
        expect(receipt).to_contain_text("已接收，马上派工")
        # every step alike: 派工 (no opinion) is one line naming its action and its status
        dispatched = timeline.locator("li", has_text="状态：已派工")
        expect(dispatched).to_have_count(1)
        expect(dispatched).to_contain_text("提交 派工 · ")
        expect(dispatched).to_contain_text("（5101）")
        for status in ("已受理", "已流转", "接收确认", "已派工", "正在现场抢修", "抢修完成"):
            expect(timeline.locator("li", has_text=f"状态：{status}")).to_have_count(1)

        # QA-3: 发传真 offers no number to a caller on a mobile (13800001111 takes no fax)
        expect(page.locator("#fax-form")).to_be_visible()
        expect(page.locator("#fax-to")).to_have_value("")

        # what the agent writes in the step's 处理意见 is the step's opinion
        field.fill("已电话告知客户恢复供电")
        page.fill("#order-回复内容", "已恢复供电")
        page.select_option("#order-客户满意", "满意")
        page.click("#order-submit")
        expect(page.locator("#order-status")).to_have_text("全部处理完毕", timeout=10_000)
        replied = timeline.locator("li", has_text="状态：全部处理完毕")
        expect(replied).to_have_count(1)
        expect(replied).to_contain_text("提交 回复客户 · ")
        expect(replied).to_contain_text("已电话告知客户恢复供电")
