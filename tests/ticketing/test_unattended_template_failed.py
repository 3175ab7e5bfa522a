"""A template sent by itself that cannot be filled no longer fails the step change it comes with:
entering a step (on_enter, to the customer or the handlers) and a contractor's dispatch record
the message failed with the reason, and the order moves on. Both databases."""

from __future__ import annotations

from sqlalchemy import select

from tests.ticketing.test_contractors import _contractor, flow
from ticketing import create_order
from ticketing.models import ContractorDispatch, Notification, NotificationTemplate
from ticketing.notify import template_failed
from ticketing.workflow.store import import_definition

COSTLY = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"


async def test_a_broken_contractor_or_customer_template_does_not_stop_the_dispatch(session, seeded):
    u = seeded.users
    await import_definition(session, flow())
    company = await _contractor(session, u["9001"], email="")
    session.add_all(
        [
            NotificationTemplate(
                name="测试模板1",
                category="outsourced",
                node="outsource",
                channel="sms",
                audience="contractor",
                body=COSTLY,
            ),
            NotificationTemplate(
                name="测试模板2",
                category="outsourced",
                node="outsource",
                channel="sms",
                auto_send=True,
                body="{{ order.number ",
            ),
        ]
    )
    await session.flush()
    order = await create_order(
        session,
        u["1001"],
        workflow="outsourced",
        site_id=seeded.sites["440100"].id,
        form={"外委单位": company.id},
        caller_number="13912345678",
    )
    assert order.current_node == "outsource"
    assert [d.state for d in await session.scalars(select(ContractorDispatch))] == ["pending"]
    rows = {
        n.recipient: n
        for n in await session.scalars(select(Notification).where(Notification.order_id == order.id))
    }
    contractor, customer = rows["13800001111"], rows["13912345678"]
    assert (contractor.state, customer.state) == ("failed", "failed")
    assert contractor.error.startswith("template_too_costly: contractor sms template")
    assert customer.error.startswith("template_invalid: sms template")
    assert template_failed(contractor.error) and template_failed(customer.error)
    assert not template_failed("SMS to 13800001111: answered 400: template_invalid")
