"""Migration 0042: where the 故障报修 in use is the system's, a new version whose crew picker
fills 抢修人员 with the crew's people (leader and members) instead of its name; new orders take
it, a version an admin imported is left alone."""

from __future__ import annotations

import copy
import datetime as dt
import importlib

import pytest
from sqlalchemy import select

from tests.ticketing.seeded_upgrade import gz_staff, stored_before, upgraded
from ticketing import create_order, submit_step
from ticketing import crews as register
from ticketing.models import Site, User
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
            users = {u.staff_no: u for u in await s.scalars(select(User))}
            gz = await s.scalar(select(Site).where(Site.code == "GZ"))
            crew = await register.create(
                s,
                users["9901"],
                {"name": "天河抢修班", "site_id": gz.id, "leader": "杨班长", "members": "周伟、徐芳、孙娜"},
            )
            now = dt.datetime.now(dt.UTC)
            order = await create_order(
                s,
                users["1001"],
                workflow="fault_repair",
                site_id=gz.id,
                form={"故障地址": "天河路1号", "所属供电局": "GZ"},
                now=now,
            )
            await submit_step(s, users["5101"], order, now=now)
            wall = now.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
            await submit_step(s, users["5101"], order, form={"抢修班组": crew.id, "派工时间": wall}, now=now)
            assert order.form["抢修人员"] == ("天河抢修班" if by_admin else "杨班长、周伟、徐芳、孙娜")
