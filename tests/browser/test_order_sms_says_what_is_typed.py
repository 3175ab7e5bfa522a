"""QA #15 in the real Chromium: on the order page, 发短信 with a template previewed and sent the
order as saved, not what the agent had typed. 1001 changes 答复内容 on their 受理 and does not
save it: the preview follows the form as typed, an emptied field is named before anything is
sent, and the SMS on the timeline is the preview they read; the order keeps its saved answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]

ANSWER = "每年7-9月执行"
TYPED = "每年6-9月执行，以当地公告为准"


async def _seed(url: str, numbers: dict[str, str]) -> None:
    """A 信息咨询 order 1001 keeps at its 受理 (保存,现在处理), 答复内容 saved, and a manual SMS
    template of the step that reads it."""
    from ticketing.models import NotificationTemplate

    async with demo_database(url) as demo:
        order = await demo.consult_order(ANSWER, submit=False)
        demo.db.add(
            NotificationTemplate(
                name="咨询答复短信",
                category="consult",
                node=order.current_node,
                channel="sms",
                auto_send=False,
                body="【95598】您的咨询答复：{{ form.get('答复内容', '') }}",
            )
        )
        numbers["order"] = order.number


@pytest.fixture
def typed_console(tmp_path):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "typed.db", _seed, numbers) as server:
        yield server, numbers["order"]


def test_the_sms_template_says_what_is_on_screen(typed_console, browser):
    server, number = typed_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{number}")
        expect(page.locator("#sms-form")).to_be_visible(timeout=10_000)
        page.locator("#sms-mode").select_option("template")
        page.locator("#sms-template").select_option(label="咨询答复短信")
        preview = page.locator("#sms-preview")
        expect(preview).to_have_text(f"【95598】您的咨询答复：{ANSWER}")

        answer = page.locator("#order-答复内容")
        answer.fill("")
        expect(preview.locator("[data-blank]")).to_have_text(
            "模板中这些字段为空，补全工单后才能发送：答复内容"
        )
        answer.fill(TYPED)  # typed, not saved
        expect(preview).to_have_text(f"【95598】您的咨询答复：{TYPED}")
        expect(preview.locator("[data-blank]")).to_have_count(0)

        page.locator("#sms-send").click()
        sms = page.locator("#order-timeline li[data-kind=sms]")
        expect(sms).to_have_count(1, timeout=10_000)
        expect(sms).to_contain_text(f"【95598】您的咨询答复：{TYPED}")
        # sending it saved nothing: the field still shows what was typed, the order its own
        expect(answer).to_have_value(TYPED)
        saved = page.request.get(f"{server.url}/api/orders/{number}").json()
        assert {f["name"]: f["value"] for f in saved["form"]}["答复内容"] == ANSWER
