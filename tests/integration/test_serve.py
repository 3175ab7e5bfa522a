"""`hotline serve` as an operator runs it: a real process, the real Asterisk.

The console must show the live AMI connection: killing Asterisk shows
"disconnected" within 5 s, starting it again shows "connected" without
restarting the server; Ctrl-C (SIGINT) stops the server cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from tests.conftest import CONTROL

PORT = 8093
AGI_PORT = 4593
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def server(tmp_path, asterisk):
    env = dict(
        os.environ,
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3",
        HOTLINE_HTTP_PORT=str(PORT),
        HOTLINE_AGI_PORT=str(AGI_PORT),
    )
    hotline = [sys.executable, "-m", "hotline"]
    subprocess.run([*hotline, "seed", "--demo"], env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([*hotline, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import urllib.request

            urllib.request.urlopen(f"{BASE}/login", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read().decode())
            time.sleep(0.2)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


async def _console_socket(http: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    async with http.get(f"{BASE}/api/session") as resp:
        csrf = (await resp.json())["csrf"]
    async with http.post(
        f"{BASE}/api/session",
        json={"staff_no": "1001", "password": "demo1234"},
        headers={"X-CSRF-Token": csrf},
    ) as resp:
        assert resp.status == 200, await resp.text()
    return await http.ws_connect(f"{BASE}/ws")


async def _control(command: str) -> str:
    proc = await asyncio.create_subprocess_exec(str(CONTROL), command, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out
    return out.decode()


async def _ami_state(ws: aiohttp.ClientWebSocketResponse, want: bool, within: float) -> float:
    started = time.monotonic()
    async with asyncio.timeout(within):
        async for msg in ws:
            body = msg.json()
            state = body.get("connected") if body.get("type") == "ami" else None
            if body.get("type") == "snapshot":
                state = body["ami"]["connected"]
            if state is want:
                return time.monotonic() - started
    raise AssertionError("socket closed")


async def test_the_console_follows_asterisk_going_away_and_coming_back(server, asterisk):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        ws = await _console_socket(http)
        await _ami_state(ws, True, within=10)
        try:
            status = await _control("status")
            pid = int(status.split("pid ", 1)[1].split(")")[0])
            os.kill(pid, signal.SIGKILL)  # a crash, not a polite shutdown
            assert await _ami_state(ws, False, within=5) < 5
        finally:
            await _control("start")
        await _ami_state(ws, True, within=15)
        await ws.close()
    assert server.poll() is None, "the server must survive Asterisk restarts"


def test_sigint_stops_the_server_cleanly(server):
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=15) == 0
