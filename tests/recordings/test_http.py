"""Serving files with HTTP ranges (the player seeks with Range requests)."""

from __future__ import annotations

import pytest
from aiohttp import web

from recordings import RecordingStore, recording_routes, serve_file

BODY = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    path = tmp_path / "var/spool/asterisk/monitor/hotline/20261125/17.5.wav"
    path.parent.mkdir(parents=True)
    path.write_bytes(BODY)
    app = web.Application()

    async def direct(request):
        return await serve_file(request, path)

    async def missing(request):
        return await serve_file(request, tmp_path / "nope.wav")

    app.router.add_get("/direct", direct)
    app.router.add_get("/missing", missing)
    app.router.add_routes(recording_routes(RecordingStore(tmp_path), tmp_path / "cache"))
    return await aiohttp_client(app)


async def test_whole_file(client):
    resp = await client.get("/direct")
    assert resp.status == 200 and await resp.read() == BODY
    assert resp.headers["Accept-Ranges"] == "bytes" and resp.headers["Content-Type"] == "audio/wav"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 10239),
        ("bytes=-500", 9740, 10239),
        ("bytes=10000-99999", 10000, 10239),
    ],
)
async def test_ranges_are_206_with_content_range(client, header, start, end):
    resp = await client.get("/direct", headers={"Range": header})
    assert resp.status == 206
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/10240"
    assert await resp.read() == BODY[start : end + 1]
    assert int(resp.headers["Content-Length"]) == end - start + 1


async def test_unsatisfiable_range_is_416(client):
    resp = await client.get("/direct", headers={"Range": "bytes=20000-"})
    assert resp.status == 416
    assert resp.headers["Content-Range"] == "bytes */10240"


async def test_missing_file_is_404_with_an_error_id(client):
    resp = await client.get("/missing")
    assert resp.status == 404 and (await resp.json())["error_id"] == "recordings.not_found"


async def test_route_table_by_kind_and_call_id(client):
    resp = await client.get("/recordings/recording/17.5", headers={"Range": "bytes=10-19"})
    assert resp.status == 206 and await resp.read() == BODY[10:20]
    assert (await client.get("/recordings/recording/99.9")).status == 404
    assert (await client.get("/recordings/recording/17.5?n=1")).status == 404
    assert (await client.get("/recordings/fax/17.5")).status == 404
    assert (await client.get("/recordings/other/17.5")).status == 404
    assert (await client.get("/recordings/recording/..%2F..")).status in (400, 404)


@pytest.fixture
async def media_client(aiohttp_client, tmp_path):
    from PIL import Image

    from .conftest import write_wav

    write_wav(tmp_path / "var/spool/asterisk/monitor/hotline/20261125/18.1.wav", seconds=2.0, amplitude=0.6)
    fax = tmp_path / "var/spool/asterisk/fax/hotline/20261125/18.2.tif"
    fax.parent.mkdir(parents=True)
    pages = [Image.new("1", (1728, 1143), 1) for _ in range(2)]
    pages[0].save(fax, save_all=True, append_images=pages[1:], compression="group4", dpi=(204, 98))
    bad = tmp_path / "var/spool/asterisk/monitor/hotline/20261125/18.3.wav"
    bad.write_bytes(b"not audio")
    app = web.Application()
    app.router.add_routes(recording_routes(RecordingStore(tmp_path), tmp_path / "cache"))
    return await aiohttp_client(app)


async def test_peaks_endpoint(media_client):
    resp = await media_client.get("/recordings/recording/18.1/peaks?buckets=40")
    body = await resp.json()
    assert resp.status == 200 and body["duration"] == 2.0 and len(body["peaks"]) == 40
    assert all(0.55 < p < 0.61 for p in body["peaks"])
    assert (await media_client.get("/recordings/recording/18.1/peaks?buckets=x")).status == 400
    bad = await media_client.get("/recordings/recording/18.3/peaks")
    assert bad.status == 422 and (await bad.json())["error_id"] == "recordings.not_pcm_wav"


async def test_play_endpoint_serves_a_playable_version_with_ranges(media_client):
    resp = await media_client.get("/recordings/recording/18.1/play")
    assert resp.status == 200 and resp.headers["Content-Type"] in ("audio/mpeg", "audio/wav")
    whole = await resp.read()
    part = await media_client.get("/recordings/recording/18.1/play", headers={"Range": "bytes=0-9"})
    assert part.status == 206 and await part.read() == whole[:10]


async def test_fax_pdf_endpoint(media_client):
    resp = await media_client.get("/recordings/fax/18.2/pdf")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert (await resp.read()).startswith(b"%PDF")
    assert (await media_client.get("/recordings/recording/18.1/pdf")).status == 404
