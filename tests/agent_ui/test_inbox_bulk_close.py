"""批量关闭 未分派事件: a supervisor facing ~600 未接来电 from another line's queues or a storm of
spam SMS closed them one by one, each with a typed reason. Now the rows picked, or every one of
the 类型 filter as confirmed, are closed with one reason in one request: each as 关闭/无需处理
closes one (an ``event.closed`` audit row each, listed under 显示已处理), only those still waiting,
the others said with why; at most ``BULK_CLOSE_LIMIT`` at once; only for who sees 未分派事件."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.inbox import WAITING_PAGE
from tests.agent_ui.conftest import add_user, login
from tests.agent_ui.test_inbox_event_owner import _event, _supervisor
from ticketing.intake import BULK_CLOSE_LIMIT, assign_to
from ticketing.models import AuditLog, Interaction, User

CLOSE = "/api/inbox/waiting/close"


async def _closed_audits(world) -> dict[str, AuditLog]:
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(select(AuditLog).where(AuditLog.action == "event.closed"))
        return {row.entity_id: row for row in rows}


async def _status(world, event_id: int) -> str:
    async with world.services.sessionmaker() as db:
        return (await db.get(Interaction, event_id)).status


async def test_the_picked_waiting_events_close_with_one_reason_and_the_others_say_why(client, world):
    await _supervisor(world)
    waiting = [await _event(world, "sms", f"spam-{n}", owner=None) for n in range(3)]
    taken = await _event(world, "sms", "spam-taken", owner="1001")  # an agent took it meanwhile
    handled = await _event(world, "sms", "spam-handled", owner=None)
    headers = {"X-CSRF-Token": await login(client, "4001")}
    resp = await client.post(f"/api/inbox/{handled}/close", json={"reason": "已回复"}, headers=headers)
    assert resp.status == 200, await resp.text()

    resp = await client.post(
        CLOSE,
        json={"ids": [*waiting, taken, handled, 999_999, waiting[0]], "reason": " 垃圾短信 "},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert (body["closed"], body["ids"]) == (3, sorted(waiting))
    assert body["skipped"] == {"taken": 1, "handled": 1, "not_found": 1}
    assert body["skipped_ids"] == {"taken": [taken], "handled": [handled], "not_found": [999_999]}

    # each as the single close: the event's reason, one event.closed row by the supervisor
    audits = await _closed_audits(world)
    async with world.services.sessionmaker() as db:
        supervisor = await db.get(User, world.people["4001"])
        for event_id in waiting:
            row = await db.get(Interaction, event_id)
            assert row.status == "handled" and row.payload["closed"]["reason"] == "垃圾短信"
            assert row.payload["closed"]["by"] == "4001"
            audit = audits[str(event_id)]
            assert audit.user_id == supervisor.id
            assert audit.before == {"status": "new", "assigned_to": None}
            assert audit.after == {"status": "handled", "closed": "垃圾短信"}
        assert (await db.get(Interaction, taken)).status == "assigned"
    assert len([a for a in audits.values() if a.entity_id in {str(i) for i in waiting}]) == 3
    assert audits[str(handled)].after["closed"] == "已回复"  # the earlier close, not overwritten

    listed = await (await client.get("/api/inbox", params={"handled": "1"})).json()
    shown = {e["id"]: e for e in listed["items"]}
    assert all(shown[i]["closed"]["reason"] == "垃圾短信" for i in waiting)
    assert (await (await client.get("/api/inbox")).json())["waiting"]["count"] == 0


async def test_every_one_of_the_filter_as_confirmed_and_nothing_that_came_after(client, world):
    await _supervisor(world)
    missed = [
        await _event(world, "missed_call", f"other-line-{n}", owner=None) for n in range(WAITING_PAGE + 2)
    ]
    sms = await _event(world, "sms", "real-sms", owner=None)
    back = await _event(world, "missed_call", "in-an-inbox", owner="1001")  # handed back below
    headers = {"X-CSRF-Token": await login(client, "4001")}
    page = (await (await client.get("/api/inbox", params={"waiting_kind": "missed_call"})).json())["waiting"]
    assert (page["matched"], page["through"], page["bulk_limit"]) == (
        WAITING_PAGE + 2,
        missed[-1],
        BULK_CLOSE_LIMIT,
    )

    # meanwhile an agent takes one and a real caller's missed call comes in
    async with world.services.sessionmaker.begin() as db:
        await assign_to(
            db, None, await db.get(Interaction, missed[0]), await db.get(User, world.people["1001"])
        )
    later = await _event(world, "missed_call", "real-caller", owner=None)

    every = {"kind": "missed_call", "count": page["matched"], "through": page["through"]}
    resp = await client.post(CLOSE, json={"all": every, "reason": "其他热线队列的测试呼叫"}, headers=headers)
    body = await resp.json()
    assert resp.status == 200, body
    assert (body["closed"], body["skipped"]) == (WAITING_PAGE + 1, {"gone": 1})
    assert await _status(world, missed[0]) == "assigned"
    assert await _status(world, later) == "new" and await _status(world, sms) == "new"
    assert len(await _closed_audits(world)) == WAITING_PAGE + 1

    # one handed back to waiting (its agent signed out) since the count was confirmed: more than
    # confirmed, none closed
    page = (await (await client.get("/api/inbox", params={"waiting_kind": "missed_call"})).json())["waiting"]
    async with world.services.sessionmaker.begin() as db:
        row = await db.get(Interaction, back)
        row.status, row.assigned_to_id = "new", None
    every = {"kind": "missed_call", "count": page["matched"], "through": page["through"]}
    resp = await client.post(CLOSE, json={"all": every, "reason": "测试"}, headers=headers)
    body = await resp.json()
    assert resp.status == 409 and body["error_id"] == "event.waiting_changed", body
    assert body["details"] == {"count": 1, "now": 2}
    assert await _status(world, later) == "new"


async def test_past_the_limit_nothing_is_closed(client, world):
    await _supervisor(world)
    event_id = await _event(world, "sms", "spam-limit", owner=None)
    headers = {"X-CSRF-Token": await login(client, "4001")}
    too_many = [event_id, *range(10_000_000, 10_000_000 + BULK_CLOSE_LIMIT)]
    for body in (
        {"ids": too_many, "reason": "垃圾短信"},
        {"ids": too_many, "reason": ""},  # past the limit is said before the reason
        {"all": {"kind": "sms", "count": BULK_CLOSE_LIMIT + 1, "through": event_id}, "reason": "垃圾短信"},
    ):
        resp = await client.post(CLOSE, json=body, headers=headers)
        problem = await resp.json()
        assert resp.status == 422 and problem["error_id"] == "event.too_many", problem
        assert problem["details"] == {"limit": BULK_CLOSE_LIMIT, "count": BULK_CLOSE_LIMIT + 1}
    assert await _status(world, event_id) == "new"
    # the limit itself is allowed
    resp = await client.post(
        CLOSE, json={"ids": too_many[:BULK_CLOSE_LIMIT], "reason": "垃圾短信"}, headers=headers
    )
    assert resp.status == 200 and (await resp.json())["closed"] == 1


async def test_only_a_supervisor_closes_in_bulk_and_only_with_a_token_and_a_reason(
    client, aiohttp_client, world
):
    await _supervisor(world)
    await add_user(world, "1005", "班长", ["team_leader"])
    event_id = await _event(world, "sms", "spam-auth", owner=None)
    own = await _event(world, "sms", "spam-own", owner="1001")
    for staff_no in ("1001", "1005", "2001"):  # an agent (even for their own event), a team leader, a handler
        other = await aiohttp_client(client.server)
        headers = {"X-CSRF-Token": await login(other, staff_no)}
        for body in ({"ids": [event_id, own], "reason": "垃圾短信"}, {"ids": [own], "reason": ""}, {}):
            resp = await other.post(CLOSE, json=body, headers=headers)
            problem = await resp.json()
            assert resp.status == 403 and problem["error_id"] == "event.bulk_forbidden", (staff_no, problem)

    await login(client, "4001")
    forged = await client.post(CLOSE, json={"ids": [event_id], "reason": "垃圾短信"})  # no CSRF token
    assert forged.status == 403 and (await forged.json())["error_id"] == "csrf.invalid"
    headers = {"X-CSRF-Token": await login(client, "4001")}
    wrong = await client.post(
        CLOSE,
        json={"ids": [event_id], "reason": "x"},
        headers={"X-CSRF-Token": "forged-" + headers["X-CSRF-Token"]},
    )
    assert wrong.status == 403 and (await wrong.json())["error_id"] == "csrf.invalid"
    for body, error in (
        ({"ids": [event_id], "reason": "  "}, "invalid_fields"),
        ({"ids": [event_id], "reason": "x" * 201}, "invalid_fields"),
        ({"reason": "垃圾短信"}, "request.invalid"),
        ({"ids": [], "reason": "垃圾短信"}, "request.invalid"),
        ({"ids": ["1"], "reason": "垃圾短信"}, "request.invalid"),
        (
            {"ids": [event_id], "all": {"count": 1, "through": event_id}, "reason": "垃圾短信"},
            "request.invalid",
        ),
        ({"all": {"kind": "call", "count": 1, "through": event_id}, "reason": "垃圾短信"}, "request.invalid"),
        ({"all": {"kind": "sms", "count": 0, "through": event_id}, "reason": "垃圾短信"}, "request.invalid"),
    ):
        resp = await client.post(CLOSE, json=body, headers=headers)
        assert (await resp.json())["error_id"] == error, body
    assert await _status(world, event_id) == "new" and await _status(world, own) == "assigned"
    assert await _closed_audits(world) == {}

    spec = await (await client.get("/api/openapi.json")).json()
    operation = spec["paths"][CLOSE]["post"]
    assert operation["x-roles"] == ["supervisor"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["required"] == ["reason"]
