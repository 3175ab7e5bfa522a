"""未分派事件 can be paged and filtered by kind (QA-12): 636 waiting, the first 50 listed and no
way on, so the SMS, e-mail, voicemail and fax behind 600 missed calls could not be opened."""

from __future__ import annotations

from agent_ui.inbox import WAITING_PAGE
from tests.agent_ui.conftest import login
from tests.agent_ui.test_inbox_event_owner import _event, _supervisor


async def test_every_waiting_event_can_be_reached(client, world):
    await _supervisor(world)
    missed = [await _event(world, "missed_call", f"missed-{n}", owner=None) for n in range(WAITING_PAGE + 3)]
    sms = await _event(world, "sms", "sms-late", owner=None)
    await login(client, "4001")

    first = (await (await client.get("/api/inbox")).json())["waiting"]
    assert first["count"] == first["matched"] == WAITING_PAGE + 4
    assert first["by_kind"] == {"missed_call": WAITING_PAGE + 3, "sms": 1}
    assert [e["id"] for e in first["items"]] == missed[:WAITING_PAGE]  # oldest first
    assert (first["offset"], first["limit"]) == (0, WAITING_PAGE)

    rest = (await (await client.get(f"/api/inbox?waiting_offset={WAITING_PAGE}")).json())["waiting"]
    assert [e["id"] for e in rest["items"]] == [*missed[WAITING_PAGE:], sms]

    only = (await (await client.get("/api/inbox?waiting_kind=sms")).json())["waiting"]
    assert [e["id"] for e in only["items"]] == [sms]
    assert (only["matched"], only["count"], only["kind"]) == (1, WAITING_PAGE + 4, "sms")


async def test_a_bad_filter_is_refused(client, world):
    await _supervisor(world)
    await login(client, "4001")
    for query in ("waiting_kind=call", "waiting_offset=-1", "waiting_offset=x"):
        resp = await client.get(f"/api/inbox?{query}")
        assert resp.status == 400 and (await resp.json())["error_id"] == "request.invalid", query
