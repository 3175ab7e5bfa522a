"""A number pattern must give numbers that fit work_orders.number (40 characters): a sequence
wider than a dozen digits, or literal text, dates and sequence (at least 8 digits of it, as it
grows) longer than the column, is refused at import with number_pattern_too_long. Such a
pattern was accepted: its orders failed on PostgreSQL (a 500) and SQLite stored ~100 MB numbers."""

import pytest
from sqlalchemy import select

from ticketing import WorkflowInvalid, create_order
from ticketing.categories import add_category
from ticketing.errors import NumberingError
from ticketing.models import WorkflowDefinition
from ticketing.numbering import validate_pattern
from ticketing.seed import workflow_source
from ticketing.workflow import store

NUMBER_LENGTH = 40  # work_orders.number
FITS = "X" * 24 + "{yyyyMMdd}{seq:08}"  # 24 + 8 + 8 = 40


def _workflow(pattern: str) -> dict:
    data = workflow_source("aftersales_repair")
    data["key"] = "qa_longnum"
    data["number_pattern"] = pattern
    return data


@pytest.mark.parametrize(
    "pattern",
    [
        "QA{yyyyMMdd}{seq:060}",
        "{seq:99999999}",
        "{seq:013}",
        "X" * 25 + "{yyyyMMdd}{seq:08}",
        "Y" * 33 + "{seq:04}",
    ],
)
async def test_a_pattern_whose_numbers_cannot_fit_is_refused_at_import(session, pattern):
    with pytest.raises(WorkflowInvalid) as bad:
        await store.import_definition(session, _workflow(pattern))
    problems = dict(bad.value.problems)
    assert set(problems) == {"number_pattern_too_long"}, problems
    assert (
        str(NUMBER_LENGTH) in problems["number_pattern_too_long"]
        or "12" in problems["number_pattern_too_long"]
    )
    assert (
        await session.scalar(select(WorkflowDefinition.id).where(WorkflowDefinition.key == "qa_longnum"))
        is None
    )
    with pytest.raises(NumberingError):
        validate_pattern(pattern)


async def test_a_category_pattern_too_long_is_refused(session, seeded):
    admin = seeded.users["9001"]
    with pytest.raises(NumberingError) as bad:
        await add_category(
            session, admin, "qa_long", "QA", workflow_key="consult", number_pattern="QA{seq:060}"
        )
    assert bad.value.details["problem"] == "number_pattern_too_long"


async def test_the_longest_pattern_allowed_numbers_orders_on_both_databases(session, seeded):
    await store.import_definition(session, _workflow(FITS))
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="qa_longnum",
        site_id=seeded.sites["GZ"].id,
        form={"产品型号": "X1"},
        submit=False,
    )
    await session.commit()
    assert len(order.number) == 40 == NUMBER_LENGTH
