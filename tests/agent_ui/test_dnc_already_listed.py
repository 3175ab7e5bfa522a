"""加入免打扰 for a number on the list already (under another spelling) says so and never drops
the reason given: QA found ``138-0000-0000`` with 客户要求, 13800000000 listed without a reason,
answered 201 with ``"reason": ""``."""

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import AuditLog


async def _dnc(client, h, number, reason=""):
    resp = await client.post("/api/campaigns-dnc", json={"number": number, "reason": reason}, headers=h)
    return resp.status, await resp.json()


async def test_a_listed_number_added_again_keeps_or_updates_its_reason(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    assert await _dnc(client, h, "13800000000") == (
        201,
        {"number": "13800000000", "reason": "", "already_listed": False, "reason_updated": False},
    )
    # again, spelt otherwise, with a reason: the entry takes the reason, the user is told
    assert await _dnc(client, h, "138-0000-0000", "客户要求") == (
        200,
        {"number": "13800000000", "reason": "客户要求", "already_listed": True, "reason_updated": True},
    )
    # again without a reason: the one it has stays
    assert await _dnc(client, h, "+86 138 0000 0000") == (
        200,
        {"number": "13800000000", "reason": "客户要求", "already_listed": True, "reason_updated": False},
    )
    entries = (await (await client.get("/api/campaigns-dnc")).json())["entries"]
    assert [(e["number"], e["reason"]) for e in entries] == [("13800000000", "客户要求")]
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(select(AuditLog).where(AuditLog.entity == "dnc_number").order_by(AuditLog.id))
        assert [(r.action, r.actor, r.before, r.after) for r in rows] == [
            ("dnc.add", "3001", None, {"reason": ""}),
            ("dnc.reason", "3001", {"reason": ""}, {"reason": "客户要求"}),
        ]
