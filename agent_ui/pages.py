"""Server-rendered pages; their data comes from the JSON API and the websocket."""

from __future__ import annotations

from aiohttp import web

from agent_ui import supervision
from agent_ui.auth import current_user
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from cti.queues import SERVICE_LEVEL_SECONDS, SHORT_ABANDON_SECONDS

routes = web.RouteTableDef()


@routes.get("/")
@requires("session")
async def home(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if not user.can("seat.use"):
        raise web.HTTPSeeOther("/lists/mine")
    return await request.app[TEMPLATES].response(request, "console.html")


@routes.get("/wallboard")
@requires("wallboard.view")
async def wallboard(request: web.Request) -> web.StreamResponse:
    """The supervisors' wallboard: seat map, queue board, listen / whisper / barge (supervisors
    and admins: ``calls.supervise``), and the seat actions 置忙 / 强制下班 / 结束话后处理 on the
    seats the viewer may force (a team leader's team)."""
    # the service level's tooltip names the bridge's own thresholds, which the level is computed with
    thresholds = {
        "sl_seconds": f"{SERVICE_LEVEL_SECONDS:g}",
        "short_abandon_seconds": f"{SHORT_ABANDON_SECONDS:g}",
    }
    user = current_user(request)
    services = request.app[SERVICES]
    scope = await supervision.force_scope(services, user) if user.can("seats.force") else []
    forcing = {
        # no reason to pick for a team leader without a team: no seat has the actions
        "force_reasons": supervision.pause_reasons(services) if scope is None or scope else (),
        # the 工号 whose tiles get the actions: "*" for every seat (the server checks it again)
        "force_scope": "*" if scope is None else " ".join(scope),
    }
    # the seat map's 未签入: whom it expects, those not signed in shown apart with their count
    expected = await supervision.expected_seats(services, user)
    return await request.app[TEMPLATES].response(
        request,
        "wallboard.html",
        {**thresholds, **forcing, "expected": expected, "may_spy": user.can("calls.supervise")},
    )
