"""QA 2026-11-29 #1: the order page drew the current step's editable fields (满意度回访's 回访意见,
是否投诉) typeable for whoever opened the order, though only the step's holder can save them:
what the handler who did the repair, or the agent who took the call, typed there was lost. The
order's view now gives every field read-only (``visible``) to a viewer who holds no pending
assignment of the step, as for a closed order; the holder keeps the step's permissions."""

from __future__ import annotations

from tests.agent_ui.conftest import order_at_dispatch, sign_in
from tests.agent_ui.test_visit_step_survey_api import at_the_visit_step


def permissions(view: dict) -> dict[str, str]:
    return {f["name"]: f["permission"] for f in view["form"]}


async def test_only_the_holder_of_the_step_gets_its_editable_fields(client, aiohttp_client):
    order, holder, _ = await at_the_visit_step(client, aiohttp_client)  # 满意度回访, held by 3001
    url = f"/api/orders/{order['id']}"

    held = await (await holder.get(url)).json()
    assert held["my_step"] is True
    assert permissions(held)["回访意见"] == "editable" and permissions(held)["是否投诉"] == "editable"

    # the bureau's handler who repaired it, and the agent who took the call: the same fields, read-only
    for staff_no in ("2001", "1001"):
        viewer = await sign_in(aiohttp_client, client, staff_no)
        _, seen = await viewer.call("GET", url)
        assert seen["my_step"] is False and seen["actions"] == [], staff_no
        assert permissions(seen).keys() == permissions(held).keys(), staff_no
        assert set(permissions(seen).values()) == {"visible"}, (staff_no, permissions(seen))
        assert not any("required_when" in f for f in seen["form"]), staff_no
        assert seen["bound"] == {}, staff_no


async def test_the_agent_who_took_the_call_reads_the_bureaus_dispatch_step(client, aiohttp_client):
    """At 派工 (the bureau's step, 抢修人员 and 派工时间 to fill) the agent only reads the order."""
    handler, at_dispatch = await order_at_dispatch(aiohttp_client, client)
    assert at_dispatch["my_step"] is True and permissions(at_dispatch)["抢修人员"] in ("editable", "required")

    agent = await sign_in(aiohttp_client, client, "1001")
    _, seen = await agent.call("GET", f"/api/orders/{at_dispatch['id']}")
    assert seen["node"]["id"] == "dispatch" and seen["my_step"] is False
    assert set(permissions(seen).values()) == {"visible"}, permissions(seen)
