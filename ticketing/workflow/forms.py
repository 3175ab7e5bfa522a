"""Per-node field permissions (visible / editable / required), enforced on every save."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ticketing.errors import FieldErrors
from ticketing.workflow.definition import Definition, Node


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def visible_form(definition: Definition, node: Node, form: Mapping[str, Any]) -> dict[str, Any]:
    """The values a user at ``node`` may see (hidden fields are left out)."""
    return {k: v for k, v in form.items() if definition.permission(node, k) != "hidden"}


def _check_type(spec: Mapping[str, Any], value: Any) -> str | None:
    if value is None:
        return None
    ftype = spec.get("type", "text")
    if ftype == "checkbox" and not isinstance(value, bool):
        return "field_not_boolean"
    if ftype == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "field_not_number"
    if ftype == "contractor" and (isinstance(value, bool) or not isinstance(value, int)):
        return "field_not_contractor"
    if ftype == "select" and value != "" and value not in spec.get("options", ()):
        return "field_bad_option"
    if ftype in ("text", "textarea", "phone", "user", "site", "datetime") and not isinstance(value, str):
        return "field_not_text"
    max_len = spec.get("max_length")
    if max_len and isinstance(value, str) and len(value) > max_len:
        return "field_too_long"
    return None


def apply_changes(
    definition: Definition, node: Node, form: dict[str, Any], changes: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A new form with ``changes`` applied, or FieldErrors naming each refused field.

    A value equal to the stored one is not a change, so clients may send the whole form back.
    """
    new = dict(form)
    problems: dict[str, str] = {}
    for name, value in (changes or {}).items():
        if name not in definition.fields:
            problems[name] = "field_unknown"
            continue
        if form.get(name) == value:
            continue
        if definition.permission(node, name) not in ("editable", "required"):
            problems[name] = "field_not_editable"
            continue
        error = _check_type(definition.fields[name] or {}, value)
        if error:
            problems[name] = error
            continue
        new[name] = value
    if problems:
        raise FieldErrors(problems)
    return new


def missing_required(node: Node, form: Mapping[str, Any]) -> list[str]:
    return [name for name, perm in node.fields.items() if perm == "required" and is_empty(form.get(name))]


def check_required(node: Node, form: Mapping[str, Any]) -> None:
    missing = missing_required(node, form)
    if missing:
        raise FieldErrors(dict.fromkeys(missing, "field_required"))
