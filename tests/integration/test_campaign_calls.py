"""A progressive campaign on the real Asterisk: the dialer calls through the CTI bridge.

A simulated agent is signed into ``camp-a`` through the real ``CtiBridge``; the
campaign's calls are the bridge's click-to-dial, so the agent's seat
(``Local/<ext>@hotline-sim-phone``) rings first, then ``hotline-outbound`` dials
``Local/<number>@hotline-sim-customer`` (a number ending in 0 never answers).
The outcomes come from Asterisk's ``DialEnd`` and the bridge's ``CallEnded``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time

import pytest
from sqlalchemy import select

from campaigns import rules, store
from campaigns.dialer import Dialer
from campaigns.events import CampaignCallEnded, CampaignCallPlaced
from campaigns.telephony import BridgeTelephony
from cti.ami import AmiActionError
from cti.calendar import WorkCalendar
from cti.call_events import CallEnded
from tests.cti.harness import Story, seat
from ticketing import db
from ticketing.models import CampaignContact

pytestmark = pytest.mark.asterisk

QUEUE = "camp-a"
ANSWERS, NEVER_ANSWERS = "13900139001", "13900139000"
RING_SECONDS = 5  # the least a campaign may set


@pytest.fixture
async def sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'campaigns.db'}"
    await db.migrate(url)
    engine = db.create_engine(url)
    yield db.sessionmaker(engine)
    await engine.dispose()


async def _leave_camp_a(story: Story) -> None:
    """Members an earlier, crashed run left signed into camp-a."""
    for f in await story.net.action_list("QueueStatus", Queue=QUEUE):
        if f.name == "QueueMember":
            with contextlib.suppress(AmiActionError):
                await story.net.action("QueueRemove", Queue=QUEUE, Interface=f.get("StateInterface"))


async def _campaign(sessions, numbers: tuple[str, ...], **settings) -> int:
    """A started campaign on camp-a with ``numbers`` as its contacts, dialed in this order."""
    async with sessions.begin() as s:
        campaign = await store.create_campaign(s, queue=QUEUE, calls_per_second=5, **settings)
        for n, number in enumerate(numbers):
            await store.add_contact(
                s,
                campaign,
                number,
                source_key=f"row:{n}",
                priority_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC) + dt.timedelta(seconds=n),
            )
        await store.set_status(s, campaign, "start")
        return campaign.id


def _dialer(sessions, story: Story) -> Dialer:
    return Dialer(
        sessions,
        BridgeTelephony(story.bridge, story.bus),
        story.bus,
        calendar=WorkCalendar.always_open(),
        tick=0.2,
    )


async def _stop(worker: asyncio.Task) -> None:
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker


async def test_progressive_campaign_answers_one_contact_and_retries_the_one_who_never_answers(
    asterisk, sessions
):
    async with Story(asterisk) as story:
        await _leave_camp_a(story)
        await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
        agent = await story.new_agent(ring="0", talk="hold")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE: 0})).ok
        assert (await story.bridge.ready(agent)).ok

        async with sessions.begin() as s:
            await store.ensure_dispositions(s)
        cid = await _campaign(
            sessions,
            (ANSWERS, NEVER_ANSWERS),
            name="回访 camp-a",
            mode="progressive",
            max_attempts=3,
            retry_minutes={"no_answer": 30},
            ring_seconds=RING_SECONDS,
        )
        dialer = _dialer(sessions, story)
        worker = asyncio.create_task(dialer.run())
        try:
            first = await story.wait_for(CampaignCallPlaced, number=ANSWERS, timeout=10)
            done = await story.wait_for(CampaignCallEnded, call_id=first.call_id, timeout=20)
            # the agent is ready again: the dialer goes on with the second contact
            second = await story.wait_for(CampaignCallPlaced, number=NEVER_ANSWERS, timeout=10)
            placed_at = time.monotonic()
            missed = await story.wait_for(CampaignCallEnded, call_id=second.call_id, timeout=30)
            rang_for = time.monotonic() - placed_at
            await asyncio.sleep(1.0)  # a few ticks: nothing more is dialed
        finally:
            await _stop(worker)
            await story.net.action("DBDel", Family="hotline-sim", Key="customer-talk")
            await story.bridge.logout(agent)

        answered_call = story.of(CallEnded, call_id=first.call_id)[0]
        async with sessions.begin() as s:
            await store.set_disposition(s, first.contact_id, "satisfied", notes="很满意", agent_id=agent)
        async with sessions() as s:
            rows = {
                c.number: c
                for c in await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == cid))
            }
            progress = await store.progress(s, cid)

    assert first.staff_no == second.staff_no == agent
    assert answered_call.direction == "outbound" and answered_call.outcome == "answered"
    assert answered_call.agent_id == agent and answered_call.dnis == ANSWERS
    assert (done.outcome, done.state, done.attempts) == (rules.ANSWERED, "done", 1)
    assert (missed.outcome, missed.state, missed.attempts) == (rules.NO_ANSWER, "pending", 1)
    # the campaign's ring time, not the outbound context's 45 s
    assert RING_SECONDS - 1 < rang_for < RING_SECONDS + 4
    reached, retry = rows[ANSWERS], rows[NEVER_ANSWERS]
    assert (reached.state, reached.attempts, reached.last_outcome) == ("done", 1, "answered")
    assert (reached.disposition, reached.notes, reached.agent_id) == ("satisfied", "很满意", agent)
    assert reached.last_call_id == first.call_id
    assert (retry.state, retry.attempts, retry.last_outcome) == ("pending", 1, "no_answer")
    assert retry.last_call_id == second.call_id
    expected_retry = dt.datetime.fromisoformat(missed.next_attempt_at)
    assert retry.next_attempt_at == expected_retry
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(minutes=29) < expected_retry <= now + dt.timedelta(minutes=30)
    assert len(story.of(CampaignCallPlaced)) == 2  # the retry waits for its time
    assert progress["states"] == {"done": 1, "pending": 1}
    assert progress["outcomes"] == {"answered": 1, "no_answer": 1}
    assert progress["dispositions"] == {"satisfied": 1}


async def test_an_agent_whose_phone_never_answers_costs_the_customer_no_attempt(asterisk, sessions):
    """The seat rings its ``seat_ring_seconds`` (click-to-dial's Originate timeout) and nobody
    picks up: no Dial ran, so the customer was never called; the agent is left alone for a while."""
    async with Story(asterisk, seat_ring_seconds=4) as story:
        await _leave_camp_a(story)
        agent = await story.new_agent(ring="never")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE: 0})).ok
        assert (await story.bridge.ready(agent)).ok
        cid = await _campaign(sessions, (ANSWERS,), name="回呼 camp-a")
        dialer = _dialer(sessions, story)
        worker = asyncio.create_task(dialer.run())
        try:
            placed = await story.wait_for(CampaignCallPlaced, number=ANSWERS, timeout=10)
            placed_at = time.monotonic()
            ended = await story.wait_for(CampaignCallEnded, call_id=placed.call_id, timeout=15)
            rang_for = time.monotonic() - placed_at
            await asyncio.sleep(1.0)  # ready again, but cooling down: not dialed again
        finally:
            await _stop(worker)
            await story.bridge.logout(agent)
        async with sessions() as s:
            (row,) = await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == cid))

    assert (ended.outcome, ended.state, ended.attempts) == (rules.AGENT_MISSED, "pending", 0)
    assert 3 < rang_for < 8  # the setting's 4 s, not a default
    assert (row.state, row.attempts, row.last_outcome) == ("pending", 0, "")
    assert not story.of(CallEnded, call_id=placed.call_id)[0].answered_at
    assert len(story.of(CampaignCallPlaced)) == 1
    assert dialer.cooling[agent] > time.monotonic()


async def test_predictive_rings_the_customer_first_and_abandons_a_call_no_agent_takes_within_2s(
    asterisk, sessions
):
    """The customer is dialed first; answered, the call waits in camp-a for an agent. The
    first is taken at once (its agent's console is told the contact); for the second the
    agent's phone rings 4 s, past the 2 s limit: abandoned, counted, retried later."""
    async with Story(asterisk) as story:
        await _leave_camp_a(story)
        await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
        agent = await story.new_agent(ring="0", talk="hold")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE: 0})).ok
        assert (await story.bridge.ready(agent)).ok
        cid = await _campaign(
            sessions, (ANSWERS, "13900139002"), name="预测 camp-a", mode="predictive", ring_seconds=10
        )
        dialer = _dialer(sessions, story)
        worker = asyncio.create_task(dialer.run())
        try:
            first = await story.wait_for(CampaignCallPlaced, number=ANSWERS, timeout=15)  # taken: the card
            await story.phone(agent, ring="4", talk="hold")  # the next call finds a slow phone
            done = await story.wait_for(CampaignCallEnded, call_id=first.call_id, timeout=20)
            second = await story.wait_for(CallEnded, dnis="13900139002", timeout=30)
            dropped = await story.wait_for(CampaignCallEnded, call_id=second.call_id, timeout=10)
        finally:
            await _stop(worker)
            await story.net.action("DBDel", Family="hotline-sim", Key="customer-talk")
            await story.bridge.logout(agent)
        answered = story.of(CallEnded, call_id=first.call_id)[0]
        async with sessions() as s:
            rows = {
                c.number: c
                for c in await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == cid))
            }

    assert first.staff_no == agent
    assert answered.outcome == "answered" and answered.agent_id == agent and answered.queue == QUEUE
    assert answered.answered_at - answered.queued_at < rules.CONNECT_WITHIN
    assert (done.outcome, done.state) == (rules.ANSWERED, "done")
    assert (dropped.outcome, dropped.state, dropped.attempts) == (rules.ABANDONED, "pending", 1)
    assert not second.answered_at
    assert (rows[ANSWERS].state, rows[ANSWERS].agent_id) == ("done", agent)
    assert (rows["13900139002"].state, rows["13900139002"].last_outcome) == ("pending", "abandoned")
    tally = dialer.tallies[cid]
    assert (tally.answered, tally.abandoned) == (2, 1)
