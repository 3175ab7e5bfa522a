"""未分派事件's note says why its events wait: nobody with the skill was 就绪 (nor on a call or in
话后处理) when they came, agents 未就绪 are given none, and they are handed out as agents sign in or
become 就绪 (``Intake.at_work``). QA #2: it said nobody with the skill had signed in, under an
event that waited while four agents were signed in, all 未就绪, and that went out when one of them
pressed 就绪."""

from __future__ import annotations

import re

from cti.call_events import AgentStateChanged
from tests.agent_ui.conftest import login
from tests.agent_ui.test_inbox_event_owner import _supervisor
from ticketing.intake import Intake
from ticketing.models import User


def _note(page: str) -> str:
    """The words under 未分派事件's heading."""
    return re.search(r'id="inbox-waiting".*?<p class="hint">(.*?)</p>', page, re.S).group(1)


async def test_the_waiting_note_says_the_rule_events_are_given_by(client, world):
    await _supervisor(world)
    intake = Intake()
    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        agent.skills = {"service": 1}  # missed calls' and SMS's
        # signed in, on a break (小休)
        await intake.on_agent_state(
            AgentStateChanged(
                agent_id="1001", state="not_ready", previous="", seconds_in_previous=0, reason="小休"
            )
        )
        waits = await intake.receive(db, "sms", "sms-on-break", sender="13800138000", content="停电了")
        assert (waits.status, waits.assigned_to_id) == ("new", None)  # signed in, yet it waits
        await intake.on_agent_state(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=60)
        )
        given = await intake.receive(db, "sms", "sms-when-ready", sender="13800138000", content="又停电了")
        assert given.assigned_to_id == agent.id  # 就绪: the next one is hers

    token = await login(client, "4001")
    note = _note(await (await client.get("/inbox")).text())
    assert "就绪" in note and "未就绪的坐席不分派新事件" in note, note
    assert "通话中" in note and "话后处理" in note, note
    assert "坐席签入；" not in note, note  # not the cause: 1001 was signed in

    await client.post("/lang", data={"_csrf": token, "lang": "en", "next": "/inbox"})
    note = _note(await (await client.get("/inbox")).text())
    assert "was Ready" in note and "Not ready are given no new events" in note, note
    assert "on a call" in note and "after-call work" in note, note
    assert "was signed in when" not in note, note
