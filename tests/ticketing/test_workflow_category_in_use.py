"""A workflow importing a category another workflow already takes orders of is imported with a
warning (``category_in_use``, naming the other): its orders may be listed and reported under the
other's name. A new version of the same workflow, or a category of its own, has none."""

import pytest
from sqlalchemy import select

from ticketing.models import AuditLog
from ticketing.seed import workflow_source
from ticketing.workflow.store import import_checked


def other(category: str, key: str = "consult_copy") -> dict:
    data = workflow_source("consult")
    return {
        **data,
        "key": key,
        "name": "咨询副本",
        "category": category,
        "number_pattern": "QQ{yyyyMMdd}{seq:05}",
    }


@pytest.mark.parametrize(
    ("category", "owner", "key"),
    [
        ("consult", "信息咨询（consult）", "consult"),  # another workflow's own category
        ("coordination", "故障报修（fault_repair）", "fault_repair"),  # an intake category bound to another
        ("fault_lv", "故障报修（fault_repair）", "fault_repair"),  # a 小类别 of another workflow's category
        ("query", "信息咨询（consult）", "consult"),
    ],
)
async def test_a_category_of_another_workflow_is_imported_with_a_warning(
    session, seeded, category, owner, key
):
    row, warnings = await import_checked(session, other(category))
    assert row.version == 1
    assert [(w[0], w.where["value"], w.where["workflow_key"]) for w in warnings] == [
        ("category_in_use", f"{category}：{owner}", key)
    ]
    audit = await session.scalar(
        select(AuditLog).where(AuditLog.action == "workflow.import", AuditLog.entity_id == str(row.id))
    )
    assert audit.after["category_in_use"] == [key]


async def test_its_own_category_and_a_new_one_warn_of_nothing(session, seeded):
    row, warnings = await import_checked(session, {**workflow_source("consult"), "name": "信息咨询 v2"})
    assert (row.version, warnings) == (2, [])
    row, warnings = await import_checked(session, other("consult_copy"))
    assert (row.version, warnings) == (1, [])
    row, warnings = await import_checked(session, other("consult_copy"))  # its next version
    assert (row.version, warnings) == (2, [])
