"""What a new order's caller fills in its form: the fields the workflow says (``customer: address``
/ ``customer: site``, ``Definition.customer_prefill``) take the customer's address and the code of
its site, where nothing was typed; the one that holds the customer's own words (``customer:
description``, ``Definition.customer_description``) takes what the customer wrote or said.

The seat's intake form applies this rule in the browser as the customer pops, so the agent sees
the values and may change them (``agent_ui/static/js/seat.js`` ``fillFromCustomer``, reading the
same ``customer_prefill`` from ``GET /api/intake``). An order made without that form, from an
async event (异步事件 → 填写受理工单, the IVR's voicemail fault report: ``ticketing.intake``), gets
it here, on the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ticketing.blanks import trim
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.forms import NONE_CLOSED, changed_form, is_empty


def customer_fills(
    definition: Definition,
    node: Node,
    form: Mapping[str, Any],
    customer: Mapping[str, str],
    site_codes: Mapping[str, int],
    closed_sites: Mapping[str, str] = NONE_CLOSED,
) -> dict[str, str]:
    """The values ``customer`` (``address``: its address, ``site``: its site's code) gives the
    fields of ``form`` at ``node`` (the create step) that the workflow names and that are still
    empty there, each only if that step would take it (``forms.changed_form``: editable there,
    within the field's length, a site that is neither unknown, 停用 nor the HQ): a value the form would
    refuse is left for the agent rather than refusing the whole order. What was typed stays."""
    fills: dict[str, str] = {}
    for name, source in definition.customer_prefill().items():
        value = trim(customer.get(source) or "")
        if not value or not is_empty(form.get(name)):
            continue
        _, refused = changed_form(definition, node, {}, {name: value}, site_codes, None, closed_sites)
        if not refused:
            fills[name] = value
    return fills


def description_fill(
    definition: Definition, node: Node, form: Mapping[str, Any], words: str
) -> dict[str, str]:
    """``words``, the customer's own (an SMS, an e-mail's body or subject, the IVR's note of a
    voicemail), into the field that holds them (``Definition.customer_description``) when it is
    still empty in ``form`` and ``node`` (the create step) lets it be written, up to the field's
    ``max_length``: a long e-mail fills what fits, the whole text stays on its event."""
    field = definition.customer_description()
    if not field or not words or not is_empty(form.get(field)):
        return {}
    if definition.permission(node, field) not in ("editable", "required"):
        return {}
    limit = (definition.fields.get(field) or {}).get("max_length")
    return {field: words[:limit] if limit else words}
