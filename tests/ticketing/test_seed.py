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
    assert len(await search_notices(session, start=now, end=now + dt.timedelta(hours=1), site_code="GZ")) == 1
    # a second run adds customers only
    again = await seed_demo(session, customers=10)
    assert again.customer_count == 10 and await session.scalar(select(func.count(Customer.id))) == 50
