"""An installation seeded before the crew times had time rules (ecc2f40) gets them on upgrade,
without an admin: migration 0022 stores the seeded 故障报修 plus the rules as a new version,
which new orders take; orders already running keep theirs. A version an admin imported is never
touched. On both databases."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import select

from tests.ticketing.conftest import later_columns_lent
from ticketing import FieldErrors, create_order, db, submit_step
from ticketing.demo import seed_demo
from ticketing.models import Assignment, AuditLog, User, WorkflowDefinition, WorkOrder
from ticketing.seed import seed_defaults, workflow_source
from ticketing.users import create_user
from ticketing.workflow import store
from ticketing.workflow.store import import_definition

CREW_TIMES = ("派工时间", "到达时间", "完成时间")


def seeded_before_the_rules() -> dict:
    """故障报修 as the seed had it before ecc2f40: the crew times took any time (their later
    changes, the crew times' ``default: now`` of 0041 and 0043, kept: this migration is not theirs)."""
    source = workflow_source("fault_repair")
    for name in CREW_TIMES:
        spec = source["fields"][name]
        source["fields"][name] = {k: v for k, v in spec.items() if k not in ("not_before", "not_after")}
    return source


async def versions(maker) -> list[tuple[int, bool, dict]]:
    async with maker() as s:
        rows = await s.scalars(
            select(WorkflowDefinition)
            .where(WorkflowDefinition.key == "fault_repair")
            .order_by(WorkflowDefinition.version)
        )
        return [(r.version, r.enabled, r.body) for r in rows]


async def test_the_seeded_fault_workflow_gets_the_time_rules_as_a_new_version(empty_db_url):
    await db.migrate(empty_db_url, "0021")
    engine = db.create_engine(empty_db_url)
    maker = db.sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)
    try:
        async with later_columns_lent(engine):
            async with maker.begin() as s:
                await import_definition(s, seeded_before_the_rules())  # what seed_defaults stored then
                await seed_defaults(s)  # the other workflows and categories; 故障报修 is there already
                demo = await seed_demo(s, customers=1, notices=False)
            async with maker.begin() as s:
                # an order at 接收确认 on the old version, its handler's step pending, written as rows:
                # today's create_order writes into tables of later migrations (提醒: 0026)
                old_version = await s.scalar(
                    select(WorkflowDefinition).where(WorkflowDefinition.key == "fault_repair")
                )
                running = WorkOrder(
                    number="GZ-RUNNING",
                    category="fault",
                    status="已流转",
                    site_id=demo.sites["440100"].id,
                    form={"故障地址": "天河路1号", "所属供电局": "440100"},
                    workflow_id=old_version.id,
                    workflow_key="fault_repair",
                    workflow_version=old_version.version,
                    current_node="confirm",
                    node_entered_at=now,
                    is_open=True,
                    created_at=now,
                )
                s.add(running)
                await s.flush()
                s.add(Assignment(order_id=running.id, node="confirm", user_id=demo.users["5101"].id))
                running_id = running.id
            before = await versions(maker)
    finally:
        await engine.dispose()
    assert [(v, enabled) for v, enabled, _ in before] == [(1, True)]

    await db.migrate(empty_db_url)
    engine = db.create_engine(empty_db_url)  # a new pool: nothing cached from before the upgrade
    maker = db.sessionmaker(engine)
    try:
        after = await versions(maker)
        assert [(v, enabled) for v, enabled, _ in after] == [(1, True), (2, True)]
        old, new = after[0][2], after[1][2]
        assert old == before[0][2]  # the running version is as it was
        assert {name: new["fields"][name] for name in CREW_TIMES} == {
            # their default: now (0041, 0043) was there before: kept
            "派工时间": {"type": "datetime", "not_before": "created", "not_after": "now", "default": "now"},
            "到达时间": {
                "type": "datetime",
                "not_before": ["created", "派工时间"],
                "not_after": "now",
                "default": "now",
            },
            "完成时间": {
                "type": "datetime",
                "not_before": ["created", "到达时间"],
                "not_after": "now",
                "default": "now",
            },
        }
        # nothing else of the flow changed
        assert {**new, "fields": {**new["fields"], **{n: old["fields"][n] for n in CREW_TIMES}}} == old
        async with maker() as s:
            audit = await s.scalar(
                select(AuditLog)
                .where(AuditLog.action == "workflow.import")
                .order_by(AuditLog.id.desc())
                .limit(1)
            )
            row = await s.scalar(select(WorkflowDefinition).where(WorkflowDefinition.version == 2))
            assert (audit.entity_id, audit.actor, audit.user_id) == (str(row.id), "system", None)
            assert audit.after["from_version"] == 1
            # the stored YAML is the version (流程配置 shows and exports it), and it imports as it is
            assert store.validated(row.source).node("onsite").sla.calendar == "24x7"
            assert (await store.latest(s, "fault_repair")).version == 2

        a_day_early = (now - dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
        crew = {"抢修人员": "张师傅", "派工时间": a_day_early.strftime("%Y-%m-%dT%H:%M")}
        async with maker.begin() as s:
            agent = await s.scalar(select(User).where(User.staff_no == "1001"))
            handler = await s.scalar(select(User).where(User.staff_no == "5101"))
            fresh = await create_order(
                s,
                agent,
                workflow="fault_repair",
                site_id=demo.sites["440100"].id,
                form={"故障地址": "天河路2号", "所属供电局": "440100"},
            )
            assert fresh.workflow_version == 2
            await submit_step(s, handler, fresh, opinion="收到")
            with pytest.raises(FieldErrors) as refused:
                await submit_step(s, handler, fresh, form=crew)
            assert refused.value.problems == {"派工时间": "field_before_created"}
            # the order that was running keeps its version, which takes any time
            running = await s.get(WorkOrder, running_id)
            assert running.workflow_version == 1
            await submit_step(s, handler, running, opinion="收到")
            await submit_step(s, handler, running, form=crew)
            assert running.current_node == "onsite"
    finally:
        await engine.dispose()

    await db.migrate(empty_db_url)  # at head: nothing more
    engine = db.create_engine(empty_db_url)
    try:
        assert [v for v, _, _ in await versions(db.sessionmaker(engine))] == [1, 2]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("case", ["admin_edit", "seeded_with_rules"])
async def test_a_version_an_admin_imported_or_one_with_rules_is_left_alone(empty_db_url, case):
    await db.migrate(empty_db_url, "0021")
    engine = db.create_engine(empty_db_url)
    maker = db.sessionmaker(engine)
    try:
        async with later_columns_lent(engine):
            async with maker.begin() as s:
                if case == "admin_edit":
                    await import_definition(s, seeded_before_the_rules())
                    admin = await create_user(s, "9001", "管理员", "abc12345", roles=["admin"])
                    edited = copy.deepcopy(seeded_before_the_rules())
                    edited["name"] = "故障报修（本局）"
                    await import_definition(s, edited, actor=admin)
                else:
                    await import_definition(s, workflow_source("fault_repair"))  # seeded after ecc2f40
            before = await versions(maker)
        await db.migrate(engine)
        assert await versions(maker) == before
    finally:
        await engine.dispose()
