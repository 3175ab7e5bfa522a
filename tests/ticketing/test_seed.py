"""Seeding is idempotent; the demo generator produces a usable world."""

from sqlalchemy import func, select

from ticketing.demo import demo_account_no, seed_demo
from ticketing.knowledge import search_articles, search_notices
from ticketing.models import Category, Customer, WorkflowDefinition, WorkOrder, utcnow
from ticketing.seed import seed_defaults


async def test_seed_defaults_twice_changes_nothing(session):
    await seed_defaults(session)
    counts = [await session.scalar(select(func.count(m.id))) for m in (WorkflowDefinition, Category)]
    await seed_defaults(session)
    assert [await session.scalar(select(func.count(m.id))) for m in (WorkflowDefinition, Category)] == counts
    assert set(await session.scalars(select(WorkflowDefinition.key))) == {
        "consult",
        "fault_repair",
        "complaint",
        "service_application",
        "aftersales_repair",
    }


async def test_demo_world(session):
    import datetime as dt

    await seed_defaults(session)
    demo = await seed_demo(session, customers=40, orders=6)
    await session.commit()
    assert demo.customer_count == 40
    assert await session.scalar(select(Customer.name).where(Customer.account_no == demo_account_no(40)))
    assert await session.scalar(select(func.count(WorkOrder.id))) == 6
    assert {"1001", "2001", "3001", "9001", "5101", "5201", "5301"} <= set(demo.users)
    assert [a.title for a in await search_articles(session, "峰谷")] == ["峰谷分时电价"]
    now = utcnow()
    assert (
        len(await search_notices(session, start=now, end=now + dt.timedelta(hours=1), site_code="440100"))
        == 1
    )
    # a second run adds customers only
    again = await seed_demo(session, customers=10)
    assert again.customer_count == 10 and await session.scalar(select(func.count(Customer.id))) == 50


async def test_demo_staff_have_addresses_that_reach_no_real_mailbox(session):
    """The handlers' email templates (a complaint's 处理 step, audience: handler) need an address:
    the demo gives every account one, on the reserved .example domain."""
    from sqlalchemy import update

    from ticketing.demo import add_demo_emails, demo_staff_numbers
    from ticketing.models import User

    await seed_defaults(session)
    demo = await seed_demo(session, customers=1)
    await session.flush()
    assert set(demo_staff_numbers()) == set(demo.users)
    emails = {u.staff_no: u.email for u in await session.scalars(select(User))}
    assert emails == {staff_no: f"{staff_no}@hotline.example" for staff_no in demo.users}
    assert {"5101", "5102", "5201", "5202", "5301", "5302"} <= set(emails)

    # a demo database seeded before: its accounts get addresses, one set since keeps its own
    await session.execute(update(User).values(email=""))
    await session.execute(update(User).where(User.staff_no == "5102").values(email="li@gz.hotline.example"))
    await session.execute(
        update(User).where(User.staff_no == "5101").values(staff_no="5109")
    )  # not a demo one
    assert await add_demo_emails(session) == len(demo.users) - 2
    emails = {u.staff_no: u.email for u in await session.scalars(select(User))}
    assert emails["5201"] == "5201@hotline.example" and emails["9001"] == "9001@hotline.example"
    assert emails["5102"] == "li@gz.hotline.example" and emails["5109"] == ""
