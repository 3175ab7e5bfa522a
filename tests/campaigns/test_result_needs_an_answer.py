"""QA 2026-11-29 #5: a contact whose call nobody answered was given 结果代码 满意, and counted as
satisfied on the campaign page and in 外呼活动结果 (接通 2, 满意 3). A code only a customer on the
line gives (``needs_answer``: 满意, 不满意, 问题已解决, 拒绝回访) is refused after a call that found
nobody, from the agent and from a campaign manager alike; 号码错误 and 稍后再打 still fit, and a
contact given no result is called again when its retry is due. On SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from campaigns import store
from tests.campaigns.test_store_and_dialer import (  # noqa: F401 (bus: a fixture)
    Clock,
    FakeTelephony,
    add,
    bus,
    dialer_for,
    new_campaign,
)
from ticketing.models import CampaignContact, Disposition

ANSWERED_ONLY = ("satisfied", "dissatisfied", "resolved", "refused")


async def dialled(sm, bus, outcome: str):  # noqa: F811
    """One contact of a progressive campaign called by 1001, the call ended with ``outcome``
    (None: still on): (the dialer, the phone, the clock, the contact's id)."""
    cid = await new_campaign(sm, mode="progressive")
    await add(sm, cid, "13800000001")
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    dialer = dialer_for(sm, phone, bus, clock)
    await dialer.tick()
    ((_, _, call_id),) = phone.placed
    if outcome is not None:
        await dialer.on_outcome(call_id, outcome)
    async with sm() as s:
        (contact_id,) = await s.scalars(select(CampaignContact.id))
    return dialer, phone, clock, contact_id


async def test_the_shipped_codes_say_which_need_an_answer(sm):
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
    async with sm() as s:
        flags = {d.code: d.needs_answer for d in await store.dispositions(s)}
    assert flags == {
        "satisfied": True,
        "dissatisfied": True,
        "resolved": True,
        "refused": True,
        "call_later": False,
        "wrong_number": False,
    }


@pytest.mark.parametrize("outcome", ["no_answer", "busy", "failed"])
async def test_a_customer_never_reached_takes_no_answer_only_code(sm, bus, outcome):  # noqa: F811
    dialer, phone, clock, contact_id = await dialled(sm, bus, outcome)
    async with sm() as s:
        before = await s.get(CampaignContact, contact_id)
        waiting = (before.state, before.attempts, before.next_attempt_at)
    assert waiting[0] == "pending" and waiting[2] is not None  # a retry is due
    for code in ANSWERED_ONLY:
        for agent, manager in (("1001", False), ("", True)):  # the caller, a team leader correcting
            with pytest.raises(store.CampaignError) as refused:
                async with sm.begin() as s:
                    await store.set_disposition(s, contact_id, code, agent_id=agent, any_contact=manager)
            assert refused.value.code == "campaign.needs_answer", (code, manager)
    async with sm() as s:
        after = await s.get(CampaignContact, contact_id)
        assert (after.state, after.attempts, after.next_attempt_at, after.disposition) == (*waiting, "")
        assert (await store.progress(s, after.campaign_id))["dispositions"] == {}

    # no result saved (the card closed): the retry calls the customer again when due
    phone.ready = {"camp-a": ["1001"]}
    clock.advance((waiting[2] - clock.utc).total_seconds() + 1)
    await dialer.tick()
    assert len(phone.placed) == 2, phone.placed


async def test_codes_that_fit_an_unreached_call_are_kept(sm, bus):  # noqa: F811
    _, _, _, contact_id = await dialled(sm, bus, "no_answer")
    async with sm.begin() as s:  # 稍后再打: still waiting for its retry
        contact = await store.set_disposition(s, contact_id, "call_later", agent_id="1001")
        assert (contact.state, contact.disposition) == ("pending", "call_later")
    async with sm.begin() as s:  # 号码错误: final, nobody calls that number again
        contact = await store.set_disposition(s, contact_id, "wrong_number", agent_id="1001")
        assert (contact.state, contact.next_attempt_at) == ("failed", None)


@pytest.mark.parametrize("outcome", ["answered", None])
async def test_an_answered_call_or_one_on_takes_any_code(sm, bus, outcome):  # noqa: F811
    _, _, _, contact_id = await dialled(sm, bus, outcome)
    async with sm.begin() as s:
        contact = await store.set_disposition(s, contact_id, "satisfied", agent_id="1001")
    assert contact.disposition == "satisfied"


async def test_a_code_an_admin_configured_fits_any_call_unless_flagged(sm, bus):  # noqa: F811
    _, _, _, contact_id = await dialled(sm, bus, "busy")
    async with sm.begin() as s:
        s.add_all(
            [
                Disposition(code="paid", label="已缴费"),  # says nothing of the call: as before
                Disposition(code="promised", label="承诺缴费", needs_answer=True),
            ]
        )
    async with sm.begin() as s:
        assert (await store.set_disposition(s, contact_id, "paid", agent_id="1001")).disposition == "paid"
    with pytest.raises(store.CampaignError, match="promised"):
        async with sm.begin() as s:
            await store.set_disposition(s, contact_id, "promised", agent_id="1001")
