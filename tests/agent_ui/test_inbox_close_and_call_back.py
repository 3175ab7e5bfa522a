"""QA: a 未接来电 in the inbox offered only 填写受理工单 and 关联到已受理工单. Now 回拨 calls the
caller back from the agent's seat (the ``dial`` command naming the event: its own number, the
attempt kept on the event and audited), and 关闭/无需处理 takes it out of the open inbox with a
required reason (audited, the inbox's own rule of whose it is), still listed under 显示已处理."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from agent_ui.auth import CurrentUser, password_stamp
from agent_ui.commands import run_command
from tests.agent_ui.conftest import login
from tests.agent_ui.test_inbox_event_owner import _event
from tests.agent_ui.test_order_callback_never_dial import DialingBridge
from ticketing.errors import ActionRefused
from ticketing.models import AuditLog, Interaction, User


def signed_in(user: User) -> CurrentUser:
    """``user`` as their signed-in session holds them: who a command run in-process acts as."""
    return CurrentUser(
        id=user.id,
        staff_no=user.staff_no,
        name=user.name,
        roles=tuple(user.roles),
        site_id=user.site_id,
        password_stamp=password_stamp(user),
    )


async def _current(world, staff_no: str) -> CurrentUser:
    async with world.services.sessionmaker() as db:
        return signed_in(await db.get(User, world.people[staff_no]))


async def _audits(world, action: str, event_id: int) -> list[AuditLog]:
    async with world.services.sessionmaker() as db:
        return list(
            await db.scalars(
                select(AuditLog).where(AuditLog.action == action, AuditLog.entity_id == str(event_id))
            )
        )


async def test_a_missed_call_is_called_back_from_the_seat_and_the_attempt_is_kept(world):
    event_id = await _event(world, "missed_call", "missed-1", "1001")
    bridge = DialingBridge()
    services = dataclasses.replace(world.services, bridge=bridge)
    agent = await _current(world, "1001")
    # the page sends the event, not a number: the event's own caller is dialled
    await run_command(services, agent, "dial", {"event_id": event_id, "number": "110"})
    assert bridge.asked == [("1001", "13100000481")]
    async with world.services.sessionmaker() as db:
        event = await db.get(Interaction, event_id)
        [attempt] = event.payload["callbacks"]
        assert (attempt["by"], attempt["number"], attempt["call_id"]) == ("1001", "13100000481", "x")
        assert event.status == "assigned"  # still to be handled: a call back is no order
    assert len(await _audits(world, "event.callback", event_id)) == 1

    # a colleague's event is not theirs to call back
    with pytest.raises(ActionRefused) as refused:
        await run_command(services, await _current(world, "1002"), "dial", {"event_id": event_id})
    assert refused.value.error_id == "event.forbidden" and len(bridge.asked) == 1


async def test_an_event_is_closed_with_a_reason_and_stays_findable(client, world):
    event_id = await _event(world, "missed_call", "missed-2", "1001")
    csrf = await login(client, "1001")
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post(f"/api/inbox/{event_id}/close", json={"reason": "  "}, headers=headers)
    body = await resp.json()
    assert resp.status == 422 and body["details"]["problems"] == {"reason": "field_required"}, body

    resp = await client.post(
        f"/api/inbox/{event_id}/close", json={"reason": "客户已自行解决"}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    open_inbox = await (await client.get("/api/inbox")).json()
    assert open_inbox["unhandled"] == 0 and open_inbox["items"] == []
    everything = await (await client.get("/api/inbox", params={"handled": "1"})).json()
    [closed] = [e for e in everything["items"] if e["id"] == event_id]
    assert closed["status"] == "handled" and closed["closed"]["reason"] == "客户已自行解决"
    assert closed["closed"]["by"] == "1001"
    [audit] = await _audits(world, "event.closed", event_id)
    assert audit.after["closed"] == "客户已自行解决"
    # closed once: neither closed again nor linked afterwards
    again = await client.post(f"/api/inbox/{event_id}/close", json={"reason": "再关"}, headers=headers)
    assert (await again.json())["error_id"] == "event.already_handled"


async def test_a_colleagues_event_is_not_closed(client, world):
    event_id = await _event(world, "missed_call", "missed-3", "1002")
    csrf = await login(client, "1001")
    resp = await client.post(
        f"/api/inbox/{event_id}/close", json={"reason": "无需处理"}, headers={"X-CSRF-Token": csrf}
    )
    assert (await resp.json())["error_id"] == "event.forbidden"
    async with world.services.sessionmaker() as db:
        assert (await db.get(Interaction, event_id)).status == "assigned"
    assert await _audits(world, "event.closed", event_id) == []
