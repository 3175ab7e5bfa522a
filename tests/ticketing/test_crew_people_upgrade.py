"""Migration 0042: where the 故障报修 in use is the system's, a new version whose crew picker
fills 抢修人员 with the crew's people (leader and members) instead of its name; new orders take
it, a version an admin imported is left alone."""

from __future__ import annotations

import copy
import importlib

import pytest

from tests.ticketing.seeded_upgrade import gz_staff, order_at_dispatch, stored_before, upgraded
from ticketing import submit_step
from ticketing.seed import workflow_source

upgrade = importlib.import_module("ticketing.migrations.versions.0042_crew_people")


def seeded_before() -> dict:
    """故障报修 as 0037 left it: the picker filling 抢修人员 with the crew's name."""
    source = copy.deepcopy(workflow_source("fault_repair"))
    source["fields"]["抢修班组"]["fills"] = {"name": "抢修人员", "phone": "班组电话", "vehicle": "车辆"}
    return source


def test_the_change_is_the_seeds():
    assert workflow_source("fault_repair")["fields"]["抢修班组"]["fills"] == {
        "people": "抢修人员",
        "phone": "班组电话",
        "vehicle": "车辆",
    }
    assert upgrade.with_crew_people(seeded_before()) == workflow_source("fault_repair")
    assert upgrade.with_crew_people(workflow_source("fault_repair")) is None  # has it already
    assert upgrade.with_crew_people({"fields": {"故障地址": {}}, "nodes": []}) is None  # no picker


@pytest.mark.parametrize("by_admin", [False, True])
async def test_new_orders_fill_the_crews_people(empty_db_url, by_admin):
    before = await stored_before(empty_db_url, "0041", seeded_before(), by_admin=by_admin, also=gz_staff)
    async with upgraded(empty_db_url) as (maker, after):
        if by_admin:
            assert after == before  # an admin's version is theirs
        else:
            assert after[: len(before)] == before and len(after) == len(before) + 1
            assert after[-1]["fields"]["抢修班组"]["fills"]["people"] == "抢修人员"
        async with maker.begin() as s:
            at = await order_at_dispatch(
                s, {"name": "天河抢修班", "leader": "杨班长", "members": "周伟、徐芳、孙娜"}
            )
            order = at.order
            await submit_step(
                s, at.users["5101"], order, form={"抢修班组": at.crew.id, "派工时间": at.wall}, now=at.now
            )
            assert order.form["抢修人员"] == ("天河抢修班" if by_admin else "杨班长、周伟、徐芳、孙娜")
