"""The harness itself: a real call through the real Asterisk, watched on raw AMI.

This deliberately speaks AMI with a few lines of asyncio instead of the CTI
bridge, so that a failure here points at the harness (provisioning, configs,
dialplan, simulated phones), not at the bridge.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

QUEUE = "test-c"
AGENT_EXT = "2901"
MEMBER = f"Local/{AGENT_EXT}@hotline-sim-phone/n"
CALLER = "13912345678"


class RawAmi:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.ids = itertools.count(1)

    @classmethod
    async def login(cls, asterisk) -> RawAmi:
        reader, writer = await asyncio.open_connection(asterisk.host, asterisk.port)
        await reader.readline()  # greeting
        ami = cls(reader, writer)
        await ami.send("Login", Username=asterisk.username, Secret=asterisk.secret)
        return ami

    async def send(self, action: str, **fields: str) -> str:
        action_id = f"h{next(self.ids)}"
        lines = [f"Action: {action}", f"ActionID: {action_id}"] + [f"{k}: {v}" for k, v in fields.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        return action_id

    async def frames(self):
        while True:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            frame = {}
            for line in raw.decode().split("\r\n"):
                key, sep, value = line.partition(": ")
                if sep:
                    frame[key] = value
            yield frame

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_a_queued_call_reaches_a_simulated_agent_and_both_legs_hang_up(asterisk):
    ami = await RawAmi.login(asterisk)
    try:
        await ami.send("DBPut", Family="hotline-sim", Key=f"talk-{AGENT_EXT}", Val="1")
        await ami.send("DBPut", Family="hotline-sim", Key=f"ring-{AGENT_EXT}", Val="0")
        await ami.send("QueueAdd", Queue=QUEUE, Interface=MEMBER, Penalty="0", MemberName=f"agent{AGENT_EXT}")
        await asyncio.sleep(0.2)
        started = time.time()
        await ami.send(
            "Originate",
            Channel="Local/95598@hotline-inbound/n",
            Context="hotline-sim-caller",
            Exten="20",
            Priority="1",
            CallerID=f'"Harness" <{CALLER}>',
            Variable=f"__HOTLINE_QUEUE={QUEUE}",
            Async="true",
        )
        seen: list[str] = []
        linkedid = None
        hungup: set[str] = set()
        monitored: set[str] = set()

        async def watch():
            nonlocal linkedid
            async for frame in ami.frames():
                event = frame.get("Event")
                if event == "MixMonitorStart":
                    # starts before the caller joins the queue, so before we know its linkedid
                    monitored.add(frame.get("Linkedid", ""))
                if event == "QueueCallerJoin" and frame.get("CallerIDNum") == CALLER:
                    linkedid = frame["Linkedid"]
                if linkedid is None or frame.get("Linkedid") != linkedid:
                    continue
                if event in ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"):
                    seen.append(event)
                if event == "Hangup":
                    hungup.add(frame["Channel"])
                    # caller side (two Local halves) and the agent phone (two halves)
                    if len(hungup) >= 4:
                        return

        await asyncio.wait_for(watch(), timeout=15)
        assert seen == ["QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"]
        assert any("hotline-inbound" in c for c in hungup)
        assert any(f"{AGENT_EXT}@hotline-sim-phone" in c for c in hungup)
        assert linkedid in monitored, "the dialplan did not start MixMonitor on the queued call"
        assert time.time() - started < 10
        files = list(asterisk.root.glob(f"var/spool/asterisk/monitor/hotline/*/{linkedid}.wav"))
        assert files and files[0].stat().st_size > 8000, "recording missing or silent"
    finally:
        await ami.send("QueueRemove", Queue=QUEUE, Interface=MEMBER)
        await asyncio.sleep(0.1)
        await ami.close()


@pytest.mark.parametrize("command", ["status", "start"])
def test_control_script_is_idempotent_on_a_running_asterisk(asterisk, command):
    import subprocess

    from tests.conftest import CONTROL

    result = subprocess.run([str(CONTROL), command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "running" in result.stdout
