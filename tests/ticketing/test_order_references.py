"""create_order refuses a site, customer or interaction id that does not exist as a field error
before it writes anything (it failed the INSERT on the foreign key: a 500 at intake)."""

import pytest
from sqlalchemy import event, func, select

from ticketing import create_order
from ticketing.errors import FieldErrors
from ticketing.models import WorkOrder

FAULT = {"故障名称": "停电", "故障地址": "天河路1号"}


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"customer_id": 999999}, {"customer_id": "field_unknown_customer"}),
        ({"interaction_ids": [999999]}, {"interaction_ids": "field_unknown_interaction"}),
        ({"site_id": 999999}, {"site_id": "field_unknown_site"}),
    ],
)
async def test_an_unknown_id_is_a_field_error_and_nothing_is_written(session, seeded, given, problem):
    args = {"site_id": seeded.sites["HQ"].id, **given}
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session, seeded.users["1001"], workflow="fault_repair", form=FAULT, submit=False, **args
        )
    assert refused.value.problems == problem
    await session.rollback()
    assert await session.scalar(select(func.count(WorkOrder.id))) == 0


async def test_the_customer_is_checked_by_the_orders_insert(engine, sm, seeded):
    """A known customer costs the order no statement of its own: the order's INSERT checks it (a
    round trip less per order). An unknown one is still refused as a field error with nothing
    written, and is the problem named when the form is refused as well."""
    from ticketing.models import Customer

    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    submitted = {**FAULT, "所属供电局": "440100"}
    async with sm() as s:
        customer = await s.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with sm.begin() as s:
            order = await create_order(
                s, agent, workflow="fault_repair", site_id=site, form=submitted, customer_id=customer
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert order.customer_id == customer
    assert [sql for sql in statements if "FROM customers" in sql] == []

    for form, problems in (
        (submitted, {}),
        # lacking the required 故障地址: every problem at once, the form's head first
        ({"故障名称": "停电", "所属供电局": "440100"}, {"故障地址": "field_required"}),
    ):
        async with sm() as s:
            with pytest.raises(FieldErrors) as refused:
                await create_order(
                    s, agent, workflow="fault_repair", site_id=site, form=form, customer_id=999999
                )
            assert refused.value.problems == {"customer_id": "field_unknown_customer", **problems}
            assert list(refused.value.problems)[0] == "customer_id"
    async with sm() as s:
        assert await s.scalar(select(func.count(WorkOrder.id))) == 1
