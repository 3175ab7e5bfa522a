"""停用 of a handler says what becomes of the open orders whose step they hold (QA 2026-11-29
#11): the users register lists, per user, those orders (``open_steps``), as the disable moves
them (``release_steps``: to a colleague at the step, else whoever its rules pick, else 待改派),
and the page's confirmation says how many and where they go; a seat's words only for an agent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_ui.conftest import Session, sign_in
from tests.agent_ui.test_order_reassign import _fault_held_by_2003, _people

ROOT = Path(__file__).resolve().parents[2]


async def _listed(admin: Session, staff_no: str) -> dict:
    status, body = await admin.call("GET", f"/api/users?q={staff_no}")
    assert status == 200, body
    return next(u for u in body["items"] if u["staff_no"] == staff_no)


async def test_the_register_counts_the_open_orders_a_user_holds(client, aiohttp_client, world):
    await _people(world)
    admin = await sign_in(aiohttp_client, client, "9001")
    assert (await _listed(admin, "2003"))["open_steps"] == 0
    await _fault_held_by_2003(client, aiohttp_client, "dispatch")  # 派工 waits for 2003 alone
    await _fault_held_by_2003(client, aiohttp_client, "onsite")  # and 到达现场
    assert (await _listed(admin, "2003"))["open_steps"] == 2
    # 2001 was offered both 接收确认s with 2003, who took them: nothing of theirs now
    assert (await _listed(admin, "2001"))["open_steps"] == 0
    # disabled: 派工 goes to the bureau's handlers (2001); nobody else may do 到达现场, which
    # stays 2003's, 待改派
    status, body = await admin.call("PATCH", "/api/users/2003", {"active": False})
    assert status == 200, body
    assert (await _listed(admin, "2003"))["open_steps"] == 1
    assert (await _listed(admin, "2001"))["open_steps"] == 1


def test_the_confirmation_names_the_orders_and_an_agents_seat_only():
    script = (ROOT / "agent_ui/static/js/admin_users.js").read_text(encoding="utf-8")
    confirm = script[script.index("function disableConfirmed") :]
    confirm = confirm[: confirm.index("\n}\n")]
    assert 'u.roles.includes("agent")' in confirm and 't("user.confirm_disable_seat")' in confirm
    assert 't("user.confirm_disable_orders", { count: u.open_steps })' in confirm
    zh = json.loads((ROOT / "agent_ui/texts/zh-CN.json").read_text(encoding="utf-8"))
    assert "坐席" not in zh["user.confirm_disable"]
    assert "待改派" in zh["user.confirm_disable_orders"] and "{count}" in zh["user.confirm_disable_orders"]
