"""Which site each 工号 is at, for routing seats to Asterisk servers by site.

With ``asterisk_servers`` naming ``sites`` (a server per site, say), a web process routes
an agent's commands to the server of their user's site, or of the nearest site above it
(``Settings.server_of``). ``SeatSites`` reads every user's site and the sites above it from
the database when the process starts and again every ``refresh`` seconds: a user an admin
moves to another site (单位管理 / 账号管理) is routed by it from the next read on. Move a
seat while it is signed out: a seat signed in on one server is not signed out of it by
its user moving.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from ticketing.models import Site, User

log = logging.getLogger(__name__)


class SeatSites:
    def __init__(self, sessions, *, refresh: float = 60.0) -> None:
        self.sessions = sessions
        self.refresh = refresh
        self._sites: dict[str, tuple[str, ...]] = {}

    def sites_of(self, agent_id: str) -> tuple[str, ...]:
        """The codes of the agent's site and of the sites above it, nearest first."""
        return self._sites.get(agent_id, ())

    async def load(self) -> None:
        async with self.sessions() as session:
            codes = {site_id: code for site_id, code in await session.execute(select(Site.id, Site.code))}
            rows = await session.execute(
                select(User.staff_no, Site.path)
                .join(Site, User.site_id == Site.id)
                .where(User.active.is_(True))
            )
            sites = {}
            for staff_no, path in rows:
                ids = [int(part) for part in (path or "").split("/") if part.isdigit()]
                sites[staff_no] = tuple(codes[i] for i in reversed(ids) if i in codes)
        self._sites = sites

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh)
            try:
                await self.load()
            except Exception:  # the database away for a moment: the last read stands
                log.exception("reading the users' sites for routing seats to Asterisk servers failed")
