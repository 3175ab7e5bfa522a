"""The order reports' figures pinned on a varied data set (SQLite and PostgreSQL).

``order_report_figures.json`` holds what ``cycle_time_by_workflow``, ``cycle_time_by_step``,
``by_contractor``, ``complaint_causes`` and ``satisfaction`` gave on this data when they
still added the rows up in Python (commit 475abde): the aggregation moved into SQL must give
every figure the same. The data: 240 seeded random orders with microsecond times over three
days (closed and open, steps done and pending, dispatches replied, pending and cancelled,
complaint forms with causes missing, empty, a number, true or null, surveys with one to
three dimensions), on the demo's sites.

``HOTLINE_PIN_REPORTS=1`` rewrites the file from the code under test (only ever from the
Python-summing code it pins).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path

from sqlalchemy import insert, select

from ticketing import reports
from ticketing.models import (
    Assignment,
    Contractor,
    ContractorDispatch,
    SurveyResult,
    WorkflowDefinition,
    WorkOrder,
)

PINNED = Path(__file__).with_name("order_report_figures.json")
UTC = dt.UTC
D0 = dt.datetime(2026, 11, 25, tzinfo=UTC)
CAUSES = ("一类", "二类", "", None, 3, True, "MISSING")
SEVERITIES = ("重大", "一般", "MISSING")
ANSWERS = {"服务态度": ("满意", "一般", "不满意"), "处理时效": ("满意", "不满意"), "质量": ("好",)}


async def _data(session, seeded, rng: random.Random) -> None:
    workflows = {
        key: id_ for key, id_ in await session.execute(select(WorkflowDefinition.key, WorkflowDefinition.id))
    }
    keys = sorted(workflows)
    sites = [s.id for s in seeded.sites.values()]
    users = [u.id for u in seeded.users.values()]
    await session.execute(insert(Contractor), [{"name": n} for n in ("甲电力工程", "乙抢修队", "丙外委")])
    contractors = list(await session.scalars(select(Contractor.id).order_by(Contractor.id)))
    orders = []
    for i in range(240):
        created = D0 + dt.timedelta(microseconds=rng.randrange(3 * 86400 * 10**6))
        key = rng.choice(keys)
        category = rng.choice(("complaint", "complaint", "fault", "consult"))
        form: dict = {}
        if category == "complaint":
            cause, severity = rng.choice(CAUSES), rng.choice(SEVERITIES)
            if cause != "MISSING":
                form["类别1"] = cause
            if severity != "MISSING":
                form["严重程度"] = severity
        closed = None
        if rng.random() < 0.6:
            closed = created + dt.timedelta(
                seconds=rng.choice((rng.randint(1, 20) * 900, rng.uniform(60, 5 * 86400)))
            )
        orders.append(
            {
                "number": f"T{i:05d}",
                "category": category,
                "status": "已归档" if closed else "处理中",
                "site_id": rng.choice(sites),
                "form": form,
                "workflow_id": workflows[key],
                "workflow_key": key,
                "workflow_version": 1,
                "current_node": "end" if closed else "accept",
                "created_at": created,
                "closed_at": closed,
                "is_open": closed is None,
                "due_at": created + dt.timedelta(days=1),
            }
        )
    await session.execute(insert(WorkOrder), orders)
    ids = list(
        await session.scalars(
            select(WorkOrder.id).where(WorkOrder.number.like("T%")).order_by(WorkOrder.number)
        )
    )
    assignments, dispatches, surveys = [], [], []
    for order_id, order in zip(ids, orders, strict=True):
        moment = order["created_at"]
        for node in ("accept", "confirm", "onsite", "review", "extra")[: rng.randint(0, 5)]:
            took = dt.timedelta(seconds=rng.choice((rng.randint(1, 120) * 30, rng.uniform(1, 7200))))
            done = rng.random() < 0.8
            assignments.append(
                {
                    "order_id": order_id,
                    "node": node,
                    "user_id": rng.choice(users),
                    "state": "done" if done else rng.choice(("pending", "cancelled")),
                    "assigned_at": moment,
                    "acted_at": moment + took if done else None,
                }
            )
            moment += took
        if rng.random() < 0.4:
            sent = order["created_at"] + dt.timedelta(minutes=rng.randint(1, 600))
            state = rng.choice(("replied", "replied", "pending", "cancelled"))
            dispatches.append(
                {
                    "order_id": order_id,
                    "contractor_id": rng.choice(contractors),
                    "node": "onsite",
                    "state": state,
                    "dispatched_at": sent,
                    "replied_at": sent
                    + dt.timedelta(seconds=rng.choice((rng.randint(1, 48) * 450, rng.uniform(1, 86400))))
                    if state == "replied"
                    else None,
                }
            )
        if order["closed_at"] and rng.random() < 0.5:
            dims = rng.sample(sorted(ANSWERS), rng.randint(1, 3))
            surveys.append(
                {
                    "order_id": order_id,
                    "answers": {d: rng.choice(ANSWERS[d]) for d in dims},
                    "satisfied": rng.random() < 0.7,
                    "created_at": order["closed_at"] + dt.timedelta(hours=1),
                }
            )
    await session.execute(insert(Assignment), assignments)
    await session.execute(insert(ContractorDispatch), dispatches)
    await session.execute(insert(SurveyResult), surveys)
    await session.commit()


def _difference(got, pinned):
    """(only got, only pinned) for lists of rows, else both."""
    if isinstance(got, list) and isinstance(pinned, list):
        return [r for r in got if r not in pinned], [r for r in pinned if r not in got]
    return got, pinned


def _cases(workflows: list[str], seeded) -> dict:
    day = (D0 + dt.timedelta(days=1), D0 + dt.timedelta(days=2))
    empty = {"start": D0 - dt.timedelta(days=30), "end": D0 - dt.timedelta(days=29)}
    gz = {"viewer": seeded.users["5101"]}
    cases = {
        "cycle": (reports.cycle_time_by_workflow, {}),
        "cycle-day": (reports.cycle_time_by_workflow, {"start": day[0], "end": day[1]}),
        "cycle-gz": (reports.cycle_time_by_workflow, gz),
        "cycle-empty": (reports.cycle_time_by_workflow, empty),
        "contractors": (reports.by_contractor, {}),
        "contractors-day": (reports.by_contractor, {"start": day[0], "end": day[1]}),
        "contractors-gz": (reports.by_contractor, gz),
        "contractors-empty": (reports.by_contractor, empty),
        "causes": (reports.complaint_causes, {}),
        "causes-day": (reports.complaint_causes, {"start": day[0], "end": day[1]}),
        "causes-gz": (reports.complaint_causes, gz),
        "causes-empty": (reports.complaint_causes, empty),
        "satisfaction": (reports.satisfaction, {}),
        "satisfaction-day": (reports.satisfaction, {"start": day[0], "end": day[1]}),
        "satisfaction-gz": (reports.satisfaction, gz),
        "satisfaction-empty": (reports.satisfaction, empty),
    }
    for key in workflows:
        cases[f"steps-{key}"] = (reports.cycle_time_by_step, {"workflow_key": key})
        cases[f"steps-{key}-day"] = (
            reports.cycle_time_by_step,
            {"workflow_key": key, "start": day[0], "end": day[1]},
        )
        cases[f"steps-{key}-gz"] = (reports.cycle_time_by_step, {"workflow_key": key, **gz})
    return cases


async def test_order_report_figures_stay_as_pinned(session, seeded):
    await _data(session, seeded, random.Random(20261127))
    workflows = sorted(set(await session.scalars(select(WorkflowDefinition.key))))
    got = {}
    for name, (report, kwargs) in _cases(workflows, seeded).items():
        kwargs = dict(kwargs)
        key = kwargs.pop("workflow_key", None)
        found = await (report(session, key, **kwargs) if key else report(session, **kwargs))
        got[name] = json.loads(json.dumps(found, ensure_ascii=False))
    if os.environ.get("HOTLINE_PIN_REPORTS") == "1":
        PINNED.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    pinned = json.loads(PINNED.read_text())
    differ = {key: _difference(got[key], pinned.get(key)) for key in got if got[key] != pinned.get(key)}
    assert not differ, differ
    assert sorted(got) == sorted(pinned)
    # the data covers what it should
    assert ["", "None", 1] in [[c[0], "None", 1] for c in pinned["causes"]] or any(
        c[0] == "None" for c in pinned["causes"]
    )
    assert {c[0] for c in pinned["causes"]} >= {"", "3", "True", "一类"}
    assert pinned["cycle-empty"] == [] and pinned["satisfaction-empty"]["rate"] is None
    assert any(row[4] is None for row in pinned["contractors"]) or pinned["contractors"]


async def test_the_overdue_report_reads_only_its_page(session, seeded):
    await _data(session, seeded, random.Random(20261127))
    now = D0 + dt.timedelta(days=3)  # the open orders of the first two days are past due
    every = await reports.overdue(session, now)
    assert len(every) > 20 and [o.due_at for o in every] == sorted(o.due_at for o in every)
    page = await reports.overdue(session, now, offset=5, limit=7)
    assert [o.id for o in page] == [o.id for o in every[5:12]]
    assert await reports.overdue_count(session, now) == len(every)
    gz = seeded.users["5101"]
    mine = await reports.overdue(session, now, viewer=gz)
    assert 0 < len(mine) < len(every) and await reports.overdue_count(session, now, viewer=gz) == len(mine)
