"""已作废 is the status of an order closed by 作废: 作废 itself, the reports and the visit-back
read an order with it as voided. A workflow whose own step had it as its status was imported,
so an order at that step was read as voided (left out of the reports, refused a visit-back).
An import naming a step 已作废 is refused with ``reserved_status``; a version stored before the
rule keeps loading."""

import pytest

from ticketing import NotFound, WorkflowInvalid
from ticketing.models import WorkflowDefinition
from ticketing.seed import workflow_source
from ticketing.workflow import store
from ticketing.workflow.definition import VOIDED_STATUS, parse
from ticketing.workflow.store import import_definition


def _with_status(status=None, name=None):
    body = workflow_source("consult")
    nodes = [dict(n) for n in body["nodes"]]
    step = nodes[1]
    step.pop("status", None)
    if status is not None:
        step["status"] = status
    if name is not None:
        step["name"] = name
    return {**body, "key": "qa_reserved", "nodes": nodes}, step["id"]


@pytest.mark.parametrize("where", ["status", "name"])
def test_a_step_with_the_voided_status_is_refused(where):
    body, step = _with_status(**{where: VOIDED_STATUS})
    with pytest.raises(WorkflowInvalid) as invalid:
        parse(body)
    problems = invalid.value.problems
    assert [p[0] for p in problems] == ["reserved_status"]
    assert problems[0].where == {"node": step, "value": "已作废"}


def test_other_statuses_are_fine():
    body, _ = _with_status(status="已作废处理")
    parse(body)


async def test_the_import_is_refused(session, seeded):
    body, _ = _with_status(status=VOIDED_STATUS)
    with pytest.raises(WorkflowInvalid) as invalid:
        await import_definition(session, body)
    assert [p[0] for p in invalid.value.problems] == ["reserved_status"]
    with pytest.raises(NotFound):
        await store.latest(session, "qa_reserved")


async def test_a_stored_version_still_loads(session, seeded):
    body, step = _with_status(status=VOIDED_STATUS)
    row = WorkflowDefinition(key="qa_reserved", version=1, name="QA", body=body, source="")
    session.add(row)
    await session.flush()
    store._cache.clear()
    definition = await store.definition_for(session, row.id)
    assert definition.node(step).status == VOIDED_STATUS
