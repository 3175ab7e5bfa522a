"""POST /api/sms/inbound: a customer's SMS from the gateway reaches an agent's inbox.

Signed with the shared secret (HMAC-SHA256 of the body), idempotent on the gateway's message
id, bad bodies refused with a 4xx that says why and store nothing; the worker's intake
assigns the stored event (``ticketing.inbound.InboundAssigner``)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from agent_ui import create_app
from cti.call_events import AgentStateChanged
from ticketing.inbound import InboundAssigner, sms_signature
from ticketing.intake import Intake
from ticketing.models import Customer, CustomerPhone, Interaction, Site, User

SECRET = "gateway-shared-secret-for-tests"


def _signed(body: dict | bytes, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json", "X-Hotline-Signature": sms_signature(secret, raw)}


def _sms(message_id: str = "gw-0001", sender: str = "13100000481") -> dict:
    return {
        "message_id": message_id,
        "from": sender,
        "to": "95598",
        "text": "家里停电了，请尽快来人",
        "received_at": "2026-11-28T10:00:00+08:00",
    }


async def _count(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(Interaction).where(Interaction.kind == "sms"))


@pytest.fixture
async def gateway(aiohttp_client, world):
    """The console with the secret configured, and a worker's intake: 1001 signed in and ready."""
    world.services.sms_inbound_secret = SECRET
    async with world.services.sessionmaker.begin() as db:
        (await db.get(User, world.people["1001"])).skills = {"service": 0}
    intake = Intake()
    await intake.on_agent_state(
        AgentStateChanged(agent_id="1001", state="ready", previous="logged_out", seconds_in_previous=0)
    )
    assigner = InboundAssigner(world.services.sessionmaker, intake, world.bus)
    assigner.subscribe(world.bus)
    yield await aiohttp_client(create_app(world.services))
    await assigner.close()


async def test_no_secret_configured_refuses_every_inbound_sms(aiohttp_client, world):
    client = await aiohttp_client(create_app(world.services))
    raw, headers = _signed(_sms(), secret="")
    resp = await client.post("/api/sms/inbound", data=raw, headers=headers)
    assert resp.status == 403
    assert (await resp.json())["error_id"] == "sms.inbound_off"
    assert await _count(world) == 0


async def test_a_missing_or_wrong_signature_is_refused(gateway, world):
    raw, _ = _signed(_sms())
    resp = await gateway.post("/api/sms/inbound", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 401
    _, wrong = _signed(_sms(), secret="not-the-secret")
    assert (await gateway.post("/api/sms/inbound", data=raw, headers=wrong)).status == 401
    # signed for another body: the text changed on the way
    _, other = _signed(_sms(message_id="gw-other"))
    assert (await gateway.post("/api/sms/inbound", data=raw, headers=other)).status == 401
    assert await _count(world) == 0


@pytest.mark.parametrize(
    "body, status, field",
    [
        (b"not json", 400, None),
        (b"[1, 2]", 400, "body"),
        ({"from": "13100000481", "text": "hi"}, 422, "message_id"),
        ({"message_id": "gw-9", "text": "hi"}, 422, "from"),
        ({"message_id": "gw-9", "from": "13100000481"}, 422, "text"),
        ({"message_id": "gw-9", "from": "13100000481", "text": "x" * 2001}, 422, "text"),
        (
            {"message_id": "gw-9", "from": "13100000481", "text": "hi", "received_at": "yesterday"},
            422,
            "received_at",
        ),
    ],
)
async def test_a_bad_body_is_refused_with_a_reason_and_stores_nothing(gateway, world, body, status, field):
    raw, headers = _signed(body)
    resp = await gateway.post("/api/sms/inbound", data=raw, headers=headers)
    assert resp.status == status
    answer = await resp.json()
    assert answer["error_id"] == "sms.bad_body" and answer["message"]
    if field:
        assert answer["field"] == field
    assert await _count(world) == 0
    # and the same message, corrected, is taken afterwards
    raw, headers = _signed(_sms("gw-9"))
    assert (await gateway.post("/api/sms/inbound", data=raw, headers=headers)).status == 201


async def test_an_sms_becomes_an_inbox_event_of_its_customer_assigned_once_even_when_retried(gateway, world):
    async with world.services.sessionmaker.begin() as db:
        site_id = await db.scalar(select(Site.id).where(Site.code == "HD"))
        customer = Customer(account_no="0100000481", name="刘女士", site_id=site_id)
        db.add(customer)
        await db.flush()
        db.add(CustomerPhone(customer_id=customer.id, number="13100000481", raw="13100000481"))
        customer_id = customer.id
    raw, headers = _signed(_sms())
    resp = await gateway.post("/api/sms/inbound", data=raw, headers=headers)
    assert resp.status == 201, await resp.text()
    first = await resp.json()
    assert first["status"] == "stored"

    async def assigned() -> Interaction:
        for _ in range(100):
            async with world.services.sessionmaker() as db:
                row = await db.get(Interaction, first["event_id"])
                if row.status == "assigned":
                    return row
            await asyncio.sleep(0.05)
        raise AssertionError(f"not assigned: {row.status}")

    row = await assigned()
    assert row.kind == "sms" and row.external_id == "gw-0001"
    assert row.content == "家里停电了，请尽快来人"
    assert row.number == "13100000481" and row.customer_id == customer_id
    assert row.assigned_to_id == world.people["1001"]
    assert row.payload["to"] == "95598"
    assert row.occurred_at.isoformat().startswith("2026-11-28T02:00:00")

    # the gateway did not hear the answer and delivers again: the same event, nothing new
    again = await gateway.post("/api/sms/inbound", data=raw, headers=headers)
    assert again.status == 200
    assert await again.json() == {"status": "duplicate", "event_id": first["event_id"]}
    assert await _count(world) == 1


async def test_a_body_over_64_kib_is_refused(gateway, world):
    raw, headers = _signed({**_sms(), "padding": "x" * 70_000})
    resp = await gateway.post("/api/sms/inbound", data=raw, headers=headers)
    assert resp.status == 413
    assert (await resp.json())["error_id"] == "sms.too_large"

    async def chunks():
        yield raw[:40_000]
        yield raw[40_000:]

    resp = await gateway.post("/api/sms/inbound", data=chunks(), headers=headers)  # chunked, no length
    assert resp.status == 413
    assert await _count(world) == 0
