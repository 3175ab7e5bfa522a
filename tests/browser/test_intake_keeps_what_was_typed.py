"""The intake form loses nothing the agent typed (QA 1, 9, 10). Switching the 业务大类别 (the caller
turns out to be complaining) carries the fields of the same meaning, as the workflows declare it,
into the new category's (the customer's words into 投诉内容 / 咨询内容, the address, the bureau),
and switching back restores every field as it was; 清空 asks first, in the page, once anything
beyond the number was typed; and an order typed without a call survives a reload and a visit to
another page until it is saved or cleared. No Asterisk: the console runs in-process on a seeded
SQLite database (see in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]

WORDS = "客户说明天上午9点前来"
ADDRESS = "天河区体育西路 1 号"
DRAFTS = "Object.keys(sessionStorage).filter((k) => k.startsWith('hotline.intake-draft:'))"


@pytest.fixture
def intake_console(tmp_path):
    with seeded_console(tmp_path / "intake.db", demo_only, 1) as server:
        yield server


def fault_typed(page) -> None:
    page.select_option("#intake-category", label="故障报修")
    page.select_option("#intake-subcategory", label="低压故障")
    page.fill("#intake-caller", "13900005555")
    page.fill("#intake-故障名称", "家中停电")
    page.fill("#intake-故障地址", ADDRESS)
    page.select_option("#intake-所属供电局", "440100")
    page.fill("#intake-客户描述故障信息", WORDS)
    page.fill("#intake-opinion", "客户很着急")


def expect_fault_as_typed(page, words: str = WORDS) -> None:
    expect(page.locator("#intake-category")).to_have_value(
        page.locator("#intake-category option", has_text="故障报修").get_attribute("value")
    )
    expect(page.locator("#intake-subcategory option:checked")).to_have_text("低压故障")
    expect(page.locator("#intake-故障名称")).to_have_value("家中停电")
    expect(page.locator("#intake-故障地址")).to_have_value(ADDRESS)
    expect(page.locator("#intake-所属供电局")).to_have_value("440100")
    expect(page.locator("#intake-客户描述故障信息")).to_have_value(words)
    expect(page.locator("#intake-caller")).to_have_value("13900005555")
    expect(page.locator("#intake-opinion")).to_have_value("客户很着急")


def test_switching_the_category_carries_what_was_typed_and_switching_back_restores_it(
    intake_console, browser
):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        fault_typed(page)

        # a complaint after all: the customer's words and the bureau go on into the complaint's
        # fields that mean them; nothing of the fault's own is shown there, nor lost
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-投诉内容")).to_have_value(WORDS)
        expect(page.locator("#intake-所属区域")).to_have_value("440100")
        expect(page.locator("#intake-标题")).to_have_value("")
        expect(page.locator("#intake-subcategory")).to_have_value("")
        page.fill("#intake-标题", "抢修人员态度差")
        page.select_option("#intake-subcategory", label="一类投诉")

        # back to the fault: every field as it was, the 小类别 too
        page.select_option("#intake-category", label="故障报修")
        expect_fault_as_typed(page)
        # and the complaint again: its own 标题 and 小类别 are back as well
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-标题")).to_have_value("抢修人员态度差")
        expect(page.locator("#intake-subcategory option:checked")).to_have_text("一类投诉")
        # the words are one thing wherever written: what the agent adds in 投诉内容 is the fault's too
        page.fill("#intake-投诉内容", f"{WORDS}，已等候两小时")

        # a consult takes the words as its 咨询内容 (not as 答复内容); a service application the
        # address and the bureau
        page.select_option("#intake-category", label="信息咨询")
        expect(page.locator("#intake-咨询内容")).to_have_value(f"{WORDS}，已等候两小时")
        expect(page.locator("#intake-答复内容")).to_have_value("")
        page.select_option("#intake-category", label="用电业务受理")
        expect(page.locator("#intake-用电地址")).to_have_value(ADDRESS)
        expect(page.locator("#intake-所属供电局")).to_have_value("440100")
        expect(page.locator("#intake-申请说明")).to_have_value(f"{WORDS}，已等候两小时")

        # a field emptied on purpose stays empty in the other categories
        page.fill("#intake-用电地址", "")
        page.select_option("#intake-category", label="故障报修")
        expect(page.locator("#intake-故障地址")).to_have_value("")
        page.fill("#intake-故障地址", ADDRESS)
        expect_fault_as_typed(page, f"{WORDS}，已等候两小时")

        page.click("#intake-save-close")
        expect(page.locator("#intake-saved")).to_be_visible()
        # saved: the next order starts afresh in every category
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-标题")).to_have_value("")
        expect(page.locator("#intake-投诉内容")).to_have_value("")


def test_clear_asks_in_the_page_before_it_throws_away_what_was_typed(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{intake_console.url}/")
        ask = page.locator("#intake-reset-confirm")

        # the number alone: cleared at once, nothing to ask
        page.fill("#intake-caller", "13900006666")
        page.click("#intake-reset")
        expect(ask).to_be_hidden()
        expect(page.locator("#intake-caller")).to_have_value("")

        fault_typed(page)
        page.select_option("#intake-category", label="投诉举报建议")
        page.fill("#intake-标题", "抢修人员态度差")
        page.click("#intake-reset")
        expect(ask).to_be_visible()
        expect(ask).to_contain_text("清空这张表单？")
        expect(page.locator("#intake-reset-keep")).to_be_focused()  # Enter keeps the form
        page.click("#intake-reset-keep")
        expect(ask).to_be_hidden()
        expect(page.locator("#intake-标题")).to_have_value("抢修人员态度差")
        expect(page.locator("#intake-投诉内容")).to_have_value(WORDS)
        page.click("#intake-reset")
        page.keyboard.press("Escape")  # as 继续填写
        expect(ask).to_be_hidden()
        expect(page.locator("#intake-标题")).to_have_value("抢修人员态度差")

        page.click("#intake-reset")
        page.click("#intake-reset-yes")
        expect(ask).to_be_hidden()
        for cleared in ("#intake-标题", "#intake-投诉内容", "#intake-caller", "#intake-opinion"):
            expect(page.locator(cleared)).to_have_value("")
        # every category's: the fault typed before the switch is gone too
        page.select_option("#intake-category", label="故障报修")
        expect(page.locator("#intake-故障地址")).to_have_value("")
        expect(page.locator("#intake-客户描述故障信息")).to_have_value("")
        expect(page.locator("#intake-subcategory")).to_have_value("")
        # a standard phrase put in is typed too
        page.click("#intake-phrases button >> nth=0")
        page.click("#intake-reset")
        expect(ask).to_be_visible()
        page.click("#intake-reset-yes")
        assert dialogs == []  # asked in the page, never by the browser's blocking dialog


def test_an_intake_without_a_call_survives_a_reload_and_another_page(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        fault_typed(page)
        page.select_option("#intake-category", label="投诉举报建议")
        page.fill("#intake-标题", "抢修人员态度差")
        page.select_option("#intake-category", label="故障报修")
        page.wait_for_function(f"({DRAFTS}).length === 1")

        page.reload()
        expect_fault_as_typed(page)
        # the category tried meanwhile came along
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-标题")).to_have_value("抢修人员态度差")
        page.select_option("#intake-category", label="故障报修")

        page.goto(f"{intake_console.url}/knowledge")
        page.go_back()
        expect_fault_as_typed(page)

        # saved: no draft is left, a reload starts afresh
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved")).to_be_visible()
        assert page.evaluate(DRAFTS) == []
        page.reload()
        expect(page.locator("#intake-category")).to_be_visible()
        expect(page.locator("#intake-故障地址")).to_have_count(0)  # back on the first category

        # cleared: none either
        page.select_option("#intake-category", label="故障报修")
        page.fill("#intake-故障地址", ADDRESS)
        page.wait_for_function(f"({DRAFTS}).length === 1")
        page.click("#intake-reset")
        page.click("#intake-reset-yes")
        assert page.evaluate(DRAFTS) == []
        page.reload()
        expect(page.locator("#intake-category")).to_be_visible()
        expect(page.locator("#intake-故障地址")).to_have_count(0)
