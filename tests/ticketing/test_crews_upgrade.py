"""Migration 0037: an installation gets the 抢修班组 register (crews, crew_dispatches) and, where
its 故障报修 in use is the system's, a new version with the crew picker at 派工, which new orders
take; a version an admin imported is left alone. On both databases."""

from __future__ import annotations

import copy
import importlib

import pytest
from sqlalchemy import inspect, select

from tests.ticketing.seeded_upgrade import downgrade, gz_staff, order_at_dispatch, stored_before, upgraded
from ticketing import db, submit_step
from ticketing.models import CrewDispatch
from ticketing.seed import workflow_source
from ticketing.workflow import store
from ticketing.workflow.definition import parse

upgrade = importlib.import_module("ticketing.migrations.versions.0037_crews")
#: the picker's later changes, each a migration of its own (0042: 抢修人员 from the crew's people)
LATER = [importlib.import_module("ticketing.migrations.versions.0042_crew_people").with_crew_people]


def as_seeded_now(body: dict) -> dict:
    """0037's picker with the later migrations' changes: what the seed has now."""
    for change in LATER:
        body = change(body) or body
    return body


def seeded_before() -> dict:
    """故障报修 as the seed had it before: 抢修人员 and 车辆 typed by hand, no picker, no 班组电话."""
    source = copy.deepcopy(workflow_source("fault_repair"))
    del source["fields"]["抢修班组"], source["fields"]["班组电话"]
    for node in source["nodes"]:
        for name in ("抢修班组", "班组电话"):
            node.get("fields", {}).pop(name, None)
    return source


async def table_names(url: str) -> list[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()


def test_the_change_is_the_seeds():
    assert as_seeded_now(upgrade.with_crew_picker(seeded_before())) == workflow_source("fault_repair")
    assert upgrade.with_crew_picker(workflow_source("fault_repair")) is None  # has it already
    assert upgrade.with_crew_picker({"fields": {"故障地址": {}}, "nodes": []}) is None  # not the seed's


@pytest.mark.parametrize("by_admin", [False, True])
async def test_the_register_and_the_seeded_picker_arrive_on_upgrade(empty_db_url, by_admin):
    before = await stored_before(empty_db_url, "0036", seeded_before(), by_admin=by_admin, also=gz_staff)
    tables = await table_names(empty_db_url)  # 0036's database: no register yet
    assert "crews" not in tables and "crew_dispatches" not in tables

    async with upgraded(empty_db_url) as (maker, after):
        if by_admin:
            assert after == before  # an admin's version is theirs
        else:
            # 0037's version, then one per later change of the picker
            assert len(after) == len(before) + 1 + len(LATER) and after[: len(before)] == before
            assert after[-1] == workflow_source("fault_repair")
            assert parse(after[-1]).node("dispatch").permission("抢修班组") == "editable"
        async with maker.begin() as s:
            at = await order_at_dispatch(s, {"name": "广州抢修一队", "phones": "13800001111"})
            order, crew = at.order, at.crew
            assert order.workflow_version == (await store.latest(s, "fault_repair")).version
            form = {"抢修人员": "王", "派工时间": at.wall}
            if not by_admin:
                form = {"抢修班组": crew.id, "派工时间": form["派工时间"]}
            await submit_step(s, at.users["5101"], order, form=form, now=at.now)
            assert order.current_node == "onsite"
            picks = list(await s.scalars(select(CrewDispatch.crew_id)))
            assert picks == ([] if by_admin else [crew.id])
            if not by_admin:
                # a crew that names nobody: its name is all 抢修人员 can say (0042)
                assert order.form["抢修人员"] == "广州抢修一队" and order.form["班组电话"] == "13800001111"

    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:  # down: the tables go, the versions stay
            await conn.run_sync(downgrade, "0036")
    finally:
        await engine.dispose()
    tables = await table_names(empty_db_url)
    assert "crews" not in tables and "crew_dispatches" not in tables
