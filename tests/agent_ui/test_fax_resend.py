"""重发 a failed fax from the order's timeline: the same document to the same number as a new
outbox row, the failure kept beside it; only a failed fax, only for those who may send."""

from __future__ import annotations

import asyncio
import functools

from sqlalchemy import select

from cti.fax import FaxOutcome
from recordings import fax_out
from tests.agent_ui.conftest import login
from ticketing.models import Notification
from ticketing.notify import AsteriskFaxGateway, Dispatcher


class DroppedLine:
    """Stands in for cti.fax.FaxSender: every fax drops mid-call, as the QA's did."""

    async def send(self, number: str, tiff: str, fax_id: str, *, pages: int = 1) -> FaxOutcome:
        return FaxOutcome("FAILED", 0, "The call dropped prematurely")


async def test_a_failed_fax_is_sent_again_from_the_order(client, aiohttp_client, world, store):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "电价"}, "submit": False},
        headers=headers,
    )
    order = await resp.json()
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "020-83331234", "subject": "投诉回执", "text": "已受理"},
        headers=headers,
    )
    first = await resp.json()
    assert resp.status == 201, first
    early = await client.post(f"/api/faxes/{first['id']}/resend", headers=headers)
    assert early.status == 409 and (await early.json())["error_id"] == "fax.not_failed"

    gateway = AsteriskFaxGateway(DroppedLine(), functools.partial(fax_out.document_paths, store))
    await Dispatcher(world.services.sessionmaker, fax=gateway).deliver_pending()
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [failed] = [e for e in view["timeline"] if e["kind"] == "fax"]
    assert failed["state"] == "failed" and failed["failure"] == "dropped"
    assert failed["notification_id"] == first["id"]

    # a handler (no knowledge.send) may not; the agent may
    handler = await aiohttp_client(client.server)
    refused = await handler.post(
        f"/api/faxes/{first['id']}/resend", headers={"X-CSRF-Token": await login(handler, "2001")}
    )
    assert refused.status == 403
    resp = await client.post(f"/api/faxes/{first['id']}/resend", headers=headers)
    again = await resp.json()
    assert resp.status == 201, again
    assert again["id"] != first["id"] and again["recipient"] == "02083331234" and again["state"] == "pending"

    async with world.services.sessionmaker() as db:
        old, new = await db.get(Notification, first["id"]), await db.get(Notification, again["id"])
    same = [fax_out.document_paths(store, r.id, r.created_at)[1].read_bytes() for r in (old, new)]
    assert same[0] == same[1] and new.pages == old.pages and new.subject == "投诉回执"
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert [e["state"] for e in view["timeline"] if e["kind"] == "fax"] == ["failed", "pending"]


async def _failed_fax(client, world, store, headers) -> tuple[dict, dict]:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "电价"}, "submit": False},
        headers=headers,
    )
    order = await resp.json()
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "020-83331234", "subject": "投诉回执", "text": "已受理"},
        headers=headers,
    )
    first = await resp.json()
    gateway = AsteriskFaxGateway(DroppedLine(), functools.partial(fax_out.document_paths, store))
    await Dispatcher(world.services.sessionmaker, fax=gateway).deliver_pending()
    return order, first


async def test_a_failed_fax_is_sent_again_once(client, aiohttp_client, world, store):
    """A double click, or two agents on the same order: one new copy, the other press refused
    (and nothing of it left behind: no outbox row, no document)."""
    headers = {"X-CSRF-Token": await login(client, "1001")}
    order, first = await _failed_fax(client, world, store, headers)
    other = await aiohttp_client(client.server)
    other_headers = {"X-CSRF-Token": await login(other, "3001")}

    presses = await asyncio.gather(
        client.post(f"/api/faxes/{first['id']}/resend", headers=headers),
        other.post(f"/api/faxes/{first['id']}/resend", headers=other_headers),
    )
    answers = sorted([(r.status, await r.json()) for r in presses], key=lambda a: a[0])
    assert [status for status, _ in answers] == [201, 409], answers
    again, refused = answers[0][1], answers[1][1]
    assert refused["error_id"] == "fax.already_resent"

    late = await client.post(f"/api/faxes/{first['id']}/resend", headers=headers)
    assert late.status == 409 and (await late.json())["error_id"] == "fax.already_resent"

    async with world.services.sessionmaker() as db:
        faxes = list(await db.scalars(select(Notification).where(Notification.channel == "fax")))
    assert sorted(r.id for r in faxes) == [first["id"], again["id"]]
    assert next(r for r in faxes if r.id == first["id"]).resent_as == again["id"]
    kept = sorted(p.name for p in store.kind_dir("fax_out").rglob("*") if p.is_file())
    assert len(kept) == 2 and not any(name.startswith("new-") for name in kept), kept

    # the timeline offers 重发 on the resent row no more; the copy, failing too, has its own
    await Dispatcher(
        world.services.sessionmaker,
        fax=AsteriskFaxGateway(DroppedLine(), functools.partial(fax_out.document_paths, store)),
    ).deliver_pending()
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    faxed = [
        (e["notification_id"], e["state"], e["resent_as"]) for e in view["timeline"] if e["kind"] == "fax"
    ]
    assert faxed == [(first["id"], "failed", again["id"]), (again["id"], "failed", None)]
    resp = await other.post(f"/api/faxes/{again['id']}/resend", headers=other_headers)
    assert resp.status == 201, await resp.json()
