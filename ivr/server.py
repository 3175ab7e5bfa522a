"""The FastAGI server: accepts Asterisk's connections and runs the named script.

The dialplan calls ``AGI(agi://127.0.0.1:4573/route)``; the path after the port
selects the script. A script is ``async def script(session: AgiSession)``.
Whatever a script does, the connection is closed when it returns or fails, and
the dialplan carries on with the variables set so far; it has safe defaults
for everything (``HOTLINE_QUEUE`` = default queue), so a failing script
never drops a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from ivr.agi import AgiError, AgiHangup
from ivr.session import AgiSession

log = logging.getLogger(__name__)

Script = Callable[[AgiSession], Awaitable[None]]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4573


class AgiServer:
    def __init__(
        self, scripts: Mapping[str, Script], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
    ) -> None:
        self.scripts = dict(scripts)
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "FastAGI server on %s:%d (scripts: %s)", self.host, self.port, ", ".join(sorted(self.scripts))
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Sessions end first: from Python 3.12 on, wait_closed() waits for every
        # open connection, and a caller in a menu would hold shutdown forever.
        for task in list(self._sessions):
            task.cancel()
        for task in list(self._sessions):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        session = AgiSession(reader, writer)
        try:
            async with asyncio.timeout(10):
                await session.start()
            script = self.scripts.get(session.script)
            if script is None:
                log.warning(
                    "AGI request for unknown script %r from %s", session.script, session.env.get("channel")
                )
                return
            await script(session)
        except AgiHangup:
            log.debug("AGI channel %s hung up", session.env.get("channel"))
        except (AgiError, TimeoutError, ConnectionError) as exc:
            log.warning("AGI script %r on %s failed: %s", session.script, session.env.get("channel"), exc)
        except Exception:
            log.exception("AGI script %r on %s crashed", session.script, session.env.get("channel"))
        except asyncio.CancelledError:
            # The server is stopping. End the task normally: Python 3.11's stream
            # callback calls task.exception() on it and logs a cancelled task as an error.
            log.debug("AGI session on %s ended by shutdown", session.env.get("channel"))
        finally:
            await session.close()
            if task is not None:
                self._sessions.discard(task)
