"""A running campaign outside its calling hours says so, and when it calls next (QA: on a rest day
the page showed only 进行中 · 待拨 7 while nothing was dialled); a campaign may be set to call on
every day."""

import datetime as dt

from agent_ui import campaigns as campaign_routes
from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _new

SATURDAY = dt.datetime(2026, 11, 27, 21, 12, tzinfo=dt.UTC)  # Sat 28 Nov 05:12 in Shanghai


async def test_the_campaign_says_why_it_is_idle_and_when_it_calls_next(client, monkeypatch):
    monkeypatch.setattr(campaign_routes, "utcnow", lambda: SATURDAY)
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, windows=["08:30-20:00"])
    assert (await client.post(f"/api/campaigns/{cid}/start", headers=h)).status == 200
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["calling"] == {
        "open": False,
        "next_at": "2026-11-30T00:30:00+00:00",
        "weekday": "mon",
        "local": "11-30 08:30",
    }
    (listed,) = (await (await client.get("/api/campaigns")).json())["campaigns"]
    assert listed["calling"]["weekday"] == "mon"

    # every day: the windows hold on the weekend too, so at 05:12 the next call is at 08:30 today
    resp = await client.patch(f"/api/campaigns/{cid}", json={"every_day": True}, headers=h)
    assert resp.status == 200 and (await resp.json())["every_day"] is True
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert (view["calling"]["weekday"], view["calling"]["local"]) == ("sat", "11-28 08:30")
    await client.patch(f"/api/campaigns/{cid}", json={"windows": []}, headers=h)
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["calling"] == {"open": True}

    bad = await client.patch(f"/api/campaigns/{cid}", json={"every_day": "yes"}, headers=h)
    assert bad.status == 422 and (await bad.json())["error_id"] == "campaign.bad_every_day"
