"""What the IVR's ticket progress (menu 3) tells a caller: only orders linked to the number they
call from, or the order whose number they keyed in; never another customer's by their phone."""

from ticketing import create_order
from ticketing.customers import create_customer, ticket_progress

OWNER = "13100000001"
STRANGER = "13988000302"


async def _fault(session, seeded, *, customer_id=None, caller_number=OWNER):
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["GZ"].id,
        customer_id=customer_id,
        form={"故障地址": "天河路1号", "所属供电局": "GZ"},
        caller_number=caller_number,
    )


async def test_keying_someone_elses_phone_number_reveals_nothing(session, seeded):
    # QA F1: the keyed digits were looked up as a phone number and read that customer's order.
    customer = await create_customer(
        session, "8800000101", "陈雨", phones=[OWNER], site_id=seeded.sites["GZ"].id
    )
    order = await _fault(session, seeded, customer_id=customer.id)
    await session.commit()
    assert await ticket_progress(session, OWNER, STRANGER) is None
    assert await ticket_progress(session, "+86 " + OWNER, STRANGER) is None
    # "#" alone from a number with no order of its own: nothing either
    assert await ticket_progress(session, "", STRANGER) is None
    assert await ticket_progress(session, "", "") is None
    # the owner, by "#" alone from their own phone; anyone, by the order's whole number
    assert (await ticket_progress(session, "", OWNER))["number"] == order.number
    digits = order.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert (await ticket_progress(session, digits, STRANGER))["number"] == order.number
