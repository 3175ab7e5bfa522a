"""Serving recordings, voicemail and faxes over HTTP with byte ranges.

Browsers' ``<audio>`` elements seek with ``Range`` requests; aiohttp's
``FileResponse`` already answers them correctly (206 with ``Content-Range``,
416 with ``bytes */size`` for an unsatisfiable range, ``If-Range``, sendfile),
so ``serve_file`` wraps it with the checks that matter here: the file must be
inside the store's directories and exist, and it is never cached by proxies.

``recording_routes(store)`` is the route table agent_ui mounts (behind its own
authentication and data-scope checks).
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path

from aiohttp import web

from recordings.store import RecordingStore, UnsafePath

CONTENT_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".gsm": "audio/x-gsm",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".pdf": "application/pdf",
}


def _error(status: type[web.HTTPException], error_id: str, message: str) -> web.HTTPException:
    return status(
        text=f'{{"error_id": "{error_id}", "message": "{message}"}}', content_type="application/json"
    )


async def serve_file(
    request: web.Request, path: str | Path, content_type: str | None = None
) -> web.StreamResponse:
    """Stream ``path`` (a host path) answering ``Range`` requests; 404 if it is missing."""
    path = Path(path)
    if not await asyncio.to_thread(path.is_file):
        raise _error(web.HTTPNotFound, "recordings.not_found", "no such file")
    kind = content_type or CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    response = web.FileResponse(path, headers={"Cache-Control": "private, max-age=0"})
    response.content_type = kind or "application/octet-stream"
    response.headers["Accept-Ranges"] = "bytes"
    return response


def recording_routes(store: RecordingStore) -> web.RouteTableDef:
    """``GET /recordings/{kind}/{call_id}`` (kind: recording | voicemail | fax), ``?n=1`` for the
    call's second file (per-leg recordings, fault reports)."""
    routes = web.RouteTableDef()

    @routes.get(r"/recordings/{kind:(recording|voicemail|fax)}/{call_id}")
    async def get_recording(request: web.Request) -> web.StreamResponse:
        kind, call_id = request.match_info["kind"], request.match_info["call_id"]
        try:
            files = await asyncio.to_thread(store.find, call_id, kind)
        except UnsafePath:
            raise _error(web.HTTPBadRequest, "recordings.bad_call_id", "not a call id") from None
        try:
            index = int(request.query.get("n", "0"))
            path = files[index]
        except (ValueError, IndexError):
            raise _error(web.HTTPNotFound, "recordings.not_found", "no such file") from None
        return await serve_file(request, path)

    return routes
