"""派工 with a crew picked from the 抢修班组 register, in the real Chromium: the 广州 handler opens
a fault order at 派工, the picker lists the bureau's crews (another 供电所's only on request),
picking one fills 抢修人员 (its leader and members), 班组电话 and 车辆, and after 提交 the order at 到达现场 shows the crew
as it was picked. No Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database, wall_time

pytestmark = [pytest.mark.browser]
HANDLER = "5101"  # the demo's 广州 handler


async def _seed(url: str, seeded: dict) -> None:
    from ticketing import crews, submit_step

    async with demo_database(url, crews=True) as demo:
        db, users = demo.db, demo.users
        # the demo's crews (广州抢修一队 of the bureau, 天河抢修班 of 天河区供电所) plus one of 越秀区供电所
        await crews.create(
            db,
            users["9001"],
            {
                "name": "越秀抢修班",
                "site_id": demo.sites["440104"].id,
                "leader": "周勇",
                "phones": "13911112222",
            },
        )
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
        order = await demo.order_at_dispatch(now, handler=HANDLER)
        tianhe = next(c for c in await crews.listing(db) if c.name == "天河抢修班")
        # a second order, taken in from a caller's mobile and dispatched to 天河抢修班
        sent = await demo.order_at_dispatch(
            now, handler=HANDLER, address="天河路2号", caller_number="13800000481"
        )
        dispatched = wall_time(now + dt.timedelta(minutes=10))
        await submit_step(
            db,
            users[HANDLER],
            sent,
            form={"抢修班组": tianhe.id, "派工时间": dispatched},
            now=now + dt.timedelta(minutes=10),
        )
        seeded.update(
            sent=sent.number,
            number=order.number,
            dispatched=dispatched,
            leader=tianhe.leader,
            people="、".join([tianhe.leader, *tianhe.members]),
            phone=tianhe.phones[0],
            vehicle=tianhe.vehicle,
        )


@pytest.fixture
def crew_console(tmp_path):
    seeded: dict = {}
    with seeded_console(tmp_path / "crews.db", _seed, seeded) as server:
        assert "number" in seeded
        yield server, seeded


def test_a_handler_picks_a_crew_at_dispatch_and_sees_it_on_the_order(crew_console, browser):
    server, seeded = crew_console
    with signed_in(browser, server, HANDLER) as page:
        page.goto(f"{server.url}/orders/{seeded['number']}")
        expect(page.locator("#order-node")).to_have_text("派工")
        picker = page.locator("#order-抢修班组")
        names = picker.locator("option")
        # the order's 供电所 and its bureau: not the other 供电所's crew until asked for
        expect(names).to_have_count(3)
        expect(picker).not_to_contain_text("越秀抢修班")
        page.check("#order-抢修班组-all")
        expect(names).to_have_count(4)
        expect(picker).to_contain_text("越秀抢修班")
        page.uncheck("#order-抢修班组-all")
        expect(names).to_have_count(3)

        picker.select_option(label=next(t for t in names.all_inner_texts() if t.startswith("天河抢修班")))
        # 抢修人员: who goes out, the leader and the members, not the crew's name
        expect(page.locator("#order-抢修人员")).to_have_value(seeded["people"])
        expect(page.locator("#order-班组电话")).to_have_value(seeded["phone"])
        expect(page.locator("#order-车辆")).to_have_value(seeded["vehicle"])
        page.fill("#order-派工时间", seeded["dispatched"])
        page.click("#order-submit")
        expect(page.locator("#order-node")).to_have_text("到达现场")
        # on the order from now on, read-only, as it was when picked
        crew = page.locator("#order-抢修班组")
        expect(crew).to_be_disabled()
        expect(crew).to_have_value(f"天河抢修班（{seeded['leader']} {seeded['phone']}，{seeded['vehicle']}）")
        expect(page.locator("#order-抢修人员")).to_have_value(seeded["people"])
        expect(page.locator("#order-班组电话")).to_have_value(seeded["phone"])
        # its leader's phone among the order's numbers, beside the caller's (回呼 / 发送 from there)
        expect(page.locator("#order-facts .crew-phone")).to_contain_text(f"天河抢修班 {seeded['phone']}")


def test_an_admin_adds_a_crew_on_its_page_and_deletes_it(crew_console, browser):
    server, _ = crew_console
    with signed_in(browser, server, "9001") as page:
        page.click("#nav-admin summary")  # 系统管理, the admin's setup pages
        page.click("nav a[href='/admin/crews']")
        rows = page.locator("#crew-list tbody tr")
        expect(rows).to_have_count(7)  # the demo's six, and 越秀抢修班
        form = page.locator("#crew-form")
        form.locator("[name=name]").fill("天河抢修二班")
        form.locator("[name=site_id]").select_option(label="天河区供电所")
        form.locator("[name=phones]").fill("12")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=phones]")).to_have_attribute("aria-invalid", "true")
        form.locator("[name=phones]").fill("139 1111 3333")
        form.locator("[name=members]").fill("甲、乙")
        form.locator("button[type=submit]").click()
        added = rows.filter(has_text="天河抢修二班")
        expect(added).to_contain_text("13911113333")
        expect(added).to_contain_text("甲、乙")
        # no order was dispatched to it: it may be deleted (one with orders: crew_in_use,
        # tests/agent_ui/test_crew_setup.py)
        page.once("dialog", lambda d: d.accept())
        added.locator("button", has_text="删除").click()
        expect(rows.filter(has_text="天河抢修二班")).to_have_count(0)


def test_an_agent_picks_the_crew_dispatched_as_the_sms_recipient(crew_console, browser):
    server, seeded = crew_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{seeded['sent']}")
        expect(page.locator("#order-node")).to_have_text("到达现场")
        to = page.locator("#sms-to")
        expect(to).to_have_value("13800000481")  # the caller's mobile, as before
        recipient = page.locator("#sms-recipient")
        expect(recipient).to_be_visible()
        crew = f"抢修班组 天河抢修班（{seeded['leader']}）：{seeded['phone']}"
        expect(recipient.locator("option")).to_have_text(["客户：13800000481", crew, "其他号码"])
        expect(recipient).to_have_value("13800000481")
        recipient.select_option(label=crew)
        expect(to).to_have_value(seeded["phone"])
        # a number typed that is none of them: 其他号码
        to.fill("13911112222")
        expect(recipient).to_have_value("")
        recipient.select_option(label=crew)
        page.fill("#sms-text", "请尽快到达天河路2号")
        page.click("#sms-send")
        expect(page.locator(".toast.ok").last).to_contain_text(f"短信已加入发送队列：{seeded['phone']}")
        # no crew has an e-mail: the e-mail form offers nothing to choose
        expect(page.locator("#email-recipient")).to_be_hidden()
