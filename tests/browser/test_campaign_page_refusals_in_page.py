"""QA: the 外呼活动 page showed a refused action in a browser alert() (8 places), which blocked the
page and said only the error's generic words; every other console page says why in its toast.
In Chromium a refused 新建, 加入免打扰 and 检查 (import) now each show the server's words in the
page's toast (kind ``refused``), and no dialog opens. In-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_campaign_offer_minutes_page import LEADER

pytestmark = [pytest.mark.browser]


def test_refused_actions_are_said_in_the_page_not_in_a_dialog(tmp_path, browser):
    with (
        seeded_console(tmp_path / "refused.db", demo_only, 2) as server,
        signed_in(browser, server, LEADER) as page,
    ):
        dialogs: list[str] = []

        def opened(dialog) -> None:  # any alert/confirm fails the story (dismissed, not left hanging)
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", opened)
        page.goto(f"{server.url}/campaigns")
        refused = page.locator("#toasts .toast[data-kind=refused]")

        # 新建 with a calling window no clock has: the server's words, in the page
        new = page.locator("#camp-new")
        new.locator("input[name=name]").fill("时段有误")
        new.locator("input[name=windows]").fill("25:00-26:00")
        new.locator("button[type=submit]").click()
        expect(refused.filter(has_text="呼叫时段格式应为 HH:MM-HH:MM")).to_have_count(1)
        expect(page.locator("#camp-list tbody")).not_to_contain_text("时段有误")  # nothing created

        # 加入免打扰 with no number in it: the server's words on the number (电话…), in the page
        dnc = page.locator("#camp-dnc-add")
        dnc.locator("input[name=number]").fill("abc123")
        dnc.locator("button[type=submit]").click()
        expect(refused.filter(has_text="电话")).to_have_count(1)
        expect(page.locator("#camp-dnc tbody")).not_to_contain_text("123")

        # 检查 a file whose number column is not the one named
        new.locator("input[name=name]").fill("名单导入")
        new.locator("input[name=windows]").fill("09:00-12:00")
        new.locator("button[type=submit]").click()
        page.locator("#camp-list a", has_text="名单导入").click()
        upload = page.locator("#camp-import")
        expect(upload).to_be_visible()
        upload.locator("input[name=file]").set_input_files(
            {"name": "list.csv", "mimeType": "text/csv", "buffer": "号码,姓名\n13800138000,张三\n".encode()}
        )
        upload.locator("button[name=check]").click()
        expect(refused.filter(has_text="文件中没有该列")).to_have_count(1)
        expect(page.locator("#camp-commit")).to_be_disabled()

        assert dialogs == []
