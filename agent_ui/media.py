"""Recordings, voicemail and fax files for the order timeline, behind the console's checks.

The files are served by ``recordings.recording_routes`` (byte ranges for the
``<audio>`` player, a playable conversion, fax PDFs). Each of its handlers is
wrapped here: the user must be signed in with ``order.read`` and the call must
be theirs to see: linked to an order inside their data scope, handled by
them, in their inbox, or (a team leader's) one of the calls their reports list.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import or_, select

from agent_ui.auth import current_user
from agent_ui.errors import UiError
from agent_ui.roles import allowed, requires
from agent_ui.services import SERVICES
from agent_ui.work import read_only
from ticketing.call_reports import reports_show
from ticketing.models import Interaction, WorkOrder, order_interactions
from ticketing.users import can_access

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _may_see(request: web.Request, call_id: str) -> None:
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        rows = list(
            await db.scalars(
                select(Interaction).where(
                    or_(
                        Interaction.external_id == call_id,
                        Interaction.payload["call_id"].as_string() == call_id,
                    )
                )
            )
        )
        if not rows:
            raise UiError("not_found")
        if user.has_role("supervisor", "admin"):
            return
        # a team leader reviews the calls their reports list (the call detail's 播放), linked to
        # an order or not: the same call scope as the reports
        if allowed(user.roles, "report.view") and await reports_show(db, user, [r.id for r in rows]):
            return
        for row in rows:
            if row.agent_id == user.staff_no or row.assigned_to_id == user.id:
                return
        order_ids = set(
            await db.scalars(
                select(order_interactions.c.order_id).where(
                    order_interactions.c.interaction_id.in_([r.id for r in rows])
                )
            )
        )
        for order in await db.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids))):
            if await can_access(db, user, order):
                return
    raise UiError("scope.forbidden")


def _navigation(request: web.Request) -> bool:
    """A browser opening the address itself (the fax PDF link's new tab), not a player's or a
    script's request for the file."""
    return request.headers.get("Sec-Fetch-Mode") == "navigate" or (
        "Sec-Fetch-Mode" not in request.headers and "text/html" in request.headers.get("Accept", "")
    )


def _guarded(handler: Handler) -> Handler:
    @requires("order.read")
    async def checked(request: web.Request) -> web.StreamResponse:
        await _may_see(request, request.match_info["call_id"])
        try:
            return await handler(request)
        except web.HTTPException as refused:
            # the store's refusals are JSON for the player and the page's scripts, which say
            # them in the page (找不到该文件…); a tab opened on the file gets the console's error
            # page in the reader's language instead of that JSON
            said = _error_of(refused) if _navigation(request) else None
            if said is None:
                raise
            raise UiError(said.get("error_id", ""), **(said.get("details") or {})) from None

    checked.__name__ = f"media_{handler.__name__}"
    checked.__doc__ = handler.__doc__ or "A recording, voicemail or fax file (byte ranges)"
    return checked


def _error_of(refused: web.HTTPException) -> dict | None:
    """The ``{"error_id", "details"}`` of a refusal ``recordings.http`` made (None: another)."""
    if refused.status < 400 or refused.content_type != "application/json" or not refused.text:
        return None
    try:
        body = json.loads(refused.text)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("error_id"), str) else None


def media_routes(store: object) -> list[web.RouteDef]:
    from recordings import recording_routes

    out = []
    for route in recording_routes(store):  # type: ignore[arg-type]
        if isinstance(route, web.RouteDef):
            out.append(web.RouteDef(route.method, route.path, _guarded(route.handler), route.kwargs))
    return out
