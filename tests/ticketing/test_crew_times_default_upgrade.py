"""Migration 0043: where the 故障报修 in use is the system's, a new version whose 到达时间 and
完成时间 start at now (``default: now``, as 派工时间 since 0041); new orders take it and the
page is told at 到达现场 and 抢修完成; a version an admin imported is left alone. On both
databases."""

from __future__ import annotations

import copy
import importlib

import pytest

from agent_ui.order_views import field_views
from tests.ticketing.seeded_upgrade import gz_staff, order_at_dispatch, stored_before, upgraded
from ticketing import submit_step
from ticketing.seed import workflow_source
from ticketing.workflow import store

upgrade = importlib.import_module("ticketing.migrations.versions.0043_crew_times_default")
TIMES = ("到达时间", "完成时间")


def seeded_before() -> dict:
    """故障报修 as 0042 left it: only 派工时间 started at now."""
    source = copy.deepcopy(workflow_source("fault_repair"))
    for name in TIMES:
        del source["fields"][name]["default"]
    return source


def test_the_change_is_the_seeds():
    seeded = workflow_source("fault_repair")
    assert [seeded["fields"][name]["default"] for name in ("派工时间", *TIMES)] == ["now"] * 3
    assert upgrade.with_crew_times_default(seeded_before()) == seeded
    assert upgrade.with_crew_times_default(seeded) is None  # has them already
    assert (
        upgrade.with_crew_times_default({"fields": {"故障地址": {}}, "nodes": []}) is None
    )  # no such fields
    # one of them given it already (by 0043's seed on one, say): the other still gets it
    half = seeded_before()
    half["fields"]["到达时间"]["default"] = "now"
    assert upgrade.with_crew_times_default(half) == seeded


@pytest.mark.parametrize("by_admin", [False, True])
async def test_new_orders_start_the_crew_times_at_now(empty_db_url, by_admin):
    before = await stored_before(empty_db_url, "0042", seeded_before(), by_admin=by_admin, also=gz_staff)
    async with upgraded(empty_db_url) as (maker, after):
        if by_admin:
            assert after == before  # an admin's version is theirs
        else:
            assert after[: len(before)] == before and len(after) == len(before) + 1
            new = after[-1]
            assert all(new["fields"][name]["default"] == "now" for name in TIMES)
            # nothing else of the flow changed
            kept = {name: before[-1]["fields"][name] for name in TIMES}
            assert {**new, "fields": {**new["fields"], **kept}} == before[-1]
        async with maker.begin() as s:
            at = await order_at_dispatch(s, {"name": "天河抢修班", "leader": "杨班长"})
            order = at.order
            assert order.workflow_version == len(after)  # the version in use, the new one if any
            await submit_step(
                s, at.users["5101"], order, form={"抢修班组": at.crew.id, "派工时间": at.wall}, now=at.now
            )
            assert order.current_node == "onsite"
            definition = store.parsed(await store.latest(s, "fault_repair"))
            for node, name in (("onsite", "到达时间"), ("repair", "完成时间")):
                views = {v["name"]: v for v in field_views(definition, definition.node(node), order.form)}
                assert views[name]["permission"] == "required"
                assert views[name].get("default") == (None if by_admin else "now"), (node, name)
