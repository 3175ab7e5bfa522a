"""A number pattern whose numbers can be another's is refused at import; an order whose number
is taken anyway (a pattern stored before that check) gets the next free one, never a 500."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import ActionRefused, WorkflowInvalid, create_order
from ticketing.categories import add_category
from ticketing.models import WorkflowDefinition
from ticketing.numbering import clashes, shares_counter
from ticketing.seed import workflow_source
from ticketing.workflow import insert, store

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SH)
CONSULT = {"咨询内容": "电价", "答复内容": "已答复"}


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        ("ZX{yyyyMMdd}0{seq:04}", "ZX{yyyyMMdd}{seq:05}", True),  # ZX + 13 digits, both
        ("RE{yy}{MM}{seq:04}", "RE{yy}{MM}{dd}{seq:02}", True),  # the month's 2701st = the 27th's 1st
        ("{yyyyMMdd}{seq:05}", "{yyMMdd}{seq:05}", True),
        ("GZ{yyyyMMdd}{seq:05}", "GZ{yyyy}{MM}{dd}{seq:06}", False),  # one counter: GZ20261127#
        ("GZ{yyyyMMdd}{seq:05}", "ZX{yyyyMMdd}{seq:05}", False),
        ("GZ{yyyyMMdd}{seq:05}", "GZX{yyyyMMdd}{seq:05}", False),
        ("A{yyyyMMdd}-{seq:03}", "A{yyyyMMdd}{seq:03}", False),
        ("RE{yy}{MM}{seq:04}", "RE{yyyyMMdd}{seq:04}", True),  # RE + 8 or more digits, RE + 12 or more
        ("RE{yyMM}{seq:02}", "RE{yyyyMMdd}{seq:02}-", False),
    ],
)
def test_clashes(a, b, clash):
    assert clashes(a, b) is clash
    assert clashes(b, a) is clash


def test_the_same_counter():
    assert shares_counter("GZ{yyyy}{MM}{dd}{seq:05}", "GZ{yyyyMMdd}{seq:06}")
    assert not shares_counter("GZ{yyyyMMdd}{seq:05}", "GZ{ddMMyyyy}{seq:05}")


def collide(pattern: str = "ZX{yyyyMMdd}0{seq:04}") -> dict:
    data = workflow_source("consult")
    return {**data, "key": "qa_collide", "category": "qa_collide", "number_pattern": pattern}


async def test_an_import_whose_numbers_can_be_anothers_is_refused(session, seeded):
    with pytest.raises(WorkflowInvalid) as invalid:
        await store.import_definition(session, collide())
    [(error_id, message)] = invalid.value.problems
    assert error_id == "number_pattern_clash"
    assert "'ZX{yyyyMMdd}{seq:05}'" in message and "consult" in message
    assert (
        await session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.key == "qa_collide")) is None
    )
    # a category's own pattern counts too (用户信息查询: CX…)
    with pytest.raises(WorkflowInvalid) as invalid:
        await store.import_definition(session, collide("CX{yyyyMMdd}{seq:03}{dd}"))
    assert "category 'query'" in invalid.value.problems[0][1]
    # a new version of the workflow itself, changing its pattern so, too
    with pytest.raises(WorkflowInvalid):
        await store.import_definition(
            session, {**workflow_source("consult"), "number_pattern": "ZX{yyMMdd}{seq:07}"}
        )
    # its own pattern, or one sharing its counter, is fine; so is a new prefix
    await store.import_definition(
        session, {**workflow_source("consult"), "number_pattern": "ZX{yyyyMMdd}{seq:06}"}
    )
    await store.import_definition(session, collide("QA{yyyyMMdd}{seq:05}"))


async def test_a_category_pattern_that_clashes_is_refused(session, seeded):
    with pytest.raises(ActionRefused) as refused:
        await add_category(
            session, None, "qa_cat", "QA", workflow_key="consult", number_pattern="GZ{yyyyMMdd}0{seq:04}"
        )
    assert refused.value.error_id == "number_pattern_clash"


async def stored_collide(session):
    # as an installation may hold it: stored before imports were checked
    body = collide()
    session.add(WorkflowDefinition(key="qa_collide", version=1, name="QA", body=body, source=""))
    await session.flush()


async def test_an_order_whose_number_is_taken_gets_the_next_free_one(session, seeded):
    user, site = seeded.users["1001"], seeded.sites["440100"].id
    first = await create_order(session, user, workflow="consult", site_id=site, form=CONSULT, now=NOW)
    second = await create_order(session, user, workflow="consult", site_id=site, form=CONSULT, now=NOW)
    assert (first.number, second.number) == ("ZX2026112700001", "ZX2026112700002")
    await stored_collide(session)
    order = await create_order(session, user, workflow="qa_collide", site_id=site, form=CONSULT, now=NOW)
    assert order.number == "ZX2026112700003"
    await session.commit()
    again = await create_order(session, user, workflow="qa_collide", site_id=site, form=CONSULT, now=NOW)
    assert again.number == "ZX2026112700004"


async def test_numbers_taken_beyond_the_attempts_are_a_named_refusal(session, seeded, monkeypatch):
    user, site = seeded.users["1001"], seeded.sites["440100"].id
    await create_order(session, user, workflow="consult", site_id=site, form=CONSULT, now=NOW)
    await stored_collide(session)
    monkeypatch.setattr(insert, "NUMBER_ATTEMPTS", 1)
    with pytest.raises(ActionRefused) as refused:
        await create_order(session, user, workflow="qa_collide", site_id=site, form=CONSULT, now=NOW)
    assert refused.value.error_id == "order_number_taken"
    assert refused.value.details["number"] == "ZX2026112700001"


async def test_a_pair_stored_before_the_check_does_not_block_either_workflows_next_version(session, seeded):
    await stored_collide(session)
    # consult and qa_collide can each be imported again with the pattern they have
    await store.import_definition(session, workflow_source("consult"))
    await store.import_definition(session, collide())
    # but not with a pattern that overlaps anew
    with pytest.raises(WorkflowInvalid) as invalid:
        await store.import_definition(session, collide("GZ{yyyyMMdd}0{seq:04}"))
    assert [(p[0], p.where["workflow"]) for p in invalid.value.problems] == [
        ("number_pattern_clash", "fault_repair")
    ]
