"""create_order refuses a site, customer or interaction id that does not exist as a field error
before it writes anything (it failed the INSERT on the foreign key: a 500 at intake)."""

import pytest
from sqlalchemy import func, select

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
