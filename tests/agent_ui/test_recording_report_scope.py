"""A team leader plays the recordings of the calls their 通话明细 lists, linked to an order or not
(the report offered 播放 and the file answered 403 "该数据不在您的管辖范围内" for every call not
yet on an order, QA F9); a call outside their call scope is neither listed (so not linked) nor
playable. The report's links (page and CSV) and the recording check are one rule."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from cti.call_events import CallEnded
from recordings import RecordingStore
from tests.agent_ui.conftest import PASSWORD, login
from tests.agent_ui.test_reports import PERIOD, csv_rows, t
from tests.recordings.conftest import write_wav
from ticketing import users
from ticketing.calls import CallLinker
from ticketing.models import Site


async def _answered(world, store: RecordingStore, call_id: str, agent_id: str, at: str) -> None:
    write_wav(store.host_path(store.asterisk_path("recording", call_id)))
    await CallLinker(world.services.sessionmaker).handle(
        CallEnded(
            call_id=call_id,
            direction="inbound",
            outcome="answered",
            caller="13800001111",
            agent_id=agent_id,
            started_at=t(at),
            answered_at=t(at) + 5,
            ended_at=t(at) + 65,
            recording=store.asterisk_path("recording", call_id),
        )
    )


@pytest.fixture
async def calls(world, store):
    """An HQ agent's call and a 海淀 agent's call, both recorded, neither on an order; 4001 is
    海淀's team leader."""
    async with world.services.sessionmaker.begin() as db:
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        for staff_no, name, roles in (("4001", "海淀班长", ["team_leader"]), ("4002", "海淀坐席", ["agent"])):
            await users.create_user(
                db, staff_no, name, PASSWORD, roles=roles, site_id=hd.id, must_change_password=False
            )
    await _answered(world, store, "c-hq.1", "1001", "08:10:00")
    await _answered(world, store, "c-hd.2", "4002", "08:20:00")


async def _report_links(client) -> list[str]:
    data = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    at = [c["key"] for c in data["columns"]].index("recording")
    page = [row[at] for row in data["rows"]]
    export = await client.get("/api/reports/calls/export", params={**PERIOD, "format": "csv"})
    rows = csv_rows(await export.read())
    at = rows[0].index("录音")
    assert [urlsplit(row[at]).path for row in rows[1:]] == page  # the same links, written whole
    return page


async def test_a_team_leader_plays_every_recording_their_report_links(calls, client):
    await login(client, "3001")  # HQ's team leader: every site's calls
    links = await _report_links(client)
    # newest call first (通话明细's order): 海淀's 08:20 call, then HQ's 08:10 call
    assert links == ["/recordings/recording/c-hd.2/play", "/recordings/recording/c-hq.1/play"]
    for link in links:
        resp = await client.get(link)
        assert resp.status == 200 and resp.content_type.startswith("audio/"), link


async def test_a_call_outside_the_leaders_scope_is_neither_linked_nor_played(calls, client):
    await login(client, "4001")  # 海淀's team leader
    assert await _report_links(client) == ["/recordings/recording/c-hd.2/play"]
    assert (await client.get("/recordings/recording/c-hd.2/play")).status == 200
    refused = await client.get("/recordings/recording/c-hq.1/play", headers={"Accept": "application/json"})
    assert (refused.status, (await refused.json())["error_id"]) == (403, "scope.forbidden")
    # an agent with no report is not helped by the rule: not their call, not on their order
    await login(client, "1001")
    assert (await client.get("/recordings/recording/c-hq.1/play")).status == 200  # theirs
    assert (await client.get("/recordings/recording/c-hd.2/play")).status == 403
