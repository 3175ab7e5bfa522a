"""One FastAGI connection: moves bytes between the socket and ``AgiParser``.

``AgiSession`` offers the AGI commands the IVR needs as coroutines. Every
command waits for its one response; a hang-up (``HANGUP`` line, ``511``, or a
``-1`` result on a media command) raises ``AgiHangup`` so scripts unwind at
once instead of talking to a dead channel.
"""

from __future__ import annotations

import asyncio
import logging

from ivr.agi import AgiError, AgiHangup, AgiParser, AgiResponse, encode_command

log = logging.getLogger(__name__)

DIGITS = "0123456789*#"


class AgiSession:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command_timeout: float = 120.0
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._parser = AgiParser()
        self.command_timeout = command_timeout
        self.env: dict[str, str] = {}

    async def start(self) -> dict[str, str]:
        """Read the agi_* environment Asterisk sends first."""
        while self._parser.environment is None:
            chunk = await self._reader.read(4096)
            if not chunk:
                raise AgiHangup("connection closed before the AGI environment")
            self._parser.feed(chunk)
        self.env = self._parser.environment
        return self.env

    @property
    def script(self) -> str:
        """The script name from agi://host:port/<script>?args (agi_network_script)."""
        return self.env.get("network_script", "").split("?", 1)[0].strip("/")

    @property
    def hung_up(self) -> bool:
        return self._parser.hung_up

    async def command(
        self, *words: str | int, media: bool = False, limit: float | None = None
    ) -> AgiResponse:
        """Send one command and wait for its response.

        ``media`` commands (playback, digits, record) report a hang-up as result -1.
        """
        self._writer.write(encode_command(*words))
        await self._writer.drain()
        async with asyncio.timeout(limit or self.command_timeout):
            response = await self._next_response()
        if response.code == 511:
            raise AgiHangup(response.raw)
        if response.code != 200:
            raise AgiError(response, str(words[0]))
        if media and response.result_int == -1:
            raise AgiHangup(f"{words[0]}: channel hung up")
        return response

    async def _next_response(self) -> AgiResponse:
        while not self._parser.responses:
            chunk = await self._reader.read(4096)
            if not chunk:
                raise AgiHangup("AGI connection closed")
            self._parser.feed(chunk)
        return self._parser.responses.popleft()

    # -- the commands the IVR uses -------------------------------------------------

    async def set_variable(self, name: str, value: str | int) -> None:
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str:
        """A variable or dialplan expression (``${CHANNEL(linkedid)}``); '' when unset."""
        response = await self.command("GET FULL VARIABLE", name if name.startswith("$") else f"${{{name}}}")
        return response.data if response.result == "1" else ""

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        """Play a sound; returns the digit that interrupted it, or ''."""
        response = await self.command("STREAM FILE", name, escape_digits, media=True)
        return response.digit

    async def wait_for_digit(self, timeout_ms: int) -> str:
        response = await self.command("WAIT FOR DIGIT", timeout_ms, media=True)
        return response.digit

    async def get_data(self, sound: str, timeout_ms: int, max_digits: int) -> tuple[str, bool]:
        """Play ``sound`` and collect up to ``max_digits`` (# ends early).

        Returns the digits and whether the caller stopped keying before # or the
        last digit (Asterisk's "(timeout)"): then the digits may be half a number.
        """
        response = await self.command("GET DATA", sound, timeout_ms, max_digits, media=True)
        digits = response.result if response.result not in ("-1", "") else ""
        return digits, response.data == "timeout"

    async def say_digits(self, digits: str, escape_digits: str = "") -> str:
        response = await self.command("SAY DIGITS", digits, escape_digits, media=True)
        return response.digit

    async def say_number(self, number: int, escape_digits: str = "") -> str:
        response = await self.command("SAY NUMBER", number, escape_digits, media=True)
        return response.digit

    async def say_datetime(
        self, epoch: int, fmt: str = "ABdY 'digits/at' IMp", tz: str = "Asia/Shanghai"
    ) -> str:
        response = await self.command("SAY DATETIME", epoch, "", fmt, tz, media=True)
        return response.digit

    async def exec(self, application: str, args: str = "", limit: float | None = None) -> AgiResponse:
        """Run a dialplan application; ``limit`` for long ones (Record) beyond ``command_timeout``."""
        return await self.command("EXEC", application, args, limit=limit)

    async def user_event(self, name: str, **fields: str) -> None:
        # UserEvent(name,Key: value,...): commas separate the fields, so keep them out of values.
        body = ",".join(f"{k}: {str(v).replace(',', ' ')}" for k, v in fields.items())
        await self.exec("UserEvent", f"{name},{body}" if body else name)

    async def hangup(self) -> None:
        await self.command("HANGUP")

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass
