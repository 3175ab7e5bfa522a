"""Asterisk restarts under the bridge: it notices, reconnects and matches Asterisk again.

This story stops the shared Asterisk for a few seconds (and always starts it
again), so it lives alone in this file.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from cti.call_events import AmiConnectionChanged, CallAnswered, CallEnded
from tests.conftest import CONTROL
from tests.cti.harness import QUEUE_A, Story, seat

pytestmark = pytest.mark.asterisk


async def control(command: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(CONTROL), command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await asyncio.wait_for(proc.wait(), 120)


async def test_asterisk_restart_is_noticed_within_5s_and_state_matches_after_reconnect(asterisk):
    async with Story(asterisk) as story:
        ready, paused = await story.new_agent(talk="hold"), await story.new_agent()
        await story.bridge.login(ready, seat(ready), {QUEUE_A: 0})
        await story.bridge.ready(ready)
        await story.bridge.login(paused, seat(paused), {QUEUE_A: 1})
        await story.bridge.pause(paused, "用餐")
        await story.call_in(QUEUE_A, stay=60)
        answered = await story.wait_for(CallAnswered, agent_id=ready)
        await story.bridge.flush()
        try:
            stopped_at = time.monotonic()
            await control("stop")
            down = await story.wait_for(AmiConnectionChanged, connected=False, timeout=5)
            noticed = time.monotonic() - stopped_at
            assert not story.bridge.connected
        finally:
            await control("start")
        await story.bridge.wait_connected(30)
        await story.wait_for(AmiConnectionChanged, connected=True, where=lambda e: e.seq > down.seq)
        ended = await story.wait_for(CallEnded, call_id=answered.call_id, timeout=10)
        await story.bridge.flush()
        await story.net.wait_connected(30)
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        agents = {a["agent_id"]: a for a in story.bridge.agents()}
    assert noticed < 5
    assert ended.outcome == "answered" and len(story.of(CallEnded, call_id=answered.call_id)) == 1
    members = {f["Name"]: f for f in status if f.name == "QueueMember" and f.get("Name") in (ready, paused)}
    # persistentmembers kept both seats; the bridge's view is Asterisk's.
    assert set(members) == {ready, paused}
    assert members[paused]["Paused"] == "1" and agents[paused]["state"] == "not_ready"
    assert agents[paused]["reason"] == members[paused]["PausedReason"]
    assert members[ready]["Paused"] == "0" and agents[ready]["state"] == "ready"
    assert not story.bridge.calls() or answered.call_id not in {c["call_id"] for c in story.bridge.calls()}
