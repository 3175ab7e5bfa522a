"""Outbound campaigns in the real Chromium, against the console process on the real Asterisk.

A team leader creates a preview campaign on the campaigns page, checks a small CSV
(the validation report names the rejected lines), commits it and starts the
campaign. The console's agent goes ready: the preview card shows the first
contact with the script; the agent skips it, is offered the next, dials it (the
simulated phone answers, then the simulated customer), sees the outcome and
saves the disposition. The team leader's page shows what became of each contact.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
TEAM_LEADER = "2001"  # the demo's 班长
FIRST, SECOND = "13900139001", "13900139002"
CSV = f"电话,姓名,备注\n{FIRST},张三,\n{SECOND},李四,\n不是号码,王五,\n{FIRST},张三,重复\n"


def test_team_leader_imports_a_list_and_the_agent_skips_then_dials_the_preview(
    console, browser, asterisk, screenshots
):
    # a name of this attempt's own: a rerun finds the first attempt's campaign in the console
    campaign = f"故障回访-{secrets.token_hex(2)}"
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="0", talk="hold")
    ami.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
    ami.close()  # an AMI line nobody reads is dropped by Asterisk once its events back up
    errors: list[str] = []
    try:
        with signed_in(browser, console, TEAM_LEADER, errors=errors) as leader:
            leader.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
            leader.click("nav >> text=外呼活动")
            expect(leader).to_have_url(re.compile(r"/campaigns$"))

            form = leader.locator("#camp-new")
            form.locator("[name=name]").fill(campaign)
            form.locator("[name=mode]").select_option("preview")
            form.locator("[name=queue]").select_option(QUEUE)  # one of the hotline's queues, not free text
            form.locator("[name=windows]").fill("")
            form.locator("[name=ring_seconds]").fill("15")
            form.locator("[name=script]").fill("您好，这里是95598，回访您的报修。")
            form.locator("button[type=submit]").click()
            row = leader.locator("#camp-list tbody tr", has_text=campaign)
            expect(row).to_contain_text("预览式")
            expect(row).to_contain_text("草稿")
            row.locator("a", has_text=campaign).click()
            expect(leader.locator("#camp-detail-title")).to_have_text(campaign)

            leader.set_input_files(
                "#camp-import [name=file]",
                {"name": "名单.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8")},
            )
            leader.click("#camp-import button[type=submit]")
            report = leader.locator("#camp-report")
            expect(report).to_contain_text("共 4 行：通过 2，拒绝 2")
            expect(report.locator("li")).to_have_count(2)
            expect(report.locator("li").nth(0)).to_contain_text("第 4 行")
            expect(report.locator("li").nth(1)).to_contain_text("第 5 行")
            # checked, nothing written
            expect(leader.locator("#camp-contacts tbody tr:not(.empty)")).to_have_count(0)
            leader.screenshot(path=str(screenshots / "campaign-import.png"))
            expect(leader.locator("#camp-commit")).to_be_enabled()
            # another file chosen after 检查: its report is not the one shown, so 确认导入 waits for a check
            leader.set_input_files(
                "#camp-import [name=file]",
                {"name": "另一份.csv", "mimeType": "text/csv", "buffer": "电话\n13900139009\n".encode()},
            )
            expect(leader.locator("#camp-commit")).to_be_disabled()
            expect(report).to_be_empty()
            leader.set_input_files(
                "#camp-import [name=file]",
                {"name": "名单.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8")},
            )
            leader.click("#camp-import button[type=submit]")
            expect(report).to_contain_text("共 4 行：通过 2，拒绝 2")
            expect(leader.locator("#camp-commit")).to_be_enabled()
            leader.click("#camp-commit")
            expect(leader.locator("#camp-contacts tbody tr")).to_have_count(2)
            expect(leader.locator("#camp-contacts tbody")).to_contain_text("待拨")
            expect(leader.locator("#camp-commit")).to_be_disabled()
            row.locator("button", has_text="开始").click()
            expect(row).to_contain_text("进行中")

            with signed_in(browser, console, console.agent, PASSWORD, errors=errors) as agent:
                agent.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
                expect(agent.locator("#ami-status")).to_have_attribute(
                    "data-connected", "true", timeout=10_000
                )
                agent.keyboard.press("F2")  # 就绪: the dialer offers the agent a contact
                expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
                card = agent.locator("#campaign-card")
                expect(card).to_be_visible(timeout=10_000)
                expect(card).to_contain_text(FIRST)
                expect(card).to_contain_text("张三")
                expect(card).to_contain_text(campaign)
                expect(card).to_contain_text("您好，这里是95598，回访您的报修。")
                expect(card).to_contain_text("预览：确认后拨打")
                # how long the offer is still held for the agent (the campaign's 5 minutes)…
                held = card.locator("#campaign-held")
                expect(held).to_have_text(re.compile(r"^预览保留剩余 0[45]:\d\d$"))
                agent.screenshot(path=str(screenshots / "campaign-preview.png"))
                # …and after a reload the same offer, counting on to the dialer's moment
                agent.reload()
                expect(card).to_contain_text(FIRST, timeout=10_000)
                expect(held).to_have_text(re.compile(r"^预览保留剩余 0[45]:\d\d$"))

                card.locator("button", has_text="跳过").click()
                expect(card).to_contain_text(SECOND, timeout=10_000)  # the next contact, offered at once
                expect(card).to_contain_text("李四")
                card.locator("button", has_text="拨打").click()
                expect(card).to_contain_text("正在呼叫客户", timeout=10_000)
                expect(agent.locator("#agent-state")).to_have_attribute(
                    "data-state", "talking", timeout=10_000
                )
                # the customer answers after 1 s and hangs up 2 s later
                expect(card.locator("#campaign-status")).to_have_text("外呼结果：接通", timeout=15_000)
                card.locator("[name=code]").select_option(label="满意")
                card.locator("[name=notes]").fill("客户确认已修好")
                card.locator("button[type=submit]").click()
                expect(card).to_be_hidden(timeout=10_000)

                leader.locator("#camp-list tbody tr a", has_text=campaign).click()
                contacts = leader.locator("#camp-contacts tbody")
                skipped = contacts.locator("tr", has_text=FIRST)
                reached = contacts.locator("tr", has_text=SECOND)
                expect(skipped).to_contain_text("已跳过")
                expect(reached).to_contain_text("已接通")
                expect(reached).to_contain_text("接通")
                expect(reached).to_contain_text("满意")  # the disposition by its label
                expect(leader.locator("#camp-counts")).to_contain_text("已跳过 1")
                # every call placed, beside each contact's last outcome: the skip was none
                expect(leader.locator("#camp-attempts")).to_have_text("拨打次数：1 · 接通 1")
                leader.screenshot(path=str(screenshots / "campaign-progress.png"))
                assert errors == []
    finally:
        ami = AmiLine(asterisk)
        ami.action("DBDel", Family="hotline-sim", Key="customer-talk")
        ami.close()
