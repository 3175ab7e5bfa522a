"""A WAV of its header alone (a call given up in the queue: MixMonitor never heard a sample) is no
recording: the store does not find it, so the player's routes answer 404 instead of serving a
0-second file the browser plays as NaN (QA F10); it stays on disk for retention, with its day."""

from __future__ import annotations

import pytest
from aiohttp import web

from recordings import RecordingStore, purge, recording_routes
from tests.recordings.conftest import write_wav


def _header_only(store: RecordingStore, call_id: str) -> None:
    path = write_wav(store.host_path(store.asterisk_path("recording", call_id)), seconds=0)
    assert path.stat().st_size == 44


@pytest.fixture
def store(tmp_path) -> RecordingStore:
    store = RecordingStore(tmp_path / "root")
    _header_only(store, "1795813058.15")
    write_wav(store.host_path(store.asterisk_path("recording", "1795813023.1")))
    return store


async def test_a_header_only_recording_is_not_there_to_play_but_kept_for_retention(
    aiohttp_client, tmp_path, store
):
    assert store.find("1795813058.15") == []
    assert len(store.find("1795813023.1")) == 1
    app = web.Application()
    app.router.add_routes(recording_routes(store, tmp_path / "cache"))
    client = await aiohttp_client(app)
    for suffix in ("", "/play", "/peaks"):
        empty = await client.get(f"/recordings/recording/1795813058.15{suffix}")
        assert empty.status == 404 and (await empty.json())["error_id"] == "recordings.not_found", suffix
        assert (await client.get(f"/recordings/recording/1795813023.1{suffix}")).status == 200, suffix
    # still on disk, for retention to delete with its day
    assert {f.call_id for f in store.files("recording")} == {"1795813058.15", "1795813023.1"}
    report = purge(store, 1, now=4_000_000_000)
    assert len(report.deleted) == 2 and list(store.files("recording")) == []
