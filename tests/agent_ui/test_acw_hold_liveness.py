"""A web process killed (no clean close: its tabs' releases never go out) must not leave its tabs'
ACW holds behind: the seat would stay in 话后处理, out of every queue, until the agent acts. Each
web process tells the bridge it is alive while its tabs hold anything (``acw_alive``); the bridge
lets go of the holds of a process silent for ``ACW_SILENT_BEATS`` of its intervals, and keeps
those of a live one however long the agent writes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from cti import agents as A
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AcwHoldChanged, AmiConnectionChanged
from cti.redis_bus import RedisBus
from cti.remote import bridge_handlers, keys_for
from tests.agent_ui.conftest import PASSWORD
from tests.cti.test_remote import REDIS_URL, prefix, serving, until

__all__ = ["prefix"]  # the fixture
REPO = Path(__file__).resolve().parents[2]
INTERVAL = 0.2  # the web process's signs of life: the bridge drops its holds after 3 silent ones


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def web_process(db: Path, prefix: str):
    """``tests.agent_ui.acw_web_process`` as a child process: yields (its process, its base URL)."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.agent_ui.acw_web_process",
        str(db),
        prefix,
        str(port),
        str(INTERVAL),
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"ready", line
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _sign_in(http: aiohttp.ClientSession, base: str, staff_no: str) -> None:
    state = await (await http.get(f"{base}/api/session")).json()
    signed_in = await http.post(
        f"{base}/api/session",
        json={"staff_no": staff_no, "password": PASSWORD},
        headers={"X-CSRF-Token": state["csrf"]},
    )
    assert signed_in.status == 200, await signed_in.text()


async def _next(ws, type_: str) -> dict:
    while True:
        message = await ws.receive_json(timeout=5)
        if message["type"] == type_:
            return message


async def test_a_killed_web_process_lets_go_of_its_tabs_holds(world, tmp_path, prefix):
    bus = RedisBus(REDIS_URL, stream=f"{prefix}:events", block_ms=50)
    bridge = CtiBridge(CtiSettings(acw_seconds=600), bus)
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", time.time(), reason="话后处理", call_id="c1")
    bridge._emit(AmiConnectionChanged(connected=True))
    await bridge.flush()
    released: list[AcwHoldChanged] = []

    async def note(event: AcwHoldChanged) -> None:
        if not event.held:
            released.append(event)

    watching = bus.subscribe(note, types=(AcwHoldChanged,))
    redis = aioredis.Redis.from_url(REDIS_URL)
    await redis.set(keys_for(prefix)[1], "bridge", px=60_000)  # an active bridge holds the lock
    try:
        async with (
            serving(prefix, bridge_handlers(bridge)),
            web_process(tmp_path / "console.db", prefix) as (web, base),
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,  # an IP address
        ):
            await _sign_in(http, base, "1001")
            ws = await http.ws_connect(f"{base}/ws")
            await _next(ws, "snapshot")
            await ws.send_json(
                {"id": 1, "cmd": "hold_after_call_work", "args": {"call_id": "c1", "hold": True}}
            )
            assert (await _next(ws, "ack"))["result"] == {"held": True}
            assert bridge.agent("1001")["acw_held"] is True

            # alive, however long the agent writes: its signs of life keep the hold
            await asyncio.sleep(INTERVAL * A.ACW_SILENT_BEATS * 3)
            assert bridge.agent("1001")["acw_held"] is True

            web.send_signal(signal.SIGKILL)  # no close, no release
            await web.wait()
            started = time.monotonic()
            await until(
                lambda: not bridge.agent("1001")["acw_held"], within=INTERVAL * A.ACW_SILENT_BEATS + 2
            )
            assert time.monotonic() - started < INTERVAL * A.ACW_SILENT_BEATS + 1
            # said on the bus, so every other process's mirror (and the agent's other tabs) know
            await until(lambda: len(released) == 1)
            assert (released[0].agent_id, released[0].call_id) == ("1001", "c1")
            await ws.close()
    finally:
        await watching.close()
        await bridge.publisher.close()
        await bus.close()
        await redis.aclose()


async def test_a_silent_process_lets_go_only_of_its_own_tabs_holds_and_an_overdue_acw_ends():
    bridge = CtiBridge(CtiSettings(acw_seconds=600), InProcessBus())
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", time.time(), reason="话后处理", call_id="c1")
    ended: list[tuple[str, str]] = []
    bridge._end_acw = lambda agent_id, call_id: ended.append((agent_id, call_id))  # the limit's end
    try:
        await bridge.acw_alive("web-1", 0.1)
        await bridge.acw_alive("web-2", 0.1)
        await bridge.hold_after_call_work("1001", "c1", True, A.acw_holder("web-1", "tab-a"))
        await bridge.hold_after_call_work("1001", "c1", True, A.acw_holder("web-2", "tab-b"))
        bridge._acw_overdue.add("1001")  # the limit passed while held
        for _ in range(8):  # web-2 goes on beating; web-1 was killed
            await asyncio.sleep(0.1)
            await bridge.acw_alive("web-2", 0.1)
        assert bridge.agent("1001")["acw_held"] is True  # web-2's tab still holds it
        assert bridge._acw_held["1001"][1] == {A.acw_holder("web-2", "tab-b")}
        assert ended == []
        await asyncio.sleep(0.6)  # web-2 killed too
        assert bridge.agent("1001")["acw_held"] is False
        assert ended == [("1001", "c1")]  # the limit that passed meanwhile ends the ACW at once
    finally:
        await bridge.stop()
