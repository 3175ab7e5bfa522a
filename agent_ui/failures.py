"""The middleware through which every error leaves the app, with its stable id.

JSON callers (``/api/*``, ``Accept: application/json``) get
``{"error_id", "message", "details"}`` with the status from ``errors.STATUS``;
browsers get the same message on a small page. Unexpected exceptions are logged
with their traceback and answered as ``internal``: never swallowed, never a
bare 500 page.
"""

from __future__ import annotations

import logging

from aiohttp import web

from agent_ui.auth import Handler, wants_json
from agent_ui.errors import UiError, details_of, error_body, error_id_of, status_for
from agent_ui.locale import language
from agent_ui.services import TEMPLATES, TEXTS

log = logging.getLogger(__name__)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except UiError as exc:
        return await _respond(request, exc.error_id, exc.details, exc.message)
    except Exception as exc:
        error_id = error_id_of(exc)
        if error_id is None:
            log.exception("unexpected failure on %s %s", request.method, request.path)
            return await _respond(request, "internal", {}, "")
        return await _respond(request, error_id, details_of(exc), str(exc))


async def _respond(request: web.Request, error_id: str, details: dict, fallback: str) -> web.StreamResponse:
    lang = await language(request)
    message = request.app[TEXTS].error(lang, error_id, fallback, details)
    status = status_for(error_id)
    if wants_json(request):
        return web.json_response(error_body(error_id, message, details), status=status)
    # a page or a form post from a page: the message on a page, not raw JSON
    html = await request.app[TEMPLATES].render(
        request, "error.html", {"error_id": error_id, "message": message, "status": status}
    )
    return web.Response(text=html, content_type="text/html", status=status)
