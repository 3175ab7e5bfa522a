"""QA #3: an outage notice withdrawn (撤销) while an agent's screen-pop listed it stayed on the
pop as 发布中 until the next call. Each publish, revision, early end (and its undoing) and
withdrawal is put on the bus once it commits (``OutageNoticeChanged``), and every web process's
gateway tells its tabs (``outage_notice``): the seat's pop asks for the caller's outages again.

Two web processes on one Redis stream, as ``hotline serve --role web`` runs them: the team leader
writes through the first, the agent's socket is on the second."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from agent_ui import create_app
from cti.redis_bus import RedisBus
from tests.agent_ui.conftest import login, next_message, posted_notice
from tests.agent_ui.test_knowledge_editing import _local, _site_id


async def _told(tab) -> dict:
    """What the tab was told of the next notice change: key, change, active, site_id."""
    event = (await next_message(tab, "outage_notice", within=10.0))["event"]
    return {k: event[k] for k in ("key", "change", "active", "site_id")}


async def test_an_agent_on_another_web_process_is_told_each_change_of_a_notice(aiohttp_client, world):
    stream = f"test:hotline:{uuid.uuid4().hex}"
    buses = [RedisBus("redis://127.0.0.1:6379/0", stream=stream, block_ms=100) for _ in range(2)]
    try:
        first, second = [
            await aiohttp_client(create_app(dataclasses.replace(world.services, bus=bus))) for bus in buses
        ]
        headers = {"X-CSRF-Token": await login(first, "3001")}
        await login(second, "1001")
        hd = await _site_id(world, "HD")
        async with second.ws_connect("/ws") as tab:
            await next_message(tab, "snapshot", within=10.0)
            now = dt.datetime.now(dt.UTC)
            body = {"site_id": hd, "area": "中关村大街1-99号", "reason": "10kV线路检修"}
            notice = await posted_notice(
                first,
                headers,
                {
                    **body,
                    "starts_at": _local(now - dt.timedelta(hours=1)),
                    "ends_at": _local(now + dt.timedelta(hours=3)),
                },
            )
            key = notice["key"]
            told = {"key": key, "site_id": hd}
            assert await _told(tab) == {**told, "change": "published", "active": True}

            later = _local(now + dt.timedelta(hours=5))
            resp = await first.patch(
                f"/api/notices/{key}", json={"ends_at": later, "remark": "延长"}, headers=headers
            )
            assert resp.status == 200, await resp.json()
            assert await _told(tab) == {**told, "change": "changed", "active": True}

            for path, change, active in (
                ("end", "ended", False),  # over: no pop lists it any more
                ("undo-end", "changed", True),  # told to callers again
                ("withdraw", "withdrawn", False),
            ):
                resp = await first.post(
                    f"/api/notices/{key}/{path}", json={"remark": "核实"}, headers=headers
                )
                assert resp.status == 200, await resp.json()
                assert await _told(tab) == {**told, "change": change, "active": active}, path
    finally:
        await buses[0].redis.delete(stream, f"{stream}:seq")
        for bus in buses:
            await bus.close()
