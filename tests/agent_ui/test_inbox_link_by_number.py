"""关联到已受理工单 finds the order by the 工单号 typed, never by its database id (QA F2: ``7``
linked an event to an unrelated order, id 7): any case, spaces around, full-width characters;
an unknown number is refused naming it; the console is first told which order it would be
(number, category, status, customer) and nothing changes until the agent confirms. The
supervisors see the events that wait for an agent with their skill to sign in."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.intake import Intake, assign_to
from ticketing.models import Customer, Interaction, Site, User
from ticketing.workflow.engine import create_order


async def _world(world) -> tuple[int, dict]:
    """An SMS in 1001's inbox, and consult orders at 海淀, the last one about a customer."""
    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        event = await Intake().receive(db, "sms", "sms-f2", sender="13100000481", content="请回电")
        await assign_to(db, None, event, agent)
        site_id = await db.scalar(select(Site.id).where(Site.code == "HD"))
        customer = Customer(account_no="0100000481", name="刘女士", site_id=site_id)
        db.add(customer)
        await db.flush()
        for i in range(8):
            order = await create_order(
                db,
                agent,
                workflow="consult",
                site_id=site_id,
                form={"咨询内容": f"停电咨询{i}", "答复内容": "已答复"},
                customer_id=customer.id if i == 7 else None,
                link_call=False,
            )
        return event.id, {"id": order.id, "number": order.number}


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


async def _status(world, event_id: int) -> str:
    async with world.services.sessionmaker() as db:
        return (await db.get(Interaction, event_id)).status


async def test_an_order_id_typed_is_no_order_number_and_an_unknown_number_is_refused_naming_it(client, world):
    event_id, order = await _world(world)
    # ZX2026…0008 is the order with id 8: neither 8 (its id, or the tail of its number) finds it
    headers = {"X-CSRF-Token": await login(client, "1001")}
    for typed in (str(order["id"]), f" {order['id']} ", "NOPE123"):
        for resp in (
            await client.get(f"/api/inbox/{event_id}/link", params={"order": typed}),
            await client.post(f"/api/inbox/{event_id}/link", json={"order": typed}, headers=headers),
        ):
            problem = await resp.json()
            assert resp.status == 404 and problem["error_id"] == "event.order_not_found", problem
            assert problem["message"] == (
                f"没有工单号为 {typed.strip()} 的工单，未关联。请核对工单号（如 GZ2026112700003）。"
            )
    # the id as a JSON number (what the console used to send) is no key either
    resp = await client.post(f"/api/inbox/{event_id}/link", json={"order": order["id"]}, headers=headers)
    assert resp.status == 400 and (await resp.json())["error_id"] == "request.invalid"
    assert await _status(world, event_id) == "assigned"
    assert (await (await client.get("/api/inbox")).json())["unhandled"] == 1


async def test_the_number_as_typed_is_shown_for_confirmation_then_linked(client, world):
    event_id, order = await _world(world)
    headers = {"X-CSRF-Token": await login(client, "1001")}
    typed = f"  {_full_width(order['number'].lower())} "  # ｚｘ２０２６… from a Chinese input method
    resp = await client.get(f"/api/inbox/{event_id}/link", params={"order": typed})
    assert resp.status == 200, await resp.text()
    found = await resp.json()
    assert found["number"] == order["number"]
    assert (found["category_name"], found["status"], found["is_open"]) == ("信息咨询", "处理完毕", False)
    assert (found["customer"]["name"], found["customer"]["account_no"]) == ("刘女士", "0100000481")
    assert await _status(world, event_id) == "assigned"  # asking links nothing

    resp = await client.post(
        f"/api/inbox/{event_id}/link", json={"order": order["number"].lower() + " "}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["number"] == order["number"]
    assert await _status(world, event_id) == "handled"
    # asked again once handled: refused as the link itself would be
    resp = await client.get(f"/api/inbox/{event_id}/link", params={"order": order["number"]})
    assert resp.status == 409 and (await resp.json())["error_id"] == "event.already_handled"


async def test_a_colleague_is_not_told_about_orders_through_someone_elses_event(client, world):
    event_id, order = await _world(world)
    await login(client, "3001")
    resp = await client.get(f"/api/inbox/{event_id}/link", params={"order": order["number"]})
    assert resp.status == 403 and (await resp.json())["error_id"] == "event.forbidden"


async def test_the_supervisor_sees_the_events_waiting_for_an_agent_to_sign_in(client, aiohttp_client, world):
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        await users.create_user(
            db, "4001", "质检员", PASSWORD, roles=["supervisor"], site_id=hq.id, must_change_password=False
        )
        night = [
            (await Intake().receive(db, kind, f"{kind}-night", sender="13100000481", content="停电了")).id
            for kind in ("voicemail", "web")
        ]
    await login(client, "4001")
    listed = await (await client.get("/api/inbox")).json()
    assert listed["waiting"]["count"] == 2
    assert [(e["id"], e["status"]) for e in listed["waiting"]["items"]] == [(i, "new") for i in night]
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    assert "waiting" not in await (await agent.get("/api/inbox")).json()
