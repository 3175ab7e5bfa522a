"""A fax PDF or voicemail whose file is gone (purged, the phone server's disk not mounted),
opened in a tab of its own, gets the console's error page in Chinese (QA-14): the tab showed the
store's raw English JSON. The player's and the page scripts' requests keep the JSON, which they
say in the page (找不到该文件…)."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_inbox_event_owner import _event, _supervisor

FAX_ID = "1795772700.401"


async def test_a_missing_fax_opened_in_a_tab_is_an_error_page(store, client, world):
    await _supervisor(world)
    await _event(world, "fax", FAX_ID, owner=None)  # its file never written
    await login(client, "4001")
    tab = await client.get(
        f"/recordings/fax/{FAX_ID}/pdf",
        headers={"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate"},
    )
    page = await tab.text()
    assert tab.status == 404 and tab.content_type == "text/html"
    assert 'data-error-id="recordings.not_found"' in page and "找不到该文件" in page

    script = await client.get(f"/recordings/fax/{FAX_ID}/pdf", headers={"Accept": "application/json"})
    assert script.status == 404 and (await script.json())["error_id"] == "recordings.not_found"
    player = await client.get(f"/recordings/voicemail/{FAX_ID}", headers={"Sec-Fetch-Mode": "no-cors"})
    assert player.status == 404 and player.content_type == "application/json"
