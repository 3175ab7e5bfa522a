"""store.call_awaiting_result: the agent's campaign call still owing its 结果代码, whose card a
reload or a second tab of the seat shows again (QA 2026-11-29 #22: a reload lost the card for
good, the answered contact left with no result). On SQLite and PostgreSQL."""

from sqlalchemy import update

from campaigns import store
from tests.campaigns.test_store_and_dialer import (  # noqa: F401 (bus: a fixture)
    Clock,
    FakeTelephony,
    add,
    bus,
    dialer_for,
    new_campaign,
)
from ticketing.models import CampaignContact


async def owed(sm, agent_id: str) -> dict | None:
    async with sm() as s:
        return await store.call_awaiting_result(s, agent_id)


async def test_an_answered_call_is_owed_until_its_result_and_a_retry_owes_again(sm, bus):  # noqa: F811
    cid = await new_campaign(sm, mode="progressive", name="队列回呼")
    await add(sm, cid, "13800000001")
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    dialer = dialer_for(sm, phone, bus, clock)
    await dialer.tick()
    ((_, _, call_id),) = phone.placed
    on_line = await owed(sm, "1001")
    assert (on_line["call_id"], on_line["number"], on_line["campaign"], on_line["outcome"]) == (
        call_id,
        "13800000001",
        "队列回呼",
        "",
    )
    assert await owed(sm, "1002") is None  # nobody else's card

    await dialer.on_outcome(call_id, "answered")
    assert (await owed(sm, "1001"))["outcome"] == "answered"
    contact_id = on_line["contact_id"]
    async with sm.begin() as s:  # 稍后再打: the result is in, the contact waits for a retry
        await store.set_disposition(s, contact_id, "call_later", agent_id="1001")
    assert await owed(sm, "1001") is None

    # the retry's call owes its own result, though the contact still carries the last one
    phone.ready = {"camp-a": ["1001"]}
    async with sm.begin() as s:  # due now
        await s.execute(
            update(CampaignContact).where(CampaignContact.id == contact_id).values(next_attempt_at=None)
        )
    clock.advance(5)
    await dialer.tick()
    assert len(phone.placed) == 2, phone.placed
    retry = phone.placed[1][2]
    await dialer.on_outcome(retry, "answered")
    again = await owed(sm, "1001")
    assert (again["call_id"], again["outcome"]) == (retry, "answered")


async def test_a_call_not_answered_owes_nothing(sm, bus):  # noqa: F811
    cid = await new_campaign(sm, mode="progressive")
    await add(sm, cid, "13800000001")
    phone = FakeTelephony({"camp-a": ["1001"]})
    dialer = dialer_for(sm, phone, bus, Clock())
    await dialer.tick()
    await dialer.on_outcome(phone.placed[0][2], "busy")
    assert await owed(sm, "1001") is None
