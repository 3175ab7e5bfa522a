"""The campaigns page of a ``hotline serve --role web`` process says whether the dialer is dialling,
though the dialer runs in the ``--role cti`` process (beside the active bridge): before the cti
process starts it is down (no process runs it), while it runs it is running, and once that process
dies without a word it is down again within the heartbeat's life (``cti_lock_seconds``). The
web process said nothing (null) in all three. No Asterisk is needed: the cti process's bridge
keeps trying a closed AMI port while its dialer works the database."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import aiohttp
import pytest
from serve_processes import Processes, demo_deployment, free_port, sign_in, wait_http

from campaigns.remote import NO_HEARTBEAT

LOCK_SECONDS = 2


@pytest.fixture
async def split(tmp_path):
    """A database and Redis keys of its own, seeded with the demo's users; the processes it starts."""
    async with contextlib.AsyncExitStack() as stack:
        deployed = await demo_deployment(
            stack,
            tmp_path,
            "dialer",
            HOTLINE_AMI_PORT=str(free_port()),  # nothing listens: no Asterisk for this story
            HOTLINE_CTI_LOCK_SECONDS=str(LOCK_SECONDS),
        )
        procs = Processes(deployed.env, tmp_path)
        stack.callback(procs.stop_all)
        yield procs, deployed.base


async def _dialer(http: aiohttp.ClientSession, base: str) -> dict | None:
    async with http.get(f"{base}/api/campaigns") as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["dialer"]


async def _until(http, base, want, within: float, procs: Processes) -> dict:
    deadline = time.monotonic() + within
    while not want(found := await _dialer(http, base)):
        if time.monotonic() > deadline:
            pytest.fail(f"dialer status {found} after {within} s\n{procs.logs()}")
        await asyncio.sleep(0.1)
    return found


async def test_the_web_process_shows_the_cti_processs_dialer(split):
    procs, base = split
    procs.start("serve", "--role", "web")
    await wait_http(base, procs)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, "9001")

        # no process runs the dialer yet
        assert await _dialer(http, base) == {"running": False, "error": NO_HEARTBEAT}

        cti = procs.start("serve", "--role", "cti")
        assert await _until(http, base, lambda d: d["running"], 40, procs) == {"running": True, "error": ""}

        # the cti process dies without a word (no key deleted): down within the heartbeat's life
        cti.send_signal(signal.SIGKILL)
        await asyncio.to_thread(cti.wait)
        killed = time.monotonic()
        found = await _until(http, base, lambda d: not d["running"], LOCK_SECONDS + 3, procs)
        assert found == {"running": False, "error": NO_HEARTBEAT}
        assert time.monotonic() - killed <= LOCK_SECONDS + 1
