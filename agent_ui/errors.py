"""Stable error identifiers, their HTTP statuses, and how every error leaves the app.

An ``error_id`` is part of the API: the console translates it (texts/*.json,
key ``error.<error_id>``) and tests assert it. The mapping to HTTP statuses
lives here and nowhere else. Errors raised by other packages are recognised by
an ``error_id`` attribute (the convention the whole house follows); their
status comes from ``STATUS`` or, when unknown here, 409 (a refused domain
action) so nothing is swallowed or turned into a 500.
"""

from __future__ import annotations

from typing import Any

STATUS: dict[str, int] = {
    "auth.required": 401,
    "auth.bad_credentials": 401,
    "auth.locked": 423,
    "auth.disabled": 403,
    "auth.password_change_required": 403,
    "auth.password_too_weak": 422,
    "auth.password_mismatch": 422,
    "auth.password_reused": 422,
    "auth.bad_old_password": 422,
    "forbidden": 403,
    "invalid_fields": 422,
    "user_invalid": 422,
    "workflow_invalid": 422,
    "print_template_unsafe": 422,
    # a stored template over the render's budget (ticketing.template_budget) at its print or
    # send: unprocessable, as the save refuses it (invalid_fields, template_too_costly)
    "print_template_too_costly": 422,
    "template_too_costly": 422,
    "template_fields_blank": 422,
    "csrf.invalid": 403,
    "origin.invalid": 403,
    "role.forbidden": 403,
    "scope.forbidden": 403,
    "route.undeclared": 403,
    "not_found": 404,
    "event.order_not_found": 404,  # 关联到已受理工单: no order has the 工单号 typed
    # 批量关闭: more events than one request closes (intake.BULK_CLOSE_LIMIT)
    "event.too_many": 422,
    # 批量关闭 by who does not see 未分派事件 (intake.may_close_waiting)
    "event.bulk_forbidden": 403,
    "request.invalid": 400,
    "report.range_reversed": 400,
    "report.range_too_long": 400,
    # a report filter naming a queue, workflow, contractor or site there is none of
    "report.unknown_queue": 400,
    "report.unknown_workflow": 400,
    "report.unknown_contractor": 400,
    "report.unknown_site": 400,
    "validation.failed": 422,
    "cti.unavailable": 503,
    "service.unavailable": 503,
    "command.unknown": 400,
    "internal": 500,
    # a campaign's settings that cannot be used, like any invalid form
    "campaign.bad_kind": 422,
    "campaign.bad_mode": 422,
    "campaign.bad_window": 422,
    "campaign.bad_every_day": 422,
    "campaign.window_order": 422,
    "campaign.window_overlap": 422,
    "campaign.bad_max_attempts": 422,
    "campaign.bad_max_in_flight": 422,
    "campaign.bad_calls_per_second": 422,
    "campaign.bad_ring_seconds": 422,
    "campaign.bad_offer_minutes": 422,
    "campaign.bad_retry": 422,
    "campaign.bad_retry_minutes": 422,
    "campaign.bad_script": 422,
    "campaign.not_editable": 422,
    "campaign.bad_number": 422,
    "campaign.unknown_queue": 422,
    "campaign.bad_name": 422,
    "campaign.name_too_long": 422,
    "campaign.script_too_long": 422,
    "campaign.dnc_reason_too_long": 422,
    "campaign.notes_too_long": 422,
    "survey_remark_too_long": 422,
    # a complaint (the survey's, a step's follow-up) in a category the order's site is not offered
    "survey_complaint_not_offered": 422,
    "spawn_category_not_offered": 422,
    # a fax to a mobile number: an invalid recipient (recipient_invalid), said in its own words
    "fax_to_mobile": 422,
    "campaign.dnc_not_found": 404,
    # 回呼 to an emergency, service or short number (cti.phones.never_dial): a bad number, as typed
    "dial.never_dial": 422,
    # a contact offered to or called by another agent: not this agent's to read or record
    "campaign.contact_not_yours": 403,
}

#: A domain refusal from another package whose id we do not list above.
DEFAULT_DOMAIN_STATUS = 409


class UiError(Exception):
    """An error the console can name: ``error_id`` plus optional details."""

    def __init__(self, error_id: str, message: str = "", **details: Any) -> None:
        super().__init__(message or error_id)
        self.error_id = error_id
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return status_for(self.error_id)


def status_for(error_id: str) -> int:
    if error_id in STATUS:
        return STATUS[error_id]
    prefix = error_id.split(".", 1)[0]
    if prefix in ("not_found",) or error_id.endswith(".not_found"):
        return 404
    if error_id.endswith(".forbidden"):
        return 403
    if error_id.endswith((".invalid", "_invalid", ".required", "_required")):
        return 422
    return DEFAULT_DOMAIN_STATUS


def error_id_of(exc: BaseException) -> str | None:
    """The stable id of an error from any package, or None for an unexpected failure."""
    value = getattr(exc, "error_id", None)
    if isinstance(value, str) and value:
        return value
    return None


def details_of(exc: BaseException) -> dict[str, Any]:
    details = getattr(exc, "details", None)
    if isinstance(details, dict):
        from agent_ui.jsonable import jsonable

        return {str(k): jsonable(v) for k, v in details.items()}
    return {}


def error_body(error_id: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error_id": error_id, "message": message}
    if details:
        body["details"] = details
    return body
