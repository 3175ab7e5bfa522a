"""The customer's words go on into the field the workflow marks as theirs (``customer:
description``) when the agent switches the 业务大类别, even where an admin's 投诉举报建议 puts a
multi-line 处理要求 before 投诉内容: the seat took the first 多行文本 of the form for the words, and
the complaint text landed in 处理要求. A standard phrase goes into the words too, and a draft kept
by a page from before the mark (the words under "words") comes back into 投诉内容. No Asterisk: the
console runs in-process on a seeded SQLite database (see in_process)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]

WORDS = "客户说家里跳闸三次，抢修人员一直没来"


async def _seed_requirement_first(url: str) -> None:
    """The demo, and 投诉举报建议 as an admin changed it: 处理要求 (multi-line, written at 受理)
    before the fields the seed has, 投诉内容 among them."""
    from ticketing.db import create_engine, sessionmaker
    from ticketing.seed import workflow_source
    from ticketing.workflow.store import import_definition

    await demo_only(url, 1)
    data = workflow_source("complaint")
    data["fields"] = {"处理要求": {"type": "textarea", "label": "处理要求"}, **data["fields"]}
    accept = next(n for n in data["nodes"] if n["type"] == "create")
    accept["fields"] = {"处理要求": "editable", **accept["fields"]}
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        await import_definition(db, data)
    await engine.dispose()


@pytest.fixture
def words_console(tmp_path):
    with seeded_console(tmp_path / "words.db", _seed_requirement_first) as server:
        yield server


def test_the_words_go_into_the_field_marked_as_theirs_not_the_first_multi_line_one(words_console, browser):
    with signed_in(browser, words_console, "1001") as page:
        page.goto(f"{words_console.url}/")
        page.select_option("#intake-category", label="故障报修")
        page.fill("#intake-客户描述故障信息", WORDS)

        page.select_option("#intake-category", label="投诉举报建议")
        fields = page.locator("#intake-fields textarea")
        expect(fields.first).to_have_attribute("name", "处理要求")  # first in the form, as the admin put it
        expect(page.locator("#intake-投诉内容")).to_have_value(WORDS)
        expect(page.locator("#intake-处理要求")).to_have_value("")

        # 处理要求 is the complaint's own: it stays there, and the words go on from 投诉内容
        page.fill("#intake-处理要求", "请班长当天回电")
        page.fill("#intake-投诉内容", f"{WORDS}，要求赔偿")
        page.select_option("#intake-category", label="信息咨询")
        expect(page.locator("#intake-咨询内容")).to_have_value(f"{WORDS}，要求赔偿")
        page.select_option("#intake-category", label="故障报修")
        expect(page.locator("#intake-客户描述故障信息")).to_have_value(f"{WORDS}，要求赔偿")
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-处理要求")).to_have_value("请班长当天回电")
        expect(page.locator("#intake-投诉内容")).to_have_value(f"{WORDS}，要求赔偿")


def test_a_standard_phrase_goes_into_the_words_before_anything_was_written(words_console, browser):
    with signed_in(browser, words_console, "1001") as page:
        page.goto(f"{words_console.url}/")
        page.select_option("#intake-category", label="投诉举报建议")
        expect(page.locator("#intake-处理要求")).to_be_visible()
        page.click("#intake-phrases button:has-text('客户投诉抢修人员到达现场超时')")
        expect(page.locator("#intake-投诉内容")).to_have_value("客户投诉抢修人员到达现场超时")
        expect(page.locator("#intake-处理要求")).to_have_value("")


def test_a_draft_kept_before_the_mark_brings_the_words_back_into_their_field(words_console, browser):
    with signed_in(browser, words_console, "1001") as page:
        page.goto(f"{words_console.url}/")
        expect(page.locator("#intake-category")).to_be_visible()
        draft = {
            "form_caller": "",
            "category": "complaint",
            "subcategory": "",
            "caller": "13900005555",
            "customer": None,
            "kept": {"words": WORDS, "field:标题": "抢修人员不来"},
            "subcategories": {},
            "opinion": "",
            "saved_at": 1,
        }
        page.evaluate(
            "(d) => sessionStorage.setItem('hotline.intake-draft:1001:', d)",
            json.dumps(draft, ensure_ascii=False),
        )
        page.reload()
        expect(page.locator("#intake-标题")).to_have_value("抢修人员不来")
        expect(page.locator("#intake-投诉内容")).to_have_value(WORDS)
        expect(page.locator("#intake-处理要求")).to_have_value("")
