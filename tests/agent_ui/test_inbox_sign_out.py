"""下班 hands the inbox's unhandled events back: the agent's console shows them gone (the inbox
reloads, the state bar's count drops) without a reload."""

from __future__ import annotations

from sqlalchemy import select

from cti.call_events import AgentStateChanged
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from ticketing.intake import Intake, assign_to, unhandled_count
from ticketing.models import Interaction, User


async def test_signing_out_empties_the_agents_inbox_and_count_on_their_console(client, world):
    intake = Intake()
    async with world.services.sessionmaker.begin() as db:
        sms = await intake.receive(db, "sms", "sms-evening", sender="13800138000", content="停电")
        await assign_to(db, None, sms, await db.get(User, world.people["1001"]))
    await login(client, "1001")
    intake.subscribe(world.bus, world.services.sessionmaker)
    try:
        async with client.ws_connect("/ws") as ws:
            assert (await _next(ws, "snapshot"))["work"]["inbox"] == 1
            await world.bus.publish(
                AgentStateChanged(
                    agent_id="1001", state="logged_out", previous="not_ready", seconds_in_previous=60
                )
            )
            pushed = await _next(ws, "inbox", within=5)
            assert pushed["event"]["event"] == "AsyncEventReturned"
            assert pushed["event"]["interaction_id"] == sms.id
            assert (await _next(ws, "work", within=5))["work"]["inbox"] == 0
        body = await (await client.get("/api/inbox")).json()
        assert (body["items"], body["unhandled"]) == ([], 0)
        async with world.services.sessionmaker() as db:
            row = await db.scalar(select(Interaction).where(Interaction.id == sms.id))
            assert (row.status, row.assigned_to_id) == ("new", None)
            assert await unhandled_count(db, await db.get(User, world.people["1001"])) == 0
    finally:
        await intake.close()
