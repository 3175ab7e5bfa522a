"""Who may see, and so 重发, a message we sent is one rule (faxes.may_see_sent): the fax's
document, 重发 of any channel and its refusal of an alert to staff all ask it, instead of
order_messages keeping its own copy of faxes.resend's. Its sender, supervisors and admins, and
whoever has the order in their scope; nobody else, for a row sent by hand or by the system."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.faxes import may_see_sent
from tests.agent_ui.conftest import login
from ticketing.models import Notification, User


async def test_one_rule_says_who_may_see_a_sent_message(client, world):
    csrf = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "电价"},
            "caller_number": "13800138000",
            "submit": False,
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    async with world.services.sessionmaker.begin() as db:
        by_hand = Notification(
            channel="sms",
            recipient="13800138000",
            order_id=order["id"],
            user_id=world.people["1001"],
            body="您好",
        )
        by_system = Notification(channel="sms", recipient="13800138000", order_id=order["id"], body="已受理")
        loose = Notification(
            channel="sms", recipient="13800138000", user_id=world.people["1001"], body="无工单"
        )
        db.add_all([by_hand, by_system, loose])
    async with world.services.sessionmaker() as db:
        people = {
            staff_no: await db.get(User, world.people[staff_no])
            for staff_no in ("1001", "2001", "3001", "9001")
        }
        rows = list(await db.scalars(select(Notification).order_by(Notification.id)))
        seen = {
            staff_no: [await may_see_sent(db, user, row) for row in rows] for staff_no, user in people.items()
        }
    assert seen == {
        "1001": [True, True, True],  # the sender, and the order is in the HQ agent's scope
        "2001": [False, False, False],  # a bureau's handler: the HQ order is not theirs
        "3001": [True, True, False],  # another agent of HQ: the order's, not an order-less row
        "9001": [True, True, True],  # an admin
    }
