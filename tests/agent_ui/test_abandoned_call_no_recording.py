"""A call given up in the queue offers no 播放 (QA F10): its MixMonitor file is a 44-byte WAV
header (0 s, the player showed NaN). The 通话明细 page and its CSV leave the cell empty, and the
file's address answers 404 to the supervisor who may open any recording."""

from __future__ import annotations

from cti.call_events import CallEnded
from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import PERIOD, csv_rows, t
from tests.recordings.conftest import write_wav
from ticketing.calls import CallLinker

CALL_ID = "1795813058.15"


async def test_a_call_given_up_in_the_queue_has_no_recording_link(world, store, client):
    write_wav(store.host_path(store.asterisk_path("recording", CALL_ID)), seconds=0)  # the header only
    await CallLinker(world.services.sessionmaker).handle(
        CallEnded(
            call_id=CALL_ID,
            direction="inbound",
            outcome="abandoned_queue",
            caller="13000000410",
            queue="complaint",
            started_at=t("08:20:00"),
            queued_at=t("08:20:00"),
            ended_at=t("08:20:40"),
            recording=store.asterisk_path("recording", CALL_ID),
        )
    )
    await login(client, "9001")
    data = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    row = dict(zip([c["key"] for c in data["columns"]], data["rows"][0], strict=True))
    assert (row["outcome"], row["recording"]) == ("排队中放弃", "")
    export = await client.get("/api/reports/calls/export", params={**PERIOD, "format": "csv"})
    rows = csv_rows(await export.read())
    assert rows[1][rows[0].index("录音")] == ""
    for suffix in ("", "/play", "/peaks"):
        resp = await client.get(f"/recordings/recording/{CALL_ID}{suffix}")
        assert resp.status == 404, suffix
