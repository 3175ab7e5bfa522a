"""The order's timeline player when a file cannot be had: a voicemail on a phone server whose files
are not mounted here (503 recordings.server_unreachable) says so, naming the server, in place of the
player; one that is gone (404) says it cannot be found; a fax's PDF likewise instead of a tab of
JSON. Before, the player stayed, silent. In-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import InProcessConsole, seeded_console
from tests.browser.test_list_status_pick import _seed_orders

pytestmark = [pytest.mark.browser]

ON_BJ = "hotline3-1795813058.15"  # bj's files are not mounted here
GONE = "hotline1-1795813058.16"  # gz's, mounted, but no such file


async def _seed(url: str) -> dict[str, str]:
    from sqlalchemy import insert, select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Interaction, WorkOrder, order_interactions

    numbers = await _seed_orders(url)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        order_id = await db.scalar(select(WorkOrder.id).where(WorkOrder.number == numbers["open"]))
        for kind, call_id in (("voicemail", ON_BJ), ("voicemail", GONE), ("fax", ON_BJ)):
            item = Interaction(kind=kind, external_id=call_id, number="13912340361", agent_id="1001")
            db.add(item)
            await db.flush()
            await db.execute(insert(order_interactions).values(order_id=order_id, interaction_id=item.id))
            numbers[f"{kind}:{call_id}"] = str(item.id)
    await engine.dispose()
    return numbers


class TwoServersConsole(InProcessConsole):
    """The console with the recordings of two phone servers: gz's mounted, bj's not."""

    def recordings(self):
        from recordings import RecordingStore
        from recordings.store import ServerStores

        (self.folder / "gz").mkdir(exist_ok=True)
        gz = RecordingStore(self.folder / "gz")
        return ServerStores(
            [("gz", "hotline1", gz), ("bj", "hotline3", RecordingStore(self.folder / "bj"))], gz, "gz"
        )


@pytest.fixture
def player_console(tmp_path):
    with seeded_console(tmp_path / "player.db", _seed, console=TwoServersConsole) as server:
        yield server


def test_a_file_that_cannot_be_had_says_why_in_place_of_the_player(player_console, browser):
    server = player_console
    seeded = server.seeded
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{seeded['open']}")
        timeline = page.locator("#order-timeline")
        for call_id, said in ((ON_BJ, "电话服务器（bj）的录音目录未挂载到本服务器"), (GONE, "找不到该文件")):
            interaction = seeded[f"voicemail:{call_id}"]
            player = timeline.locator(f"audio[data-interaction='{interaction}']")
            expect(player).to_have_count(1)
            player.evaluate("a => a.play().catch(() => {})")  # 播放
            shown = timeline.locator(f".error[data-interaction='{interaction}']")
            expect(shown).to_contain_text(said)
            expect(player).to_have_count(0)
        fax = timeline.locator(f"a[data-interaction='{seeded['fax:' + ON_BJ]}']")
        fax.click()
        expect(timeline.locator(f".error[data-interaction='{seeded['fax:' + ON_BJ]}']")).to_contain_text(
            "电话服务器（bj）的录音目录未挂载"
        )
        assert len(page.context.pages) == 1  # no tab of JSON opened
