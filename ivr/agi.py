"""The AGI protocol as a Sans-I/O core: bytes in, parsed environment and responses out.

A FastAGI session starts with Asterisk sending ``agi_name: value`` lines ended
by a blank line; after that every command we send is answered by one response
line (``200 result=1 (digits) endpos=8000``) or, for a usage error, a block
``520-Invalid command syntax…`` … ``520 End of proper usage.``. When the channel
hangs up Asterisk may also send a bare ``HANGUP`` line at any time.

``AgiParser`` knows nothing about sockets (like python-websockets' protocol
core): ``feed`` it bytes in any split and read ``environment``, ``responses``
and ``hung_up``. ``encode_command`` builds the bytes to send.
"""

from __future__ import annotations

import collections
import dataclasses
import re

_RESULT = re.compile(r"result=(-?[\w*#]*)")  # GET DATA keeps * (and # is a key too)
_DATA = re.compile(r"\((.*)\)")
_ENDPOS = re.compile(r"endpos=(\d+)")


class AgiError(Exception):
    """A command failed (bad syntax, not permitted, invalid)."""

    def __init__(self, response: AgiResponse, command: str = "") -> None:
        self.response = response
        self.command = command
        super().__init__(f"{command!r} -> {response.code} {response.raw}")


class AgiHangup(Exception):
    """The channel hung up; no more commands will work."""


@dataclasses.dataclass(frozen=True)
class AgiResponse:
    code: int
    result: str = ""
    data: str = ""
    endpos: int | None = None
    raw: str = ""

    @property
    def result_int(self) -> int:
        try:
            return int(self.result)
        except ValueError:
            return 0

    @property
    def digit(self) -> str:
        """The DTMF digit a STREAM FILE / WAIT FOR DIGIT result stands for ('' if none)."""
        value = self.result_int
        return chr(value) if value > 0 else ""


def parse_response(line: str) -> AgiResponse:
    code_text, _, rest = line.partition(" ")
    try:
        code = int(code_text[:3])
    except ValueError:
        return AgiResponse(code=0, raw=line)
    result = _RESULT.search(rest)
    data = _DATA.search(rest)
    endpos = _ENDPOS.search(rest)
    return AgiResponse(
        code=code,
        result=result.group(1) if result else "",
        data=data.group(1) if data else "",
        endpos=int(endpos.group(1)) if endpos else None,
        raw=line,
    )


class AgiParser:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._env: dict[str, str] = {}
        self.environment: dict[str, str] | None = None
        self.responses: collections.deque[AgiResponse] = collections.deque()
        self.hung_up = False
        self._usage: list[str] | None = None

    def feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        while (end := self._buffer.find(b"\n")) >= 0:
            line = self._buffer[:end].decode("utf-8", "replace").rstrip("\r")
            del self._buffer[: end + 1]
            self._line(line)

    def _line(self, line: str) -> None:
        if self.environment is None:
            if not line:
                self.environment = self._env
                return
            key, sep, value = line.partition(":")
            if sep and key.startswith("agi_"):
                self._env[key[4:]] = value.strip()
            return
        if line == "HANGUP":
            self.hung_up = True
            return
        if self._usage is not None:
            # Inside a "520-" usage block; its last line is "520 End of proper usage."
            self._usage.append(line)
            if line.startswith("520 "):
                self.responses.append(AgiResponse(code=520, raw="\n".join(self._usage)))
                self._usage = None
            return
        if line.startswith("520-"):
            self._usage = [line]
            return
        if line:
            self.responses.append(parse_response(line))


def quote(arg: str) -> str:
    """An AGI argument: double-quoted, inner quotes and backslashes escaped, one line."""
    text = str(arg).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{text}"'


def encode_command(*words: str | int) -> bytes:
    """``encode_command("SET VARIABLE", "X", "a b")`` -> ``SET VARIABLE "X" "a b"\\n``.

    The first word is the verb, sent bare; the rest are quoted arguments.
    """
    verb, *args = words
    return (" ".join([str(verb), *(quote(str(a)) for a in args)]) + "\n").encode()
