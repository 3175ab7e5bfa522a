"""The order-number length rule (number_pattern_too_long) is for new patterns only. A workflow
version stored before it, or a category's pattern already in the database, keeps loading (its
running orders open and act) and keeps numbering new orders; the clash check still sees it.
On 49dd4a1 such a version raised WorkflowInvalid when loaded and every new order of such a
category failed in the numbering."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import WorkflowInvalid, create_order
from ticketing.errors import NumberingError
from ticketing.models import Category, WorkflowDefinition, WorkOrder
from ticketing.numbering import number_prefix, validate_new_pattern
from ticketing.seed import workflow_source
from ticketing.workflow import store
from ticketing.workflow.definition import parse

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CONSULT = {"咨询内容": "电价", "答复内容": "已答复"}
#: 39 characters, counted as 41 by 49dd4a1 (its sequence at 8 digits): works on PostgreSQL
LONG = "GDPG-GZ-PANYU-HUANANSERV-{yyyyMMdd}{seq:06}"
#: 43 characters: refused for a new pattern, but stored ones still load
TOO_LONG = "X" * 30 + "{yyyyMMdd}{seq:05}"


async def _store_version(session, key: str, pattern: str) -> WorkflowDefinition:
    # as an installation holds it: imported before the length rule
    body = {**workflow_source("consult"), "key": key, "number_pattern": pattern}
    row = WorkflowDefinition(key=key, version=1, name="QA", body=body, source="")
    session.add(row)
    await session.flush()
    return row


async def test_a_stored_version_numbers_its_orders_and_they_load(session, seeded):
    row = await _store_version(session, "qa_stored", LONG)
    user, site = seeded.users["1001"], seeded.sites["440100"].id
    order = await create_order(session, user, workflow="qa_stored", site_id=site, form=CONSULT, now=NOW)
    await session.commit()
    assert order.number == "GDPG-GZ-PANYU-HUANANSERV-20261127000001"
    store._cache.clear()  # a fresh process loading the running order's version
    definition = await store.definition_for(session, row.id)
    assert definition.number_pattern == LONG
    loaded = await session.scalar(select(WorkOrder).where(WorkOrder.number == order.number))
    assert loaded.workflow_id == row.id


async def test_a_stored_version_whose_numbers_are_too_long_still_loads(session, seeded):
    row = await _store_version(session, "qa_stored", TOO_LONG)
    store._cache.clear()
    definition = await store.definition_for(session, row.id)
    assert definition.number_pattern == TOO_LONG
    assert (await store.latest(session, "qa_stored")).version == 1
    prefix, width = number_prefix(TOO_LONG, NOW)
    assert (len(prefix), width) == (39, 5)
    # parse of the same body as a new import is refused
    with pytest.raises(WorkflowInvalid) as invalid:
        parse(row.body)
    assert [p[0] for p in invalid.value.problems] == ["number_pattern_too_long"]
    assert parse(row.body, stored=True).number_pattern == TOO_LONG
    with pytest.raises(NumberingError):
        validate_new_pattern(TOO_LONG)


async def _set_category_pattern(session, code: str, pattern: str) -> None:
    # as an installation holds it: set before the length rule
    category = await session.scalar(select(Category).where(Category.code == code, Category.site_id.is_(None)))
    category.number_pattern = pattern
    await session.flush()


async def test_a_stored_category_pattern_numbers_new_orders(session, seeded):
    await _set_category_pattern(session, "query", LONG)
    user, site = seeded.users["1001"], seeded.sites["440100"].id
    first = await create_order(
        session, user, workflow="consult", category="query", site_id=site, form=CONSULT, now=NOW
    )
    second = await create_order(
        session, user, workflow="consult", category="query", site_id=site, form=CONSULT, now=NOW
    )
    await session.commit()
    assert (first.number, second.number) == (
        "GDPG-GZ-PANYU-HUANANSERV-20261127000001",
        "GDPG-GZ-PANYU-HUANANSERV-20261127000002",
    )


async def test_the_clash_check_sees_a_stored_pattern_the_rule_refuses(session, seeded):
    await _set_category_pattern(session, "query", TOO_LONG)
    # X*30 + 10 digits or more (40 characters, allowed): TOO_LONG's X*30 + 13 digits can be the same
    clashing = {
        **workflow_source("consult"),
        "key": "qa_clash",
        "number_pattern": "X" * 30 + "{yyMM}{seq:06}",
    }
    with pytest.raises(WorkflowInvalid) as invalid:
        await store.import_definition(session, clashing)
    assert [(p[0], p.where.get("category")) for p in invalid.value.problems] == [
        ("number_pattern_clash", "query")
    ]
