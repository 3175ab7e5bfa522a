"""The SMS gateway's two webhooks: customers' SMS in, and delivery reports of the SMS we sent.

Both bodies are JSON signed with the installation's ``sms_inbound_secret``: header
``X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the raw body>``, checked in one place
(``_signed_json``). Both answer 403 when no secret is configured (the webhooks off), 413 a
body over their limit, 401 a missing or wrong signature, 400 a body that is no JSON object,
422 a field missing or wrong (``field`` names it). A 4xx means the body was not taken: the
gateway should not retry it unchanged; a 5xx (the database away) should be retried.

* ``POST /api/sms/inbound`` (``ticketing.inbound``): ``{"message_id", "from", "to", "text",
  "received_at"}``. 201 stored (``{"status": "stored", "event_id"}``), 200 a message id stored
  before (``"duplicate"``: a retried delivery, nothing new).
* ``POST /api/sms/status`` (``ticketing.sms_status``): ``{"message_id", "status", "reason",
  "reported_at"}``, ``message_id`` the id the gateway answered our send with, ``status``
  delivered / failed / expired. 200 ``{"status": "applied" | "duplicate" | "ignored",
  "notification_id", "delivery"}`` (``ignored``: the message had another outcome already, which
  stays); 404 ``sms.unknown_message`` for an id no SMS of ours has (yet): the report is kept
  and applied if an SMS gets that id, so the gateway need not retry it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from agent_ui.auth import machine_route
from agent_ui.services import SERVICES
from ticketing.inbound import SIGNATURE_HEADER, SMS_BODY_BYTES, BadSms, parse_sms, signature_ok, store_sms
from ticketing.sms_status import REPORT_BODY_BYTES, BadReport, parse_report, take_report

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


class _Refused(Exception):
    def __init__(self, status: int, error: str, message: str, **details: str) -> None:
        super().__init__(message)
        self.response = web.json_response({"error_id": error, "message": message, **details}, status=status)


async def _signed_json(request: web.Request, limit: int, what: str) -> Any:
    """The JSON of a body the gateway signed with ``sms_inbound_secret``, or ``_Refused`` with
    the answer: the one check of both webhooks."""
    secret = request.app[SERVICES].sms_inbound_secret
    if not secret:
        raise _Refused(
            403, "sms.inbound_off", "the SMS webhooks are off: sms_inbound_secret is not configured"
        )
    if (request.content_length or 0) > limit:
        raise _Refused(413, "sms.too_large", f"the body is larger than {limit} bytes")
    body = await request.read()  # whole (the app's client_max_size bounds a body sent chunked)
    if len(body) > limit:
        raise _Refused(413, "sms.too_large", f"the body is larger than {limit} bytes")
    if not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("%s refused from %s: bad or missing signature", what, request.remote)
        raise _Refused(401, "sms.signature", f"{SIGNATURE_HEADER} is missing or does not sign this body")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "sms.bad_body", "the body is not JSON") from None


def _bad_body(field: str, message: str) -> web.Response:
    status = 400 if field == "body" else 422
    return web.json_response({"error_id": "sms.bad_body", "message": message, "field": field}, status=status)


@routes.post("/api/sms/inbound")
@machine_route
async def sms_inbound(request: web.Request) -> web.Response:
    """The SMS gateway delivers a received SMS (signed with sms_inbound_secret)."""
    try:
        data = await _signed_json(request, SMS_BODY_BYTES, "inbound SMS")
    except _Refused as refused:
        return refused.response
    try:
        sms = parse_sms(data)
    except BadSms as bad:
        return _bad_body(bad.field, str(bad))
    services = request.app[SERVICES]
    row, new = await store_sms(services.sessionmaker, services.bus, sms)
    return web.json_response(
        {"status": "stored" if new else "duplicate", "event_id": row.id}, status=201 if new else 200
    )


@routes.post("/api/sms/status")
@machine_route
async def sms_status(request: web.Request) -> web.Response:
    """The SMS gateway reports a sent SMS delivered, failed or expired (signed with sms_inbound_secret)."""
    try:
        data = await _signed_json(request, REPORT_BODY_BYTES, "SMS delivery report")
    except _Refused as refused:
        return refused.response
    try:
        report = parse_report(data)
    except BadReport as bad:
        return _bad_body(bad.field, str(bad))
    services = request.app[SERVICES]
    outcome = await take_report(services.sessionmaker, services.bus, report)
    if outcome.result == "unknown":
        return web.json_response(
            {
                "error_id": "sms.unknown_message",
                "message": f"no SMS sent here has the gateway id {report.message_id!r}; "
                "the report is kept and applied if one gets it",
                "message_id": report.message_id,
            },
            status=404,
        )
    return web.json_response(
        {"status": outcome.result, "notification_id": outcome.notification_id, "delivery": outcome.delivery}
    )
