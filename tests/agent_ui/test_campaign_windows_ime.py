"""Calling windows typed with a Chinese input method (QA: 09:00-12:00，14:00-20:00, 9:00-12:00 and
０９：００-１２：００ were refused as campaign.bad_window, while " 09:00 - 12:00 " was stored with
its spaces): full-width digits, colon, comma and hyphen, the ideographic 、, H:MM and spaces are
read, and the windows are stored normalised."""

import pytest

from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _new


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (["09:00-12:00，14:00-20:00"], ["09:00-12:00", "14:00-20:00"]),
        (["9:00-12:00"], ["09:00-12:00"]),
        (["０９：００－１２：００"], ["09:00-12:00"]),
        (["０９：００-１２：００"], ["09:00-12:00"]),
        ([" 09:00 - 12:00 "], ["09:00-12:00"]),
        (["8:30-12:00、13:30-17:30"], ["08:30-12:00", "13:30-17:30"]),
        (["09:00-12:00", "　14:00－20:00　"], ["09:00-12:00", "14:00-20:00"]),
    ],
)
async def test_windows_typed_with_an_ime_are_stored_normalised(client, typed, stored):
    h = {"X-CSRF-Token": await login(client, "3001")}
    resp = await client.post(
        "/api/campaigns", json={"name": "回访", "queue": "service", "windows": typed}, headers=h
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["windows"] == stored
    cid = await _new(client, h)
    resp = await client.patch(f"/api/campaigns/{cid}", json={"windows": typed}, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["windows"] == stored


async def test_what_is_still_no_window_is_refused(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    for typed, error_id in (
        (["9点-12点"], "campaign.bad_window"),
        (["12：00－09：00"], "campaign.window_order"),
    ):
        resp = await client.post(
            "/api/campaigns", json={"name": "回访", "queue": "service", "windows": typed}, headers=h
        )
        assert (resp.status, (await resp.json())["error_id"]) == (422, error_id)
