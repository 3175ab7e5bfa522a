"""A voicemail is listened to in its 异步事件 row before it is turned into an order, linked or
closed (DOMAIN §5: the event's content is audio). QA #1: the player had only what the auto-width
内容 cell gave it (34–74 px, the actions beside it taking the row), so it showed its ⋮ button
alone, no play button and no time bar, for the agent's own events and the supervisor's
未分派事件, at 1366×768 and 1920×1080 alike. In-process console with a voicemail file on disk, no
Asterisk."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import InProcessConsole, seeded_console

pytestmark = [pytest.mark.browser]

WAITING = "1795900000.41"  # left while nobody was 就绪: on 未分派事件
MINE = "1795900000.42"  # 1001's
#: a player this wide or wider shows its play button and its time bar (Chromium folds them into
#: the ⋮ menu when narrower)
PLAYABLE_WIDTH = 200


async def _seed(url: str, root: Path) -> dict[str, int]:
    from recordings import RecordingStore
    from tests.browser.story_seeds import demo_database
    from tests.recordings.conftest import write_wav
    from ticketing.intake import Intake, assign_to

    store = RecordingStore(root)
    ids = {}
    async with demo_database(url) as demo:
        for call_id, owner in ((WAITING, None), (MINE, "1001")):
            # as the IVR's 故障报修留言 (menu key 4) leaves it; nobody is signed in: it waits
            event = await Intake().receive(
                demo.db, "voicemail", call_id, sender="13200000002", payload={"reason": "fault_report"}
            )
            if owner is not None:
                await assign_to(demo.db, None, event, demo.users[owner])
            write_wav(store.host_path(store.asterisk_path("voicemail", call_id)), seconds=5.0)
            ids[call_id] = event.id
    return ids


class VoicemailConsole(InProcessConsole):
    """The console with a recording store (the story's tmp_path/root) to play from."""

    def recordings(self):
        from recordings import RecordingStore

        return RecordingStore(self.folder / "root")


@pytest.fixture
def voicemail_console(tmp_path):
    with seeded_console(
        tmp_path / "voicemail.db", _seed, tmp_path / "root", console=VoicemailConsole
    ) as server:
        yield server


def _plays_from_its_row(page, table: str, event_id: int) -> None:
    """The row's player is wide enough for its controls and starts when its play button (the
    control's first, at its left end) is clicked; the row's actions stay within the panel (none
    pushed past its edge by the player's width)."""
    player = page.locator(f"#{table} audio[data-interaction='{event_id}']")
    expect(player).to_be_visible()
    box = player.bounding_box()
    assert box["width"] >= PLAYABLE_WIDTH, box
    spill = page.locator(f"#{table}").evaluate(
        "t => t.closest('.panel').scrollWidth - t.closest('.panel').clientWidth"
    )
    assert spill <= 0, f"the table is {spill} px wider than its panel"
    page.mouse.click(box["x"] + 16, box["y"] + box["height"] / 2)  # ▶
    page.wait_for_function(
        "a => !a.paused && a.readyState > 0 && a.currentTime > 0", arg=player.element_handle(), timeout=10_000
    )
    player.evaluate("a => a.pause()")


def _open_inbox(page, url: str, english: bool) -> None:
    if english:
        page.click("form[action='/lang'] button")  # English
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{url}/inbox")


@pytest.mark.parametrize(
    ("width", "height", "english"), [(1366, 768, False), (1920, 1080, False), (1366, 768, True)]
)
def test_a_voicemail_plays_in_its_inbox_row(voicemail_console, browser, width, height, english):
    server = voicemail_console
    ids = server.seeded
    viewport = {"width": width, "height": height}
    with signed_in(browser, server, "3001", viewport=viewport) as page:  # a supervisor: 未分派事件
        _open_inbox(page, server.url, english)
        _plays_from_its_row(page, "inbox-waiting-table", ids[WAITING])
    with signed_in(browser, server, "1001", viewport=viewport) as page:  # the agent whose event it is
        _open_inbox(page, server.url, english)
        _plays_from_its_row(page, "inbox-table", ids[MINE])
