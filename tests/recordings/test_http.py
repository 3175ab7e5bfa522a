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
    app.router.add_routes(recording_routes(RecordingStore(tmp_path)))
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
