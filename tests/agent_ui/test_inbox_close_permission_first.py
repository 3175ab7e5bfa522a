"""QA: an agent (1002) closing a colleague's (1001's) inbox event with an empty reason was told 原因（必填）, and
only with a reason event.forbidden: the route checked the input before whose the event is. Now
the permission comes first, whatever the reason; the owner still needs one."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import add_user, login
from tests.agent_ui.test_inbox_event_owner import _event
from ticketing.models import AuditLog, Interaction


async def test_a_colleagues_event_is_forbidden_before_its_reason_is_read(client, aiohttp_client, world):
    await add_user(world, "1004", "赵坐席", ["agent"])  # another agent of the call centre
    event_id = await _event(world, "missed_call", "missed-perm-1", "1001")
    other = await aiohttp_client(client.server)
    headers = {"X-CSRF-Token": await login(other, "1004")}
    for reason in ("", "  ", None, "x" * 500, "无需处理"):
        resp = await other.post(f"/api/inbox/{event_id}/close", json={"reason": reason}, headers=headers)
        body = await resp.json()
        assert resp.status == 403 and body["error_id"] == "event.forbidden", (reason, body)
    async with world.services.sessionmaker() as db:
        assert (await db.get(Interaction, event_id)).status == "assigned"
        closed = await db.scalars(
            select(AuditLog).where(AuditLog.action == "event.closed", AuditLog.entity_id == str(event_id))
        )
        assert list(closed) == []

    # its owner is still asked for the reason, and closes it with one
    owner = await aiohttp_client(client.server)
    headers = {"X-CSRF-Token": await login(owner, "1001")}
    resp = await owner.post(f"/api/inbox/{event_id}/close", json={"reason": " "}, headers=headers)
    body = await resp.json()
    assert resp.status == 422 and body["details"]["problems"] == {"reason": "field_required"}, body
    resp = await owner.post(f"/api/inbox/{event_id}/close", json={"reason": "骚扰电话"}, headers=headers)
    assert resp.status == 200, await resp.text()
    # handled: closing again is already_handled, even without a reason
    resp = await owner.post(f"/api/inbox/{event_id}/close", json={"reason": ""}, headers=headers)
    assert (await resp.json())["error_id"] == "event.already_handled"
