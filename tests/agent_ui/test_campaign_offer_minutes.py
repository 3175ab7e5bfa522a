"""A preview offer's lapse is the campaign's setting (``offer_minutes``, 1–60, 5 by default): the
admin sets it at creation or later (``PATCH``), the API's campaign shows it, and a value out of
range, a fraction or text is refused in words (``campaign.bad_offer_minutes``, 422), never stored.
It used to be one constant for every campaign (``dialer.OFFER_SECONDS``, 5 minutes)."""

from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _new


async def test_the_admin_sets_the_lapse_and_the_campaign_shows_it(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    default = await _new(client, h, mode="preview")
    assert (await (await client.get(f"/api/campaigns/{default}")).json())["offer_minutes"] == 5

    cid = await _new(client, h, mode="preview", offer_minutes=15)
    shown = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert shown["offer_minutes"] == 15
    listed = await (await client.get("/api/campaigns")).json()
    assert {c["id"]: c["offer_minutes"] for c in listed["campaigns"]}[cid] == 15

    resp = await client.patch(f"/api/campaigns/{cid}", json={"offer_minutes": 3}, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["offer_minutes"] == 3
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["offer_minutes"] == 3


async def test_a_lapse_out_of_range_is_refused_in_words(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, mode="preview")
    for value in (0, 61, -5, 2.5, "10", True, None):
        for resp in (
            await client.patch(f"/api/campaigns/{cid}", json={"offer_minutes": value}, headers=h),
            await client.post(
                "/api/campaigns",
                json={"name": "x", "queue": "service", "mode": "preview", "offer_minutes": value},
                headers=h,
            ),
        ):
            body = await resp.json()
            assert (resp.status, body["error_id"]) == (422, "campaign.bad_offer_minutes"), (value, body)
            assert body["message"] == "预览保留时长须为 1 到 60 之间的整数分钟"
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["offer_minutes"] == 5
    for value in (1, 60):
        resp = await client.patch(f"/api/campaigns/{cid}", json={"offer_minutes": value}, headers=h)
        assert resp.status == 200 and (await resp.json())["offer_minutes"] == value
