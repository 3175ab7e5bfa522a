"""Who may link an async event (异步事件) to an order or make one from it: the agent whose inbox
it is in, or a supervisor; an event is handled once; calls and recordings are no inbox events.
Linking is what makes a voicemail or a recording playable for everyone who may read the order,
so a stranger's link must not open it (QA F10)."""

from __future__ import annotations

from sqlalchemy import select

from recordings import RecordingStore
from tests.agent_ui.conftest import PASSWORD, login
from tests.recordings.conftest import write_wav
from ticketing import users
from ticketing.intake import Intake, assign_to
from ticketing.models import AuditLog, Interaction, Site, User
from ticketing.workflow.engine import create_order

CALL_ID = "1795772547.223"
VOICEMAIL_ID = "1795772600.301"


def _wav(store: RecordingStore, kind: str, call_id: str) -> None:
    write_wav(store.host_path(store.asterisk_path(kind, call_id)), seconds=0.1, amplitude=0.0)


async def _supervisor(world) -> None:
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        user = await users.create_user(
            db, "4001", "质检员", PASSWORD, roles=["supervisor"], site_id=hq.id, must_change_password=False
        )
        world.people["4001"] = user.id


async def _event(world, kind: str, external_id: str, owner: str | None) -> int:
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, kind, external_id, sender="13100000481", content="请回电")
        if owner is not None:
            await assign_to(db, None, event, await db.get(User, world.people[owner]))
        return event.id


async def _order(world, by: str = "1001", site: str = "HD") -> dict:
    """A consult order at the 海淀 bureau: inside the handler 2001's data scope."""
    async with world.services.sessionmaker.begin() as db:
        site_id = await db.scalar(select(Site.id).where(Site.code == site))
        order = await create_order(
            db,
            await db.get(User, world.people[by]),
            workflow="consult",
            site_id=site_id,
            form={"咨询内容": "停电咨询", "答复内容": "已答复"},
            link_call=False,
        )
        return {"id": order.id, "number": order.number}


async def _recorded_call(world, store) -> tuple[int, int]:
    """A call answered by agent 3001 with its recording on disk: (call id, recording id)."""
    _wav(store, "recording", CALL_ID)
    async with world.services.sessionmaker.begin() as db:
        call = Interaction(kind="call", external_id=CALL_ID, number="13100000481", agent_id="3001")
        db.add(call)
        await db.flush()
        recording = Interaction(
            kind="recording", external_id=CALL_ID, agent_id="3001", parent_id=call.id, status="handled"
        )
        db.add(recording)
        await db.flush()
        return call.id, recording.id


async def _handled_audits(world, event_id: int) -> list[AuditLog]:
    async with world.services.sessionmaker() as db:
        return list(
            await db.scalars(
                select(AuditLog).where(
                    AuditLog.action == "event.handled", AuditLog.entity_id == str(event_id)
                )
            )
        )


async def test_a_call_or_recording_by_id_is_no_inbox_event_and_stays_unplayable(
    store, client, aiohttp_client, world
):
    call_id, recording_id = await _recorded_call(world, store)
    order = await _order(world)
    handler = await aiohttp_client(client.server)
    headers = {"X-CSRF-Token": await login(handler, "2001")}
    agent = await aiohttp_client(client.server)
    agent_headers = {"X-CSRF-Token": await login(agent, "1001")}
    for interaction_id in (recording_id, call_id):
        for who, path, body in (
            ((handler, headers), "link", {"order": order["number"]}),
            ((agent, agent_headers), "link", {"order": order["number"]}),
            ((agent, agent_headers), "order", {"workflow": "consult"}),
        ):
            resp = await who[0].post(f"/api/inbox/{interaction_id}/{path}", json=body, headers=who[1])
            problem = await resp.json()
            assert resp.status == 404 and problem["error_id"] == "not_found", (path, problem)
    page = await (await handler.get(f"/api/orders/{order['id']}")).json()
    assert not [e for e in page["timeline"] if e.get("interaction_id") in (call_id, recording_id)]
    played = await handler.get(f"/recordings/recording/{CALL_ID}", headers={"Accept": "application/json"})
    assert played.status == 403 and (await played.json())["error_id"] == "scope.forbidden"
    assert (await agent.get(f"/recordings/recording/{CALL_ID}")).status == 403
    # the agent who took the call still plays it: the guard itself is untouched
    took_it = await aiohttp_client(client.server)
    await login(took_it, "3001")
    assert (await took_it.get(f"/recordings/recording/{CALL_ID}")).status == 200


async def test_a_colleagues_event_is_neither_linked_nor_made_an_order_and_stays_in_their_inbox(
    store, client, aiohttp_client, world
):
    _wav(store, "voicemail", VOICEMAIL_ID)
    event_id = await _event(world, "voicemail", VOICEMAIL_ID, owner="3001")
    order = await _order(world)
    for staff_no in ("1001", "2001"):  # another agent; a bureau's handler
        other = await aiohttp_client(client.server)
        headers = {"X-CSRF-Token": await login(other, staff_no)}
        resp = await other.post(
            f"/api/inbox/{event_id}/link", json={"order": order["number"]}, headers=headers
        )
        problem = await resp.json()
        assert resp.status == 403 and problem["error_id"] == "event.forbidden", problem
        assert problem["message"].startswith("这条事件不在您的待处理事件中")
        if staff_no == "1001":
            resp = await other.post(
                f"/api/inbox/{event_id}/order",
                json={"workflow": "consult", "form": {"答复内容": "已回电"}},
                headers=headers,
            )
            assert resp.status == 403 and (await resp.json())["error_id"] == "event.forbidden"
        assert (await other.get(f"/recordings/voicemail/{VOICEMAIL_ID}")).status == 403
    owner = await aiohttp_client(client.server)
    headers = {"X-CSRF-Token": await login(owner, "3001")}
    assert (await (await owner.get("/api/inbox")).json())["unhandled"] == 1
    assert await _handled_audits(world, event_id) == []

    # its owner links it: now the order's readers (the 海淀 handler) may play it
    resp = await owner.post(f"/api/inbox/{event_id}/link", json={"order": order["number"]}, headers=headers)
    assert resp.status == 200, await resp.text()
    assert (await (await owner.get("/api/inbox")).json())["unhandled"] == 0
    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    assert (await handler.get(f"/recordings/voicemail/{VOICEMAIL_ID}")).status == 200
    [audit] = await _handled_audits(world, event_id)
    assert audit.actor == "3001" and audit.after["order"] == order["number"]


async def test_an_event_is_handled_once(client, world):
    event_id = await _event(world, "sms", "sms-once", owner="1001")
    first, second = await _order(world), await _order(world)
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(f"/api/inbox/{event_id}/link", json={"order": first["number"]}, headers=headers)
    assert resp.status == 200, await resp.text()
    for path, body in (
        ("link", {"order": second["number"]}),
        ("link", {"order": first["number"]}),
        ("order", {"workflow": "consult", "form": {"答复内容": "已答复"}}),
    ):
        resp = await client.post(f"/api/inbox/{event_id}/{path}", json=body, headers=headers)
        problem = await resp.json()
        assert resp.status == 409 and problem["error_id"] == "event.already_handled", problem
        assert problem["details"]["orders"] == [first["number"]]
        assert problem["message"].startswith("这条事件已经处理过")
    page = await (await client.get(f"/api/orders/{second['id']}")).json()
    assert not [e for e in page["timeline"] if e.get("interaction_id") == event_id]
    assert len(await _handled_audits(world, event_id)) == 1


async def test_a_supervisor_handles_an_agents_or_an_unassigned_event(client, aiohttp_client, world):
    await _supervisor(world)
    mine = await _event(world, "sms", "sms-of-1001", owner="1001")
    nobodys = await _event(world, "web", "web-nobody", owner=None)
    order = await _order(world)
    agent = await aiohttp_client(client.server)
    agent_headers = {"X-CSRF-Token": await login(agent, "1001")}
    resp = await agent.post(
        f"/api/inbox/{nobodys}/link", json={"order": order["number"]}, headers=agent_headers
    )
    assert resp.status == 403 and (await resp.json())["error_id"] == "event.forbidden"

    headers = {"X-CSRF-Token": await login(client, "4001")}
    resp = await client.post(f"/api/inbox/{mine}/link", json={"order": order["number"]}, headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post(
        f"/api/inbox/{nobodys}/order",
        json={"workflow": "consult", "form": {"答复内容": "已答复"}},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    assert (await (await agent.get("/api/inbox")).json())["unhandled"] == 0
    [audit] = await _handled_audits(world, mine)
    # whose event it was and who handled it
    assert audit.actor == "4001" and audit.before == {
        "status": "assigned",
        "assigned_to": world.people["1001"],
    }
    async with world.services.sessionmaker() as db:
        linked = await db.scalar(
            select(AuditLog).where(
                AuditLog.action == "order.link_interaction",
                AuditLog.entity_id == str((await resp.json())["id"]),
            )
        )
    assert linked is not None and linked.after == {"interaction": nobodys, "kind": "web"}
