"""Definition.opinion_field is worked out once per definition: the order view and every action taken
at a step ask it, and the walk over the workflow's fields is done on the first ask only. The
remembered answer is the same as the first for a workflow that marks its opinion field, one stored
before the mark (its field named 处理意见), and one with none."""

from __future__ import annotations

import dataclasses

from ticketing.seed import workflow_source
from ticketing.workflow.definition import Definition, parse


class _CountedFields(dict):
    """A workflow's fields that note each walk over them (``items``)."""

    walks = 0

    def items(self):
        self.walks += 1
        return super().items()


def _counted(definition: Definition) -> tuple[Definition, _CountedFields]:
    fields = _CountedFields(definition.fields)
    return dataclasses.replace(definition, fields=fields), fields


def _asked_twice(definition: Definition, expected: dict[str, str | None]) -> None:
    """Each step's opinion field as ``expected``, asked twice: the fields walked on the first ask only."""
    definition, fields = _counted(definition)
    first = {step: definition.opinion_field(definition.node(step)) for step in expected}
    assert first == expected
    walked = fields.walks
    assert walked  # the first ask looked at the fields
    again = {step: definition.opinion_field(definition.node(step)) for step in expected}
    assert again == expected
    assert fields.walks == walked


def test_a_marked_opinion_field_is_remembered_per_definition():
    fault = parse(workflow_source("fault_repair"))
    _asked_twice(fault, {"reply": "处理意见", "dispatch": None})  # hidden at 派工: the generic box
    complaint = parse(workflow_source("complaint"))
    _asked_twice(complaint, {"confirm": "经理确认意见"})


def test_a_stored_version_without_the_mark_remembers_the_field_named_so():
    data = workflow_source("fault_repair")
    data["fields"]["处理意见"] = {"type": "textarea"}
    _asked_twice(parse(data, stored=True), {"reply": "处理意见", "dispatch": None})


def test_a_workflow_without_an_opinion_field_remembers_none():
    consult = parse(workflow_source("consult"))
    assert "处理意见" not in consult.fields
    _asked_twice(consult, dict.fromkeys((node.id for node in consult.nodes), None))
