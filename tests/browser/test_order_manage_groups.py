"""The order page's manage row for a team leader in Chromium at 1366×768 (QA): one row held
交给 [工号或姓名][list] [重复于工单号] [高▾] 转派 改派 督办 作废, wrapping over three lines, with
nothing saying which input went with which button, the urgencies as 高, 紧急, 一般, and a team
leader told to 联系班长改派 beside their own 改派. Now each action sits boxed with its inputs
(转派/改派: 交给; 督办: 紧急程度 一般、高、紧急; 作废: 重复于工单号), each box on one line, and
someone who may 改派 is pointed at it. 处理过程 names 接收确认 as its button does (not 批准
接收确认). No Asterisk needed (in_process)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, LEADER, demo_database, wall_time

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str]) -> None:
    """A fault order 5101 took in with an opinion at 接收确认 and repaired: at 2001's 满意度回访,
    which nobody else may hold (the supervisor 3001, the step's second batch, is disabled)."""
    from sqlalchemy import update

    from ticketing import approve, submit_step
    from ticketing.models import User

    async with demo_database(url) as demo:
        await demo.db.execute(update(User).where(User.staff_no == "3001").values(active=False))
        handler = demo.users["5101"]
        now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=4)
        order = await demo.fault_order(now=now, caller_number=CALLER)
        later = {m: now + dt.timedelta(minutes=m) for m in (10, 20, 50, 120)}
        await approve(demo.db, handler, order, opinion="已接收，马上派工", now=later[10])
        for minutes, form in (
            (20, {"抢修人员": "张师傅", "派工时间": wall_time(later[20])}),
            (50, {"到达时间": wall_time(later[50]), "产权": "客户"}),
            (120, {"完成时间": wall_time(later[120]), "处理描述": "换了保险丝"}),
        ):
            await submit_step(demo.db, handler, order, form=form, now=later[minutes])
        numbers["visit"] = order.number


#: the manage boxes and what each holds, in order (the blocked note of a disabled action last)
GROUPS = {
    "hand_over": ["order-manage-target", "order-manage-search", "order-forward", "order-reassign"],
    "supervise": ["order-manage-urgency", "order-supervise"],
    "void": ["order-duplicate-of", "order-void"],
}


def test_each_action_sits_with_its_own_inputs_on_one_line(tmp_path, browser):
    numbers: dict[str, str] = {}
    errors: list[str] = []
    with (
        seeded_console(tmp_path / "manage.db", _seed, numbers) as server,
        signed_in(browser, server, LEADER, errors=errors) as page,
    ):
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        expect(page.locator("#order-status")).to_have_text("全部处理完毕")
        manage = page.locator("#order-manage")
        expect(manage.locator(".manage-group")).to_have_count(3)
        for name, ids in GROUPS.items():
            box = manage.locator(f".manage-group[data-group={name}]")
            for id_ in ids:
                expect(box.locator(f"#{id_}")).to_have_count(1)
            # a box's inputs and buttons on one line: none wraps inside it
            tops = box.evaluate(
                "b => [...b.children].filter(c => !c.classList.contains('blocked-why'))"
                ".map(c => Math.round(c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2))"
            )
            assert max(tops) - min(tops) <= 4, (name, tops)
        # 督办's urgencies least to most pressing, 高 as before; each input labelled by its action's words
        urgency = page.locator("#order-manage-urgency")
        assert urgency.locator("option").all_inner_texts() == ["一般", "高", "紧急"]
        expect(urgency).to_have_value("high")
        expect(page.get_by_label("紧急程度")).to_have_id("order-manage-urgency")
        expect(page.get_by_label("重复于工单号")).to_have_id("order-duplicate-of")
        expect(page.get_by_role("group", name="作废")).to_have_attribute("data-group", "void")

        # nobody but 2001 may hold the visit step: 转派 is disabled, and 2001, who may 改派, is
        # pointed at 改派 rather than told to ask a team leader
        forward = page.locator("#order-forward")
        expect(forward).to_be_disabled()
        expect(page.locator("#order-forward-why")).to_have_text("无其他可处理人，需换人请用改派")
        expect(forward).to_have_attribute(
            "title", "当前步骤的处理人规则中没有其他可处理人，无法转派；如需换人，请用改派。"
        )
        expect(page.locator("#order-reassign")).to_be_enabled()

        # 处理过程: 5101's 接收确认 as its button says it, never 批准 接收确认
        receipt = page.locator("#order-timeline li[data-kind=comment][data-action=approve]")
        expect(receipt).to_have_count(1)
        expect(receipt).to_contain_text("接收确认 · ")
        expect(receipt).not_to_contain_text("接收确认 接收确认")
        expect(page.locator("#order-timeline")).not_to_contain_text("批准")
        assert not errors, errors
