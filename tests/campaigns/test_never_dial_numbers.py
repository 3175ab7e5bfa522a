"""One rule for the numbers no outbound call may reach (QA: an imported list of 110, 119, 120,
122, 999 and 10086 was accepted for auto-dialing): emergency numbers, service numbers and other
short codes are refused by the campaign import, kept out by every generated source, never rung by
the dialer (also a contact stored before the rule), and refused as a fax or SMS recipient."""

import pytest

from campaigns import importer, sources, store
from cti.phones import never_dial
from ivr.events import CallbackRequested
from tests.campaigns.test_store_and_dialer import (
    NOW,
    Clock,
    FakeTelephony,
    add,
    bus,  # noqa: F401 (the fixture)
    contacts,
    dialer_for,
    new_campaign,
)
from ticketing.models import Campaign, CampaignContact
from ticketing.notify import ActionRefused, check_recipient


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110", "emergency_number"),
        ("119", "emergency_number"),
        ("120", "emergency_number"),
        ("122", "emergency_number"),
        ("999", "emergency_number"),
        ("12110", "emergency_number"),
        ("020110", "emergency_number"),  # Guangzhou's 110 behind its area code
        ("0755110", "emergency_number"),
        ("95598", "service_number"),
        ("4008208820", "service_number"),
        ("10086", "short_code"),
        ("114", "short_code"),
        ("123456", "short_code"),
        ("13800138000", ""),
        ("02088886666", ""),
        ("88886666", ""),
    ],
)
def test_the_rule(number, why):
    assert never_dial(number) == why


async def test_the_import_refuses_emergency_numbers_and_short_codes_in_words(sm):
    async with sm.begin() as s:
        cid = (await store.create_campaign(s, name="名单", queue="camp-a")).id
    text = "电话,姓名\n110,报警\n120,急救\n119,火警\n122,交警\n10086,移动客服\n999,x\n13800000001,张三\n"
    async with sm.begin() as s:
        report = await importer.commit(
            s, await s.get(Campaign, cid), text.encode(), "list.csv", {"number": "电话"}
        )
    rejected = {r["line"]: (r["reason"], r["text"]) for r in report.summary()["rejected_rows"]}
    emergency = ("emergency_number", "紧急号码（如 110、119、120、122）不能外呼")
    assert rejected == {
        2: emergency,
        3: emergency,
        4: emergency,
        5: emergency,
        7: emergency,
        6: ("short_code", "短号码（如 10086、114）不能外呼"),
    }
    assert set(await contacts(sm, cid)) == {"13800000001"}


async def test_a_callback_from_an_emergency_line_is_kept_out(sm):
    async with sm.begin() as s:
        contact = await sources.add_callback(
            s,
            CallbackRequested(
                call_id="1780000000.7", caller="110", queue="service", entered_at=1_780_000_000
            ),
        )
        assert contact is not None and contact.state == "emergency_number"


async def test_the_dialer_never_rings_a_contact_stored_before_the_rule(sm, bus):  # noqa: F811
    cid = await new_campaign(sm)
    await add(sm, cid, "13800000002")
    async with sm.begin() as s:  # as an older release imported it: pending
        s.add(CampaignContact(campaign_id=cid, number="110", source_key="old", priority_at=NOW))
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002"]}), Clock()
    await dialer_for(sm, phone, bus, clock).tick()
    assert [n for _, n, _ in phone.placed] == ["13800000002"]
    assert (await contacts(sm, cid))["110"].state == "emergency_number"


@pytest.mark.parametrize("channel", ["fax", "sms"])
@pytest.mark.parametrize("to", ["110", "020110", "0755110", "95598", "10086"])
def test_no_fax_or_sms_to_them(channel, to):
    with pytest.raises(ActionRefused):
        check_recipient(channel, to)
