"""``default: now`` on a datetime field: the page starts an empty editable one at the time it
shows the step (派工时间 in the seeded 故障报修); anything else is refused at import, and the
field's view carries it to the page."""

import importlib

import pytest

from agent_ui.order_views import field_views
from tests.ticketing.test_field_times import named_at_import
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse

upgrade = importlib.import_module("ticketing.migrations.versions.0041_dispatch_time_default")


def test_the_seeded_dispatch_time_starts_now_and_the_page_is_told():
    definition = parse(workflow_source("fault_repair"))
    assert definition.fields["派工时间"]["default"] == "now"
    views = {v["name"]: v for v in field_views(definition, definition.node("dispatch"), {})}
    assert views["派工时间"]["default"] == "now" and views["派工时间"]["permission"] == "required"
    assert "default" not in views["抢修人员"]  # a field without one says nothing


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "text", "default": "now"},  # only on datetime fields
        {"type": "datetime", "default": "today"},
        {"type": "datetime", "default": "2026-11-29T08:00"},
        {"type": "datetime", "default": None},
    ],
)
def test_a_bad_default_is_named(spec):
    named_at_import(spec, "bad_field_default")  # stored before defaults existed: still loads


def test_the_upgrade_is_the_seeds():
    before = workflow_source("fault_repair")
    del before["fields"]["派工时间"]["default"]
    assert upgrade.with_dispatch_time_default(before) == workflow_source("fault_repair")
    assert upgrade.with_dispatch_time_default(workflow_source("fault_repair")) is None  # has it
    assert upgrade.with_dispatch_time_default({"fields": {"故障地址": {}}, "nodes": []}) is None
