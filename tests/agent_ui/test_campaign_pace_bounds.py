"""calls_per_second has the page's range on the API too (QA: PATCH 1e-9 and 0.001 were stored; a
campaign paced at one call in 31 years, and the page's form then refused to save anything else)."""

from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _new


async def test_calls_per_second_is_refused_outside_0_1_to_10_in_words(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    for value in (1e-9, 0.001, 0.09, 0, 10.5):
        for resp in (
            await client.patch(f"/api/campaigns/{cid}", json={"calls_per_second": value}, headers=h),
            await client.post(
                "/api/campaigns", json={"name": "x", "queue": "service", "calls_per_second": value}, headers=h
            ),
        ):
            body = await resp.json()
            assert (resp.status, body["error_id"]) == (422, "campaign.bad_calls_per_second"), (value, body)
            assert body["message"] == "每秒外呼数须在 0.1 到 10 之间"
    for value in (0.1, 10):
        resp = await client.patch(f"/api/campaigns/{cid}", json={"calls_per_second": value}, headers=h)
        assert resp.status == 200 and (await resp.json())["calls_per_second"] == value
