"""A scripted AGI peer for unit tests: it speaks Asterisk's side of FastAGI over a
real socket to our server, presses the keys it is given and remembers every
command. The integration tests (tests/integration/test_ivr_*.py) use the real
Asterisk; this peer makes the IVR's branches fast and exhaustive to test.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterable

import pytest

from ivr.server import AgiServer


class FakeChannel:
    """Keys: DTMF digits; "." = press nothing for this prompt/wait; "H" = the caller hangs up."""

    def __init__(self, keys: str = "", *, extension: str = "95598", callerid: str = "13800138000") -> None:
        self.keys = list(keys)
        self.env = {
            "network": "yes",
            "network_script": "route",
            "request": "agi://127.0.0.1/route",
            "channel": "Local/95598@hotline-inbound-00000001;2",
            "uniqueid": "1700000000.2",
            "callerid": callerid,
            "extension": extension,
            "context": "hotline-inbound",
        }
        self.variables: dict[str, str] = {}
        self.commands: list[list[str]] = []
        self.hung_up = False
        self.get_vars = {"${CHANNEL(linkedid)}": "1700000000.1"}

    def played(self) -> list[str]:
        return [c[2] for c in self.commands if c[:2] == ["STREAM", "FILE"]]

    def user_events(self) -> list[str]:
        return [c[2] for c in self.commands if c[:2] == ["EXEC", "UserEvent"]]

    def _key(self, allowed: Iterable[str] | None = None) -> str:
        if not self.keys:
            return ""
        key = self.keys[0]
        if key == "H":
            return "H"
        if key == ".":
            self.keys.pop(0)
            return ""
        if allowed is not None and key not in allowed:
            return ""
        return self.keys.pop(0)

    def answer(self, words: list[str]) -> str:
        if self.hung_up:
            return "511 Command Not Permitted on a dead channel or intercept routine"
        verb = " ".join(words[:2]).upper()
        if verb in ("STREAM FILE", "WAIT FOR", "GET DATA", "SAY DIGITS", "SAY NUMBER", "SAY DATETIME"):
            if self.keys and self.keys[0] == "H":
                self.hung_up = True
                return "200 result=-1"
        if verb == "SET VARIABLE":
            self.variables[words[2]] = words[3] if len(words) > 3 else ""
            return "200 result=1"
        if verb == "GET FULL":
            value = self.get_vars.get(words[3])
            if value is None:
                name = words[3][2:-1]
                value = self.variables.get(name)
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if verb == "STREAM FILE":
            key = self._key(words[3] if len(words) > 3 else "")
            return f"200 result={ord(key) if key else 0} endpos=1000"
        if verb == "WAIT FOR":
            key = self._key()
            return f"200 result={ord(key) if key else 0}"
        if verb == "GET DATA":
            digits = ""
            limit = int(words[4]) if len(words) > 4 else 99
            ended = False  # by # or the last digit; else the caller stopped keying: Asterisk's (timeout)
            while self.keys and self.keys[0] not in ("H", ".") and len(digits) < limit:
                key = self.keys.pop(0)
                if key == "#":
                    ended = True
                    break
                digits += key
            ended = ended or len(digits) >= limit
            if not ended and self.keys[:1] == ["."]:
                self.keys.pop(0)
            return f"200 result={digits}" if ended else f"200 result={digits} (timeout)"
        if verb.startswith("SAY"):
            return "200 result=0"
        if verb.startswith("EXEC"):
            return "200 result=0"
        if verb == "HANGUP":
            self.hung_up = True
            return "200 result=1"
        return "510 Invalid or unknown command"

    async def run(self, port: int, *, env_only: bool = False) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write("".join(f"agi_{k}: {v}\n" for k, v in self.env.items()).encode() + b"\n")
        await writer.drain()
        try:
            while line := await reader.readline():
                words = shlex.split(line.decode())
                self.commands.append(words)
                writer.write((self.answer(words) + "\n").encode())
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def agi_server():
    """Start an AgiServer with the given scripts on a free port; stopped afterwards."""
    servers: list[AgiServer] = []

    async def start(scripts) -> AgiServer:
        server = AgiServer(scripts, port=0)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
