"""A ``sequential`` (顺序) step is worked in the listed order: a ``user:`` list as written
(``[3001, 2001]``: 3001 first, though 2001's account is older), a role rule by 工号."""

import pytest

from ticketing import ActionRefused, create_order, submit_step
from ticketing.users import create_user
from ticketing.workflow.steps import pending_assignments
from ticketing.workflow.store import import_definition


def flow(key: str, rule: dict) -> dict:
    return {
        "key": key,
        "name": "顺序审批",
        "fields": {"意见": {"type": "textarea"}},
        "nodes": [
            {"id": "start", "type": "create", "fields": {"意见": "editable"}, "exits": [{"to": "sign"}]},
            {
                "id": "sign",
                "type": "realize",
                "fields": {"意见": "editable"},
                "operators": {"mode": "sequential", "batches": [[rule]]},
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive"},
        ],
    }


async def handlers(session, order, users) -> list[str]:
    by_id = {u.id: s for s, u in users.items()}
    return [by_id[a.user_id] for a in await pending_assignments(session, order)]


async def test_a_user_list_is_worked_in_the_listed_order(session, seeded):
    u = seeded.users
    await import_definition(session, flow("seq_users", {"user": ["3001", "2001"]}))
    order = await create_order(session, u["1001"], workflow="seq_users", site_id=seeded.sites["440100"].id)
    assert await handlers(session, order, u) == ["3001", "2001"]
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["2001"], order)
    assert refused.value.error_id == "not_your_turn"
    await submit_step(session, u["3001"], order)
    assert order.current_node == "sign"
    assert await handlers(session, order, u) == ["2001"]
    await submit_step(session, u["2001"], order)
    assert order.current_node == "done"


async def test_a_role_rule_is_worked_by_staff_number(session, seeded):
    u = dict(seeded.users)
    # a newer account with a lower 工号: by account id it would come last
    u["5100"] = await create_user(
        session, "5100", "广州抢修新", "demo1234", roles=["handler"], site_id=seeded.sites["440100"].id
    )
    data = flow("seq_role", {"role": "handler", "site_field": "所属供电局"})
    data["fields"]["所属供电局"] = {"type": "site"}
    data["nodes"][0]["fields"]["所属供电局"] = "required"
    await import_definition(session, data)
    order = await create_order(
        session,
        u["1001"],
        workflow="seq_role",
        site_id=seeded.sites["440100"].id,
        form={"所属供电局": "440100"},
    )
    assert await handlers(session, order, u) == ["5100", "5101", "5102"]
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["5101"], order)
    assert refused.value.error_id == "not_your_turn"
    await submit_step(session, u["5100"], order)
    assert await handlers(session, order, u) == ["5101", "5102"]
