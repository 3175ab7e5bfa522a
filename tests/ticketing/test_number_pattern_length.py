"""A new number pattern must give numbers that fit work_orders.number (40 characters): literal
text, dates and the sequence at its padding longer than the column are refused at import (and
for a category's pattern) with number_pattern_too_long. Such a pattern was accepted: its orders
failed on PostgreSQL (a 500) and SQLite stored ~100 MB numbers. Patterns already stored keep
loading and numbering (test_number_pattern_stored.py)."""

import pytest
from sqlalchemy import select

from ticketing import WorkflowInvalid, create_order
from ticketing.categories import add_category
from ticketing.errors import NumberingError
from ticketing.models import WorkflowDefinition
from ticketing.numbering import validate_new_pattern
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
        "{seq:041}",
        "X" * 25 + "{yyyyMMdd}{seq:08}",
        "Y" * 37 + "{seq:04}",
    ],
)
async def test_a_pattern_whose_numbers_cannot_fit_is_refused_at_import(session, pattern):
    with pytest.raises(WorkflowInvalid) as bad:
        await store.import_definition(session, _workflow(pattern))
    problems = dict(bad.value.problems)
    assert set(problems) == {"number_pattern_too_long"}, problems
    assert str(NUMBER_LENGTH) in problems["number_pattern_too_long"]
    assert (
        await session.scalar(select(WorkflowDefinition.id).where(WorkflowDefinition.key == "qa_longnum"))
        is None
    )
    with pytest.raises(NumberingError):
        validate_new_pattern(pattern)


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
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "X1"},
        submit=False,
    )
    await session.commit()
    assert len(order.number) == 40 == NUMBER_LENGTH


@pytest.mark.parametrize(
    ("pattern", "length"),
    [
        ("GDPG-GZ-PANYU-HUANANSERV-{yyyyMMdd}{seq:06}", 39),  # was counted as 41
        ("WO{yyyyMMdd}{seq:013}", 23),  # was refused as wider than 12 digits
        ("Y" * 36 + "{seq:04}", 40),
    ],
)
async def test_a_pattern_whose_numbers_fit_at_its_padding_is_accepted(session, seeded, pattern, length):
    await store.import_definition(session, _workflow(pattern))
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="qa_longnum",
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "X1"},
        submit=False,
    )
    await session.commit()
    assert len(order.number) == length
    admin = seeded.users["9001"]
    await add_category(
        session, admin, "qa_fits", "QA", workflow_key="consult", number_pattern="Q" + pattern[1:]
    )
