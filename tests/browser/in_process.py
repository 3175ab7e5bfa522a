"""The console in-process, on a database a story seeds itself: no Asterisk, no ``hotline serve``.

``InProcessConsole`` runs the app on its own event loop in a thread (Playwright's sync API owns
the test's); ``seeded_console`` seeds a SQLite database with the story's own coroutine first
(beside Playwright's loop), starts the console on it, and stops it after::

    @pytest.fixture
    def users_console(tmp_path):
        with seeded_console(tmp_path / "users.db", _seed) as server:
            yield server

A seed that fails (or takes over 300 s) fails the fixture, not the story after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.browser.conftest import _free_port, in_a_thread

#: seeding a demo database costs seconds; on a busy machine, more
SEED_SECONDS = 300


class InProcessConsole:
    """The console app on its own event loop in a thread (Playwright's sync API owns the test's)."""

    def __init__(self, url: str) -> None:
        self.url_db = url
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.engine = None
        #: what the seed coroutine returned (``seeded_console``), for the stories that need it
        self.seeded: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def folder(self) -> Path:
        """The folder of the console's SQLite file (the story's tmp_path)."""
        return Path(self.url_db.removeprefix("sqlite+aiosqlite:///")).parent

    def recordings(self) -> Any | None:
        """The recording store the console serves files from (``AppServices.recordings``): none
        here. A story that plays recordings gives one in its subclass: the app adds its media
        routes only when it is created with a store, so setting it after ``_start`` is too late."""
        return None

    async def _start(self) -> None:
        from agent_ui import AppServices, create_app
        from cti.bus import InProcessBus
        from ticketing.db import create_engine, sessionmaker

        self.engine = create_engine(self.url_db)
        services = AppServices(
            bus=InProcessBus(),
            sessionmaker=sessionmaker(self.engine),
            secret_key="story",
            cookie_secure=False,
            recordings=self.recordings(),
        )
        self.runner = web.AppRunner(create_app(services), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.engine.dispose()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def sqlite_url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


@contextlib.contextmanager
def seeded_console(
    db: Path,
    seed: Callable[..., Coroutine[Any, Any, Any]],
    *args: Any,
    console: type[InProcessConsole] = InProcessConsole,
) -> Iterator[InProcessConsole]:
    """``console`` (an ``InProcessConsole`` or a subclass) started on the SQLite file ``db``, once
    ``seed(url, *args)`` has run (its result in ``server.seeded``); stopped when the block ends."""
    url = sqlite_url(db)
    seeded = in_a_thread(seed(url, *args), timeout=SEED_SECONDS)
    server = console(url)
    server.seeded = seeded
    server.start()
    try:
        yield server
    finally:
        server.stop()
