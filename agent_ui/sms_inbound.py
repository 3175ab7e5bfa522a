"""POST /api/sms/inbound: the SMS gateway delivers a customer's SMS (``ticketing.inbound``).

The body is JSON ``{"message_id", "from", "to", "text", "received_at"}``, signed with the
installation's ``sms_inbound_secret``: header ``X-Hotline-Signature: sha256=<hex HMAC-SHA256
of the raw body>``. Answers: 201 stored (``{"status": "stored", "event_id"}``), 200 a message
id stored before (``"duplicate"``: a retried delivery, nothing new), 400 a body that is no
JSON object, 422 a field missing or wrong (``field`` names it), 413 a body over 64 KiB,
401 a missing or wrong signature, 403 when no secret is configured (inbound SMS off). A
4xx means the message was not taken: the gateway should not retry it unchanged; a 5xx
(the database away) should be retried.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from agent_ui.auth import machine_route
from agent_ui.services import SERVICES
from ticketing.inbound import SIGNATURE_HEADER, SMS_BODY_BYTES, BadSms, parse_sms, signature_ok, store_sms

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _refused(status: int, error: str, message: str, **details: str) -> web.Response:
    return web.json_response({"error_id": error, "message": message, **details}, status=status)


@routes.post("/api/sms/inbound")
@machine_route
async def sms_inbound(request: web.Request) -> web.Response:
    """The SMS gateway delivers a received SMS (signed with sms_inbound_secret)."""
    services = request.app[SERVICES]
    secret = services.sms_inbound_secret
    if not secret:
        return _refused(403, "sms.inbound_off", "inbound SMS is off: sms_inbound_secret is not configured")
    if (request.content_length or 0) > SMS_BODY_BYTES:
        return _refused(413, "sms.too_large", f"the body is larger than {SMS_BODY_BYTES} bytes")
    body = await request.read()  # whole (the app's client_max_size bounds a body sent chunked)
    if len(body) > SMS_BODY_BYTES:
        return _refused(413, "sms.too_large", f"the body is larger than {SMS_BODY_BYTES} bytes")
    if not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("inbound SMS refused from %s: bad or missing signature", request.remote)
        return _refused(401, "sms.signature", f"{SIGNATURE_HEADER} is missing or does not sign this body")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _refused(400, "sms.bad_body", "the body is not JSON")
    try:
        sms = parse_sms(data)
    except BadSms as bad:
        status = 400 if bad.field == "body" else 422
        return _refused(status, "sms.bad_body", str(bad), field=bad.field)
    row, new = await store_sms(services.sessionmaker, services.bus, sms)
    return web.json_response(
        {"status": "stored" if new else "duplicate", "event_id": row.id}, status=201 if new else 200
    )
