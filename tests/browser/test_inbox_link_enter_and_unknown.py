"""QA: in the 异步事件 inbox, 关联到已受理工单's 工单号 box did nothing on Enter (only the button
linked), and a number nobody has (GZ999) got a toast but left the box unmarked, unlike an empty
one. In Chromium, Enter in the box now links as the button does, and an unknown number marks the
box (aria-invalid) and puts the focus back there; a real number typed and Enter asks to confirm
and links the event. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]


async def _seed_story(url: str) -> dict:
    from ticketing.intake import Intake, assign_to

    async with demo_database(url, customers=1) as demo:
        # the missed call test_inbox_close_missed_call seeds, 1001's, and an order to link it to
        event = await Intake().receive(demo.db, "missed_call", "missed-browser-1", sender="13100000481")
        await assign_to(demo.db, None, event, demo.users["1001"])
        order = await demo.fault_order()
        return {"event": event.id, "order": order.number}


@pytest.fixture
def story(tmp_path):
    with seeded_console(tmp_path / "inbox_enter.db", _seed_story) as server:
        yield server


def test_enter_links_and_an_unknown_number_is_marked_at_the_box(story, browser):
    server, seeded = story, story.seeded
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{seeded['event']}']")
        box = row.locator("input[data-field=order]")
        box.fill("GZ999")
        box.press("Enter")
        expect(page.locator(".toast.refused").last).to_contain_text("没有工单号为 GZ999 的工单")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_be_focused()
        expect(row.locator("td[data-status]")).to_have_text("待处理")  # nothing linked
        box.fill(seeded["order"])  # typing clears the mark
        expect(box).not_to_have_attribute("aria-invalid", "true")

        asked = []

        def confirm(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", confirm)
        box.press("Enter")
        expect(page.locator(".toast.ok").last).to_contain_text(seeded["order"])
        assert len(asked) == 1 and seeded["order"] in asked[0]
        expect(page.locator(f"#inbox-table tr[data-event='{seeded['event']}']")).to_have_count(0)
