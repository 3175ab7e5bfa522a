"""What the IVR's ticket progress (menu 3) tells a caller: only orders linked to the number they
call from, or the order whose number they keyed in; never another customer's by their phone."""

from ticketing import create_order
from ticketing.customers import create_customer, ticket_progress

OWNER = "13100000001"
STRANGER = "13988000302"
REPORTER = "13988000402"


async def _fault(session, seeded, *, customer_id=None, caller_number=OWNER):
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        customer_id=customer_id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        caller_number=caller_number,
    )


async def test_keying_someone_elses_phone_number_reveals_nothing(session, seeded):
    # QA F1: the keyed digits were looked up as a phone number and read that customer's order.
    customer = await create_customer(
        session, "8800000101", "陈雨", phones=[OWNER], site_id=seeded.sites["440100"].id
    )
    order = await _fault(session, seeded, customer_id=customer.id)
    await session.commit()
    assert await ticket_progress(session, OWNER, STRANGER) == []
    assert await ticket_progress(session, "+86 " + OWNER, STRANGER) == []
    # "#" alone from a number with no order of its own: nothing either
    assert await ticket_progress(session, "", STRANGER) == []
    assert await ticket_progress(session, "", "") == []
    # the owner, by "#" alone from their own phone; anyone, by the order's whole number
    assert [p["number"] for p in await ticket_progress(session, "", OWNER)] == [order.number]
    digits = order.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert [p["number"] for p in await ticket_progress(session, digits, STRANGER)] == [order.number]


async def _twins(session, seeded):
    """A fault order and a consultation whose numbers share their digits (GZ… and ZX…)."""
    customer = await create_customer(
        session, "8800000102", "陈雨", phones=[OWNER], site_id=seeded.sites["440100"].id
    )
    consult = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        customer_id=customer.id,
        form={"咨询内容": "峰谷电价", "答复内容": "七月起"},
        caller_number=OWNER,
    )
    fault = await _fault(session, seeded, caller_number=REPORTER)
    consult.number = "ZX" + fault.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    await session.commit()
    return fault, consult


async def test_shared_digits_read_the_callers_own_order_and_nobody_elses(session, seeded):
    # QA F10: GZ…00001 and ZX…00001 key in alike; whichever came first was read to anyone.
    fault, consult = await _twins(session, seeded)
    digits = fault.number[2:]
    assert consult.number[2:] == digits and consult.number != fault.number
    [theirs] = await ticket_progress(session, digits, REPORTER)  # the fault's reporter
    assert theirs["number"] == fault.number
    [mine] = await ticket_progress(session, digits, "+86 " + OWNER)  # the consultation's customer
    assert mine["number"] == consult.number
    # a stranger is told neither: both are there, for the IVR to say it cannot tell them apart
    assert sorted(p["number"] for p in await ticket_progress(session, digits, STRANGER)) == sorted(
        [fault.number, consult.number]
    )
    # the whole number with its letters is one order, whoever asks
    assert [p["number"] for p in await ticket_progress(session, consult.number, STRANGER)] == [consult.number]
