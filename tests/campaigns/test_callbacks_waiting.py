"""待回拨 (the wallboard's callers waiting to be called back) on both databases: a queue's callback
campaigns' pending contacts, a paused campaign's too and a retry waiting for its time, but not a
contact being dialled, reached or failed, one past its deadline, a finished campaign's, nor any
other kind of campaign's."""

import datetime as dt

from sqlalchemy import update

from campaigns import store
from ticketing.models import Campaign, CampaignContact

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


async def _campaign(
    s, name: str, queue: str, kind: str, states: list[str], status: str = "start"
) -> Campaign:
    campaign = await store.create_campaign(s, name=name, queue=queue, kind=kind, mode="progressive")
    for n, state in enumerate(states):
        contact = await store.add_contact(
            s, campaign, f"1390000{len(name):02d}{n:02d}", source_key=f"{name}:{n}"
        )
        contact.state = state
    await store.set_status(s, campaign, "start")
    if status != "start":
        await store.set_status(s, campaign, status)
    return campaign


async def test_the_callers_waiting_per_queue(sm):
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        await _campaign(
            s, "队列回呼 service（全天）", "service", "callback", ["pending", "pending", "dialing", "done"]
        )
        await _campaign(
            s, "队列回呼 service（工作日）", "service", "callback", ["pending", "failed"], "pause"
        )
        late = await _campaign(s, "队列回呼 complaint", "complaint", "callback", ["pending", "pending"])
        await _campaign(s, "队列回呼 old", "complaint", "callback", ["pending"], "finish")
        await _campaign(s, "回访", "service", "visit_back", ["pending"])
        await s.flush()
        # a retry waiting for its time still waits; a deadline passed no longer does
        await s.execute(
            update(CampaignContact)
            .where(
                CampaignContact.campaign_id == late.id, CampaignContact.source_key == "队列回呼 complaint:0"
            )
            .values(expires_at=NOW - dt.timedelta(minutes=1))
        )
        await s.execute(
            update(CampaignContact)
            .where(
                CampaignContact.campaign_id == late.id, CampaignContact.source_key == "队列回呼 complaint:1"
            )
            .values(next_attempt_at=NOW + dt.timedelta(minutes=30))
        )
    async with sm() as s:
        assert await store.callbacks_waiting(s, NOW) == {"service": 3, "complaint": 1}
