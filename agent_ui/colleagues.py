"""The colleagues a seat can bring into a call (三方通话, 转接 / 咨询转接 to a 工号): the signed-in
seats other than the user's own, each with its live state and the name behind the 工号, 就绪 first.
A plain agent's snapshot carries no other seat (only a team leader's and up do), so the dialogs
ask for this list when they open and again while they stay open."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.roles import requires
from agent_ui.services import SERVICES
from agent_ui.snapshot import _bridge_list
from ticketing.users import names_by_staff_no

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: the order the dialogs list the seats in: who can take a colleague now first
STATE_ORDER = ("ready", "after_call_work", "not_ready", "paused", "ringing", "talking", "on_hold")


def colleagues_of(agents: list[dict[str, Any]], own: str) -> list[dict[str, Any]]:
    """The signed-in seats of ``agents`` but ``own``, 就绪 first, then by state and 工号."""
    listed = []
    for a in agents:
        agent_id = str(a.get("agent_id") or "")
        state = str(a.get("state") or "logged_out")
        if not agent_id or agent_id == own or state == "logged_out":
            continue
        listed.append({"agent_id": agent_id, "state": state, "reason": str(a.get("reason") or "")})
    rank = {s: n for n, s in enumerate(STATE_ORDER)}
    listed.sort(key=lambda a: (rank.get(a["state"], len(STATE_ORDER)), a["agent_id"]))
    return listed


@routes.get("/api/colleagues")
@requires("call.control")
async def colleagues(request: web.Request) -> web.Response:
    """The other signed-in seats, 就绪 first: ``{"items": [{agent_id, name, state, reason}]}``."""
    services = request.app[SERVICES]
    user = current_user(request)
    items = colleagues_of(_bridge_list(services.bridge, "agents"), user.agent_id)
    names: dict[str, str] = {}
    if items:
        try:
            async with services.sessionmaker() as db:
                names = await names_by_staff_no(db, (a["agent_id"] for a in items))
        except Exception:
            log.exception("the colleagues' names failed")  # the list still shows the 工号
    return web.json_response({"items": [{**a, "name": names.get(a["agent_id"], "")} for a in items]})
