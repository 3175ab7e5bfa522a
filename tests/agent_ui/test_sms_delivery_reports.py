"""SMS delivery reports: the gateway's id kept on sending, its signed reports at POST
/api/sms/status (delivered / failed with its reason / expired) on the order's timeline in words,
the first outcome final, an unknown id answered 404 and its report applied once an SMS gets the
id, a failed SMS to the customer a 提醒 for the order's handler; bad signatures and bodies
refused with what is wrong. A real HTTP gateway (aiohttp) takes the sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from agent_ui import create_app
from tests.agent_ui.conftest import login
from ticketing.inbound import sms_signature
from ticketing.models import Notification
from ticketing.models.knowledge import SmsReport
from ticketing.notify import Dispatcher, HttpSmsGateway

SECRET = "gateway-shared-secret-for-reports"
TEXTS = {
    lang: json.loads((Path(__file__).parents[2] / f"agent_ui/texts/{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}


def _signed(body: dict | bytes, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json", "X-Hotline-Signature": sms_signature(secret, raw)}


@pytest.fixture
async def gateway(aiohttp_server):
    """Takes every SMS and answers with its id for it, the next of ``ids`` ("" : no id)."""
    state: dict = {"ids": [], "received": []}

    async def handler(request):
        state["received"].append(await request.json())
        given = state["ids"].pop(0) if state["ids"] else ""
        if given is None:
            return web.Response(text="OK")  # a gateway answering no JSON: sent, without an id
        return web.json_response({"code": 0, "message_id": given} if given else {"code": 0})

    app = web.Application()
    app.router.add_post("/sms", handler)
    server = await aiohttp_server(app)
    return HttpSmsGateway(url=str(server.make_url("/sms"))), state


@pytest.fixture
async def console(aiohttp_client, world):
    world.services.sms_inbound_secret = SECRET
    client = await aiohttp_client(create_app(world.services))
    client.csrf = await login(client, "1001")
    return client


async def _order(client) -> dict:
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "电价"},
            "submit": False,
            "caller_number": "13800138000",
        },
        headers={"X-CSRF-Token": client.csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order
    return order


async def _sms(client, order, text="您的工单已受理。") -> int:
    resp = await client.post(
        f"/api/orders/{order['id']}/sms",
        json={"to": "13800138000", "text": text},
        headers={"X-CSRF-Token": client.csrf},
    )
    row = await resp.json()
    assert resp.status == 201, row
    return row["id"]


async def _entry(client, order, notification_id) -> dict:
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [entry] = [e for e in view["timeline"] if e.get("notification_id") == notification_id]
    return entry


async def _report(client, body) -> tuple[int, dict]:
    raw, headers = _signed(body)
    resp = await client.post("/api/sms/status", data=raw, headers=headers)
    return resp.status, await resp.json()


async def test_delivered_once_and_for_all_a_late_or_repeated_report_changes_nothing(console, world, gateway):
    sms_gateway, state = gateway
    state["ids"] = ["gw-out-1"]
    order = await _order(console)
    note_id = await _sms(console, order)
    assert (await _entry(console, order, note_id))["delivery"] is None  # 待发送: not with the gateway yet
    assert await Dispatcher(world.services.sessionmaker, sms=sms_gateway).deliver_pending() == (1, 0)

    entry = await _entry(console, order, note_id)
    assert entry["state"] == "sent"
    assert entry["delivery"] == {"state": "submitted", "at": None, "reason": "", "reason_kind": ""}
    assert TEXTS["zh-CN"]["delivery.sms.submitted"] == "已提交"

    status, answer = await _report(
        console, {"message_id": "gw-out-1", "status": "delivered", "reported_at": "2026-11-28T10:00:05+08:00"}
    )
    assert status == 200, answer
    assert answer == {"status": "applied", "notification_id": note_id, "delivery": "delivered"}
    entry = await _entry(console, order, note_id)
    assert entry["delivery"] == {
        "state": "delivered",
        "at": "2026-11-28T02:00:05+00:00",
        "reason": "",
        "reason_kind": "",
    }
    assert TEXTS["zh-CN"]["delivery.sms.delivered"].startswith("已送达")

    # the gateway retries its report, then a stray 'failed' comes late: the phone got it all the same
    assert (await _report(console, {"message_id": "gw-out-1", "status": "delivered"}))[1][
        "status"
    ] == "duplicate"
    status, answer = await _report(
        console, {"message_id": "gw-out-1", "status": "failed", "reason": "UNDELIV"}
    )
    assert status == 200 and answer["status"] == "ignored" and answer["delivery"] == "delivered"
    entry = await _entry(console, order, note_id)
    assert entry["state"] == "sent" and entry["delivery"]["state"] == "delivered"
    async with world.services.sessionmaker() as db:
        kept = (
            await db.execute(select(SmsReport.status, SmsReport.notification_id).order_by(SmsReport.id))
        ).all()
        alerts = await db.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "sms_failed")
        )
    assert kept == [("delivered", note_id), ("failed", note_id)]  # each said once, the late one too
    assert alerts == 0


async def test_a_failed_sms_says_the_gateways_reason_and_its_handler_is_told(console, world, gateway):
    sms_gateway, state = gateway
    state["ids"] = ["gw-out-2", "gw-out-3"]
    order = await _order(console)
    failed_id = await _sms(console, order)
    expired_id = await _sms(console, order, "请保持电话畅通。")
    assert await Dispatcher(world.services.sessionmaker, sms=sms_gateway).deliver_pending() == (2, 0)

    status, answer = await _report(
        console,
        {"message_id": "gw-out-2", "status": "FAILED", "reason": "UNDELIV", "reported_at": 1795831200},
    )
    assert (status, answer["status"], answer["delivery"]) == (200, "applied", "failed")
    assert (await _report(console, {"message_id": "gw-out-3", "status": "expired"}))[1][
        "delivery"
    ] == "expired"
    # a 'delivered' after the failure does not make it delivered (the first outcome is final)
    assert (await _report(console, {"message_id": "gw-out-2", "status": "delivered"}))[1][
        "status"
    ] == "ignored"

    failed = await _entry(console, order, failed_id)
    assert failed["state"] == "failed" and failed["resent_as"] is None  # 重发 is offered
    assert failed["delivery"]["state"] == "failed" and failed["delivery"]["reason"] == "UNDELIV"
    assert failed["delivery"]["at"].startswith("2026-11-28T")
    # the page says what the code means (发送失败：无法送达…), the code on hover
    assert failed["delivery"]["reason_kind"] == "unreachable"
    assert (
        TEXTS["zh-CN"]["delivery.sms.failed"].format(reason=TEXTS["zh-CN"]["delivery.sms.reason.unreachable"])
        == "发送失败：无法送达，号码停机、空号或关机过久"
    )
    expired = await _entry(console, order, expired_id)
    assert expired["state"] == "failed" and expired["delivery"]["state"] == "expired"
    assert TEXTS["zh-CN"]["delivery.sms.expired"].startswith("已过期")
    for key in (
        "delivery.sms.failed",
        "delivery.sms.expired",
        "delivery.sms.submitted",
        "notice_kind.sms_failed",
    ):
        assert TEXTS["en"][key] and TEXTS["en"][key] != TEXTS["zh-CN"][key]

    # 1001 holds the order (保存，现在处理) and sent them: told once per SMS, on their 提醒 list
    listed = await (await console.get("/api/notifications")).json()
    told = [item for item in listed["items"] if item["kind"] == "sms_failed"]
    assert len(told) == 2 and {item["order_id"] for item in told} == {order["id"]}
    # stored in Chinese words (not the gateway's code), and with the SMS it is about, which the
    # console words in the reader's language
    assert any("无法送达" in item["message"] and "13800138000" in item["message"] for item in told)
    assert not any("UNDELIV" in item["message"] or "网关原因" in item["message"] for item in told)
    assert any("已过期" in item["message"] for item in told)
    assert {
        (item["about"]["delivery"], item["about"]["reason"], item["about"]["reason_kind"]) for item in told
    } == {
        ("failed", "UNDELIV", "unreachable"),
        ("expired", "", ""),
    }
    assert {item["about"]["notification_id"] for item in told} == {failed_id, expired_id}
    assert TEXTS["zh-CN"]["notice_kind.sms_failed"] == "短信未送达"

    # and 重发 sends it again, a new row with the gateway's new id
    state["ids"] = ["gw-out-4"]
    resp = await console.post(f"/api/sms/{failed_id}/resend", headers={"X-CSRF-Token": console.csrf})
    again = await resp.json()
    assert resp.status == 201, again
    assert await Dispatcher(world.services.sessionmaker, sms=sms_gateway).deliver_pending() == (1, 0)
    assert (await _entry(console, order, again["id"]))["delivery"]["state"] == "submitted"


async def test_an_unknown_id_is_404_and_its_report_waits_for_the_sms_that_gets_it(console, world, gateway):
    sms_gateway, state = gateway
    # the gateway reports before the dispatcher has written its answer down
    status, answer = await _report(console, {"message_id": "gw-early", "status": "delivered"})
    assert (
        status == 404 and answer["error_id"] == "sms.unknown_message" and answer["message_id"] == "gw-early"
    )
    again, _ = await _report(console, {"message_id": "gw-early", "status": "delivered"})
    assert again == 404
    async with world.services.sessionmaker() as db:
        held = (await db.execute(select(SmsReport.gateway_id, SmsReport.notification_id))).all()
    assert held == [("gw-early", None)]  # kept once, nothing lost

    state["ids"] = ["gw-early"]
    order = await _order(console)
    note_id = await _sms(console, order)
    assert await Dispatcher(world.services.sessionmaker, sms=sms_gateway).deliver_pending() == (1, 0)
    assert (await _entry(console, order, note_id))["delivery"]["state"] == "delivered"
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(SmsReport.notification_id)) == note_id


async def test_a_gateway_giving_no_id_sends_all_the_same_and_no_report_is_expected(console, world, gateway):
    sms_gateway, state = gateway
    state["ids"] = [None, ""]  # "OK" as text, then JSON without an id
    order = await _order(console)
    first, second = await _sms(console, order), await _sms(console, order, "第二条")
    assert await Dispatcher(world.services.sessionmaker, sms=sms_gateway).deliver_pending() == (2, 0)
    for note_id in (first, second):
        entry = await _entry(console, order, note_id)
        assert entry["state"] == "sent" and entry["delivery"] is None  # 已发送, as before


@pytest.mark.parametrize(
    "body, status, field",
    [
        (b"not json", 400, None),
        (b"[1, 2]", 400, "body"),
        ({"status": "delivered"}, 422, "message_id"),
        ({"message_id": "gw-1"}, 422, "status"),
        ({"message_id": "gw-1", "status": "read"}, 422, "status"),
        ({"message_id": "gw-1", "status": "failed", "reason": "x" * 101}, 422, "reason"),
        ({"message_id": "gw-1", "status": "failed", "reason": ["UNDELIV"]}, 422, "reason"),
        ({"message_id": "gw-1", "status": "delivered", "reported_at": "yesterday"}, 422, "reported_at"),
        ({"message_id": "x" * 129, "status": "delivered"}, 422, "message_id"),
    ],
)
async def test_a_bad_body_is_refused_with_what_is_wrong_and_keeps_nothing(
    console, world, body, status, field
):
    raw, headers = _signed(body)
    resp = await console.post("/api/sms/status", data=raw, headers=headers)
    answer = await resp.json()
    assert resp.status == status, answer
    assert answer["error_id"] == "sms.bad_body" and answer["message"]
    if field:
        assert answer["field"] == field
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(SmsReport)) == 0


async def test_signatures_are_checked_as_for_inbound_sms(console, aiohttp_client, world):
    body = {"message_id": "gw-1", "status": "delivered"}
    raw, _ = _signed(body)
    unsigned = await console.post("/api/sms/status", data=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status == 401 and (await unsigned.json())["error_id"] == "sms.signature"
    _, wrong = _signed(body, secret="not-the-secret")
    assert (await console.post("/api/sms/status", data=raw, headers=wrong)).status == 401
    _, other = _signed({"message_id": "gw-2", "status": "delivered"})  # signed for another body
    assert (await console.post("/api/sms/status", data=raw, headers=other)).status == 401
    too_big = b'{"message_id": "gw-1", "status": "delivered", "pad": "' + b"x" * 17000 + b'"}'
    raw_big, signed_big = _signed(too_big)
    assert (await console.post("/api/sms/status", data=raw_big, headers=signed_big)).status == 413
    world.services.sms_inbound_secret = ""
    off = await console.post("/api/sms/status", data=raw, headers=_signed(body, secret="")[1])
    assert off.status == 403 and (await off.json())["error_id"] == "sms.inbound_off"
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(SmsReport)) == 0


async def test_the_api_document_describes_the_signed_webhooks(console):
    spec = await (await console.get("/api/openapi.json")).json()
    for path in ("/api/sms/status", "/api/sms/inbound"):
        op = spec["paths"][path]["post"]
        headers = [p["name"] for p in op["parameters"]]
        assert headers == ["X-Hotline-Signature"], headers  # no CSRF token: the gateway has no session
        assert "401" in op["responses"] and "422" in op["responses"]
    status = spec["paths"]["/api/sms/status"]["post"]
    schema = status["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["message_id", "status"]
    assert schema["properties"]["status"]["enum"] == ["delivered", "failed", "expired"]
    assert "404" in status["responses"]


async def test_the_demos_gateway_reports_what_it_was_given(console, world):
    """The demo's simulated gateway (``hotline.simulator``) answers with ids and reports each SMS
    to the console, signed: the order page shows what became of it."""
    import asyncio

    from hotline.simulator import SmsGatewaySimulator

    sim = SmsGatewaySimulator(str(console.make_url("/api/sms/status")), SECRET, delay=(0.0, 0.05))
    outcomes = iter([("failed", "UNDELIV"), ("delivered", "")])
    sim.outcome = lambda: next(outcomes)
    await sim.start()
    try:
        order = await _order(console)
        first, second = await _sms(console, order), await _sms(console, order, "第二条")
        sms = HttpSmsGateway(url=sim.url)
        assert await Dispatcher(world.services.sessionmaker, sms=sms).deliver_pending() == (2, 0)
        async with asyncio.timeout(10):
            await sim.settle()
    finally:
        await sim.stop()
    assert [s["text"] for s in sim.sent] == [
        "【95598】您的工单已受理。",
        "【95598】第二条",
    ]  # signed, as the templates are
    given = {sent["message_id"]: n for n, sent in enumerate(sim.sent)}
    assert sorted((given[message_id], status) for message_id, status in sim.reported) == [
        (0, "failed"),
        (1, "delivered"),
    ]
    entry = await _entry(console, order, first)
    assert (entry["state"], entry["delivery"]["state"], entry["delivery"]["reason"]) == (
        "failed",
        "failed",
        "UNDELIV",
    )
    assert (await _entry(console, order, second))["delivery"]["state"] == "delivered"
