"""QA: 账号管理's 停用 disabled an account at once, with no dialog: it ends every session of the
account and signs its seat out of the queues, throwing an agent off mid-shift (重置密码 on the
same row did ask). In Chromium 停用 now asks first, naming them 名字（工号） and saying what
happens; 取消 changes nothing; unticking the form's 启用 is asked the same way. An edit saved
from the form is an edit again (编辑's reset cleared the user it had just filled in, and the
save went as a new user). In-process console on a seeded SQLite database, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


class Dialogs:
    """The page's confirm() dialogs, answered in turn as ``answers`` says (True: 确定)."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        self.answers: list[bool] = []
        page.on("dialog", self._answer)

    def wait(self, page, count: int) -> None:
        """Until ``count`` dialogs have been answered (events are handled while playwright waits)."""
        for _ in range(100):
            if len(self.messages) >= count:
                break
            page.wait_for_timeout(50)
        assert len(self.messages) == count, self.messages

    def _answer(self, dialog) -> None:
        self.messages.append(dialog.message)
        dialog.accept() if self.answers.pop(0) else dialog.dismiss()


def test_disabling_an_account_asks_first_naming_them(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/users") as page:
        dialogs = Dialogs(page)
        row = page.locator("#user-list tbody tr[data-staff='1006']")
        name = row.locator("td").nth(1).inner_text()
        expect(row.locator("td").nth(5)).to_have_text("正常")

        # 取消: nothing changes
        dialogs.answers.append(False)
        row.locator("[data-act=toggle]").click()
        dialogs.wait(page, 1)
        assert dialogs.messages[0].startswith(f"停用 {name}（1006） 的账号？")
        assert "会话立即结束" in dialogs.messages[0] and "签出" in dialogs.messages[0]
        expect(row.locator("td").nth(5)).to_have_text("正常")

        # the form's 启用 unticked is the same 停用, asked the same way
        row.get_by_role("button", name="编辑").click()
        form = page.locator("#user-form")
        expect(form.locator("[name=staff_no]")).to_have_value("1006")
        form.locator("[name=active]").uncheck()
        dialogs.answers.append(False)
        form.locator("button[type=submit]").click()
        dialogs.wait(page, 2)
        assert dialogs.messages[1] == dialogs.messages[0]
        expect(row.locator("td").nth(5)).to_have_text("正常")
        expect(form.locator("[name=staff_no]")).to_have_value("1006")  # the form kept as it was
        # saved with 启用 ticked again: an edit, asking nothing (it used to be sent as a new user)
        form.locator("[name=active]").check()
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts .toast").last).to_have_text("已保存")
        assert len(dialogs.messages) == 2

        # 确定 on the row's 停用: disabled; 启用 again asks nothing
        form.locator("button[type=reset]").click()
        dialogs.answers.append(True)
        row.locator("[data-act=toggle]").click()
        expect(row.locator("td").nth(5)).to_have_text("已停用")
        row.locator("[data-act=toggle]").click()
        expect(row.locator("td").nth(5)).to_have_text("正常")
        assert len(dialogs.messages) == 3
