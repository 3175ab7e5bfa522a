"""Serving recordings, voicemail and faxes over HTTP with byte ranges.

Browsers' ``<audio>`` elements seek with ``Range`` requests; aiohttp's
``FileResponse`` already answers them correctly (206 with ``Content-Range``,
416 with ``bytes */size`` for an unsatisfiable range, ``If-Range``, sendfile),
so ``serve_file`` wraps it with the checks that matter here: the file must be
inside the store's directories and exist, and it is never cached by proxies.

``recording_routes(store, cache_dir)`` is the route table agent_ui mounts (behind
its own authentication and data-scope checks): the stored file, a playable
version, waveform peaks and a fax's PDF.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from pathlib import Path

from aiohttp import web

from recordings.audio import ConversionError, duration, peaks, playable
from recordings.fax import FaxConversionError, tiff_to_pdf
from recordings.store import RecordingStore, ServerStores, ServerUnreachable, UnsafePath

CONTENT_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".gsm": "audio/x-gsm",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".pdf": "application/pdf",
}


def _error(status: type[web.HTTPException], error_id: str, message: str, **details: str) -> web.HTTPException:
    body = {"error_id": error_id, "message": message, **({"details": details} if details else {})}
    return status(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


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


def recording_routes(
    store: RecordingStore | ServerStores, cache_dir: str | Path | None = None
) -> web.RouteTableDef:
    """The player's endpoints (kind: recording | voicemail | fax; ``?n=1`` picks a call's
    second file, e.g. a per-leg recording or a fault report):

    * ``GET /recordings/{kind}/{call_id}``: the file as stored (ranges);
    * ``GET /recordings/{kind}/{call_id}/play``: a browser-playable version (mp3 with
      ffmpeg, else PCM WAV), converted once into ``cache_dir`` (ranges);
    * ``GET /recordings/{kind}/{call_id}/peaks?buckets=800``: ``{"duration", "peaks"}``;
    * ``GET /recordings/fax/{call_id}/pdf``: the fax as a PDF.

    With several Asterisk servers (``ServerStores``) a call's files are looked for on its own
    server; 503 ``recordings.server_unreachable`` when that server's directories are not here.
    """
    routes = web.RouteTableDef()
    cache = Path(cache_dir) if cache_dir is not None else store.host_path("/var/cache/hotline/recordings")
    base = r"/recordings/{kind:(recording|voicemail|fax)}/{call_id}"

    async def stored(request: web.Request) -> Path:
        kind, call_id = request.match_info["kind"], request.match_info["call_id"]
        try:
            files = await asyncio.to_thread(store.find, call_id, kind)
        except UnsafePath:
            raise _error(web.HTTPBadRequest, "recordings.bad_call_id", "not a call id") from None
        except ServerUnreachable as exc:
            # the call's Asterisk server keeps its files where this process cannot read them
            raise _error(
                web.HTTPServiceUnavailable, "recordings.server_unreachable", str(exc), server=exc.server
            ) from None
        try:
            return files[int(request.query.get("n", "0"))]
        except (ValueError, IndexError):
            raise _error(web.HTTPNotFound, "recordings.not_found", "no such file") from None

    @routes.get(base)
    async def get_file(request: web.Request) -> web.StreamResponse:
        return await serve_file(request, await stored(request))

    @routes.get(base + "/play")
    async def get_playable(request: web.Request) -> web.StreamResponse:
        src = await stored(request)
        try:
            path, kind = await asyncio.to_thread(playable, src, cache / request.match_info["kind"])
        except ConversionError as exc:
            raise _error(
                web.HTTPUnprocessableEntity, exc.error_id, "cannot make this file playable"
            ) from None
        return await serve_file(request, path, kind)

    @routes.get(base + "/peaks")
    async def get_peaks(request: web.Request) -> web.Response:
        src = await stored(request)
        try:
            buckets = min(max(int(request.query.get("buckets", "800")), 1), 10_000)
        except ValueError:
            raise _error(web.HTTPBadRequest, "recordings.bad_buckets", "buckets must be a number") from None
        try:
            values = await asyncio.to_thread(peaks, src, buckets)
            seconds = await asyncio.to_thread(duration, src)
        except ConversionError as exc:
            raise _error(web.HTTPUnprocessableEntity, exc.error_id, "not a PCM WAV file") from None
        return web.json_response({"duration": round(seconds, 3), "peaks": values})

    @routes.get(r"/recordings/{kind:fax}/{call_id}/pdf")
    async def get_fax_pdf(request: web.Request) -> web.StreamResponse:
        src = await stored(request)
        dst = cache / "fax" / f"{src.stem}.pdf"
        if not await asyncio.to_thread(_fresh, dst, src):
            await asyncio.to_thread(dst.parent.mkdir, parents=True, exist_ok=True)
            try:
                await asyncio.to_thread(tiff_to_pdf, src, dst)
            except FaxConversionError as exc:
                raise _error(web.HTTPUnprocessableEntity, exc.error_id, "not a readable fax") from None
        return await serve_file(request, dst)

    return routes


def _fresh(dst: Path, src: Path) -> bool:
    return dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime
