"""The workflow register an admin keeps: every key with its versions and the orders still running
on each, 停用 / 启用 choosing which version new orders start on (at once, in the same session
too), audited and refused to anyone but an admin; a file of the wrong shape is a named problem."""

import pytest
import yaml
from sqlalchemy import select

from ticketing import ActionRefused, Forbidden, NotFound, WorkflowInvalid, create_order
from ticketing.models import AuditLog, WorkflowDefinition
from ticketing.seed import workflow_source
from ticketing.workflow import store

CONSULT = {"咨询内容": "电价", "答复内容": "已答复"}


def renamed(name: str) -> dict:
    data = workflow_source("consult")
    data["name"] = name
    return data


async def consult_order(session, seeded, *, submit=False):  # False: left open at 受理
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form=CONSULT,
        submit=submit,
    )


async def test_listing_names_each_workflow_its_versions_and_running_orders(session, seeded):
    await store.import_definition(session, renamed("信息咨询(新)"))
    await consult_order(session, seeded)  # on v2, open
    await consult_order(session, seeded)
    await consult_order(session, seeded, submit=True)  # closed at once: not running
    listed = {w["key"]: w for w in await store.listing(session)}
    assert set(listed) == {"consult", "fault_repair", "complaint", "service_application", "aftersales_repair"}
    consult = listed["consult"]
    assert (consult["name"], consult["category"], consult["current"]) == ("信息咨询(新)", "consult", 2)
    assert consult["categories"] == ["用户信息查询", "信息咨询"]  # the intake categories that offer it
    assert [(v["version"], v["name"], v["enabled"], v["open_orders"]) for v in consult["versions"]] == [
        (2, "信息咨询(新)", True, 2),
        (1, "信息咨询", True, 0),
    ]
    assert all(v["created_at"] is not None for v in consult["versions"])
    assert listed["fault_repair"]["versions"][0]["open_orders"] == 0


async def test_disable_and_enable_choose_the_version_new_orders_start_on(session, seeded):
    admin = seeded.users["9001"]
    await store.import_definition(session, renamed("信息咨询 v2"), actor=admin)
    assert (await store.latest(session, "consult")).version == 2  # cached from here on
    await session.commit()

    await store.disable(session, "consult", 2, actor=admin)
    # the same session sees it at once, before any commit
    assert (await store.latest(session, "consult")).version == 1
    listed = {w["key"]: w for w in await store.listing(session)}
    assert (listed["consult"]["current"], listed["consult"]["name"]) == (1, "信息咨询")  # as v1 is named
    assert (await consult_order(session, seeded)).workflow_version == 1
    await session.commit()
    assert (await store.latest(session, "consult")).version == 1

    # the last enabled version: intake would lose its categories, so the admin must say so
    with pytest.raises(ActionRefused) as refused:
        await store.disable(session, "consult", 1, actor=admin)
    assert refused.value.error_id == "workflow_in_intake"
    assert refused.value.details["categories"] == listed["consult"]["categories"] != []
    assert (await store.latest(session, "consult")).version == 1
    await store.disable(session, "consult", 1, actor=admin, even_if_offered=True)
    with pytest.raises(NotFound):
        await store.latest(session, "consult")
    listed = {w["key"]: w for w in await store.listing(session)}
    assert (listed["consult"]["current"], listed["consult"]["name"]) == (None, "信息咨询 v2")  # the newest's

    await store.enable(session, "consult", 2, actor=admin)
    assert (await store.latest(session, "consult")).version == 2
    await session.commit()
    assert (await consult_order(session, seeded)).workflow_version == 2

    audit = list(
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.action.in_(["workflow.disable", "workflow.enable"]))
            .order_by(AuditLog.id)
        )
    )
    assert [(a.action, a.actor, a.after) for a in audit] == [
        ("workflow.disable", "9001", {"key": "consult", "version": 2, "enabled": False}),
        ("workflow.disable", "9001", {"key": "consult", "version": 1, "enabled": False}),
        ("workflow.enable", "9001", {"key": "consult", "version": 2, "enabled": True}),
    ]
    assert audit[-1].before == {"key": "consult", "version": 2, "enabled": False}


async def test_only_admins_switch_versions_and_unknown_versions_are_not_found(session, seeded):
    agent, admin = seeded.users["1001"], seeded.users["9001"]
    with pytest.raises(Forbidden):
        await store.disable(session, "consult", 1, actor=agent)
    with pytest.raises(Forbidden):
        await store.enable(session, "consult", 1, actor=agent)
    with pytest.raises(NotFound):
        await store.enable(session, "consult", 9, actor=admin)
    with pytest.raises(NotFound):
        await store.version_row(session, "nosuch", 1)
    assert (await store.version_row(session, "consult", 1)).enabled is True


@pytest.mark.parametrize(
    ("source", "error_id"),
    [
        ("key: x\nnodes: 5", "bad_structure"),
        ("key: x\nfields: [a, b]", "bad_structure"),
        ("key: x\nnodes: [accept]", "bad_structure"),
        ("key: x\nnodes:\n - {id: a, type: create, exits: [done]}", "bad_structure"),
        ("key: x\nfields: {a: 5}", "bad_structure"),
        ("- a list", "not_a_mapping"),
    ],
)
async def test_a_file_of_the_wrong_shape_is_a_named_problem_and_stores_nothing(session, source, error_id):
    with pytest.raises(WorkflowInvalid) as bad:
        await store.import_definition(session, source)
    assert [pid for pid, _ in bad.value.problems] == [error_id]
    assert await session.scalar(select(WorkflowDefinition.id).where(WorkflowDefinition.key == "x")) is None


async def test_the_key_must_be_usable_in_addresses_and_the_name_fit(session):
    data = yaml.safe_load(yaml.safe_dump(workflow_source("consult")))
    data["key"] = "咨询/流程"
    data["name"] = "名" * 101
    with pytest.raises(WorkflowInvalid) as bad:
        await store.import_definition(session, data)
    problems = dict(bad.value.problems)
    assert set(problems) == {"bad_key", "name_too_long"}
    assert "'咨询/流程'" in problems["bad_key"]
    assert await session.scalar(select(WorkflowDefinition.id)) is None


OUTSOURCED = {
    "key": "outsourced",
    "name": "外委维修",
    "category": "outsourced",
    "fields": {"外委单位": {"type": "contractor"}},
    "nodes": [
        {"id": "start", "name": "受理", "type": "create", "exits": [{"to": "outsource"}]},
        {
            "id": "outsource",
            "name": "外委处理",
            "type": "realize",
            "contractor": {"field": "外委单位"},
            "operators": {"batches": [[{"role": "handler"}]]},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


async def test_step_choices_name_the_version_new_orders_start_on_in_intakes_order(session, seeded):
    """What the admin registers pick a category, workflow or step from: each key's version new
    orders start on (as ``latest`` chooses it), in the order intake offers them, with its
    category, its steps by name (which of them dispatch to a contractor) and the subcategories
    of the intake categories offering it; a key whose every version is disabled is left out."""
    admin = seeded.users["9001"]
    await store.import_definition(session, OUTSOURCED, actor=admin)
    await store.import_definition(session, renamed("信息咨询 v2"), actor=admin)
    choices = await store.step_choices(session)
    assert [w["key"] for w in choices] == [
        "consult",  # 用户信息查询 and 信息咨询 come first in intake
        "fault_repair",
        "service_application",
        "complaint",
        "aftersales_repair",
        "outsourced",  # no intake category offers it: after those, by key
    ]
    consult, fault = choices[0], choices[1]
    assert (consult["name"], consult["category"], consult["subcategories"]) == ("信息咨询 v2", "consult", [])
    assert (fault["name"], fault["category"]) == ("故障报修", "fault")
    assert fault["steps"][:3] == [
        {"id": "accept", "name": "受理", "contractor": False},
        {"id": "confirm", "name": "接收确认", "contractor": False},
        {"id": "dispatch", "name": "派工", "contractor": False},
    ]
    assert fault["subcategories"][0] == {"code": "fault_lv", "name": "低压故障"}
    assert choices[-1]["steps"] == [
        {"id": "start", "name": "受理", "contractor": False},
        {"id": "outsource", "name": "外委处理", "contractor": True},
        {"id": "done", "name": "done", "contractor": False},  # no name: its id
    ]

    await store.disable(session, "consult", 2, actor=admin)
    await store.disable(session, "outsourced", 1, actor=admin)
    choices = await store.step_choices(session)
    assert choices[0]["name"] == "信息咨询"  # v1 again, as new orders start on it
    assert "outsourced" not in [w["key"] for w in choices]
