"""Exit conditions on form fields, and working-time durations ("30m", "1h", "7d")."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
OPERATORS = ("eq", "ne", "in", "not_in", "empty", "filled", "truthy", "falsy", "gt", "lt")


#: the operators a condition may apply to a field, by the field's type: those ``evaluate`` gives
#: a meaning for the values a field of that type holds (``forms._check_type``): a checkbox is
#: true, false or never ticked (None: ``eq: false`` misses it, ``falsy`` does not), a number is
#: compared as a number, a datetime, a contractor's id or a crew is only there or not (a crew
#: field holds the snapshot of the crew picked, ``crews.snapshot``: a mapping, which no ``eq``
#: written in YAML could match, so only whether one was dispatched is asked). The step
#: editor offers exactly these (its ``choices``), and an import refuses any other
#: (``condition_operator_not_for_type``).
TYPE_OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "textarea": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "phone": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "user": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "site": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "select": ("eq", "ne", "in", "not_in", "empty", "filled"),
    "checkbox": ("truthy", "falsy", "eq", "ne"),
    "number": ("eq", "ne", "gt", "lt", "in", "not_in", "empty", "filled"),
    "datetime": ("empty", "filled"),
    "contractor": ("empty", "filled"),
    "crew": ("empty", "filled"),
}
#: what a field of a type the table does not name (one added later) may be tested by: whether
#: it holds anything
OTHER_TYPE_OPERATORS = ("empty", "filled")
#: operators whose value is only a switch (``filled: true``), not something the field is compared to
FLAG_OPERATORS = ("empty", "filled", "truthy", "falsy")


class ConditionError(ValueError):
    pass


def parse_duration(text: Any) -> tuple[int, dt.timedelta]:
    """(working days, working hours+minutes): days count in the calendar's working-day length."""
    if isinstance(text, (int, float)):
        return 0, dt.timedelta(minutes=float(text))
    if str(text).strip().isdigit():
        # a bare number a version stored before import asked for a unit took as minutes; stored
        # as text ("30"), it is still minutes when the order reaches the step
        return 0, dt.timedelta(minutes=int(str(text)))
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise ConditionError(f"bad duration {text!r}: use e.g. '30m', '1h', '7d', '1h30m'")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days, dt.timedelta(hours=hours, minutes=minutes)


def fields_in(condition: Mapping[str, Any] | None) -> set[str]:
    if not condition:
        return set()
    out: set[str] = set()
    for key in ("all", "any"):
        for sub in condition.get(key, ()) or ():
            out |= fields_in(sub)
    if "not" in condition:
        out |= fields_in(condition["not"])
    if "field" in condition:
        out.add(str(condition["field"]))
    return out


def check_condition(condition: Mapping[str, Any]) -> None:
    """Raise ConditionError when a condition is malformed."""
    if not isinstance(condition, Mapping):
        raise ConditionError(f"condition must be a mapping, got {condition!r}")
    if "all" in condition or "any" in condition:
        for sub in condition.get("all", condition.get("any")) or ():
            check_condition(sub)
        return
    if "not" in condition:
        check_condition(condition["not"])
        return
    if "field" not in condition:
        raise ConditionError(f"condition {dict(condition)!r} names no field")
    ops = [k for k in condition if k != "field"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ConditionError(
            f"condition on {condition['field']!r} needs exactly one of {', '.join(OPERATORS)}"
        )


def leaves(condition: Any) -> list[Mapping[str, Any]]:
    """The field tests of a well-formed condition (``check_condition``), through all / any / not."""
    if not isinstance(condition, Mapping):
        return []
    if "all" in condition or "any" in condition:
        return [leaf for sub in condition.get("all", condition.get("any")) or () for leaf in leaves(sub)]
    if "not" in condition:
        return leaves(condition["not"])
    return [condition] if "field" in condition else []


def _value_problem(spec: Mapping[str, Any], value: Any) -> str:
    """Why ``value`` can never be a value of the field ``spec`` describes ("" when it can)."""
    ftype = spec.get("type", "text")
    if ftype == "select":
        options = list(spec.get("options") or ())
        return "" if value in options else f"{value!r} is not one of the options {options}"
    if ftype == "checkbox":
        return "" if isinstance(value, bool) else f"{value!r} is not true or false"
    if ftype == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return "" if ok else f"{value!r} is not a number"
    return "" if isinstance(value, str) else f"{value!r} is not text"


def type_problems(condition: Any, fields: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """What a well-formed condition asks of a field that its type cannot answer: an operator the
    type does not take (``condition_operator_not_for_type``: ``gt`` on a text compares it with
    a number, and the engine would fail), or a value the field never holds
    (``condition_bad_value``: an option the select does not have, ``是`` for a checkbox, a
    number written as text), so the exit could never be taken, or always would. Each as (id,
    message, where: field, operator, value). Fields the form does not have are left to
    ``unknown_field_in_condition``."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for leaf in leaves(condition):
        name = str(leaf["field"])
        if name not in fields:
            continue
        spec = fields[name] or {}
        ftype = spec.get("type", "text")
        op = next(k for k in leaf if k != "field")
        value = leaf[op]
        where = {"field": name, "operator": op}
        allowed = TYPE_OPERATORS.get(ftype, OTHER_TYPE_OPERATORS)
        if op not in allowed:
            out.append(
                (
                    "condition_operator_not_for_type",
                    f"condition on {name!r}: {op!r} does not apply to a {ftype} field"
                    f" (use {', '.join(allowed)})",
                    where,
                )
            )
            continue
        if op in FLAG_OPERATORS:
            problem = "" if isinstance(value, bool) else f"{op} takes true or false, not {value!r}"
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                problem = f"{op} takes a list of values, not {value!r}"
            else:
                problem = next((p for p in (_value_problem(spec, v) for v in value) if p), "")
        else:
            problem = _value_problem(spec, value)
        if problem:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            out.append(
                (
                    "condition_bad_value",
                    f"condition on {name!r} ({op}): {problem}",
                    {**where, "value": shown},
                )
            )
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def evaluate(condition: Mapping[str, Any] | None, form: Mapping[str, Any]) -> bool:
    if not condition:
        return True
    if "all" in condition:
        return all(evaluate(c, form) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, form) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], form)
    value = form.get(condition["field"])
    if "eq" in condition:
        return value == condition["eq"]
    if "ne" in condition:
        return value != condition["ne"]
    if "in" in condition:
        return value in condition["in"]
    if "not_in" in condition:
        return value not in condition["not_in"]
    if "empty" in condition:
        return _empty(value) == bool(condition["empty"])
    if "filled" in condition:
        return (not _empty(value)) == bool(condition["filled"])
    if "truthy" in condition:
        return bool(value) == bool(condition["truthy"])
    if "falsy" in condition:
        return (not value) == bool(condition["falsy"])
    if "gt" in condition:
        return value is not None and value > condition["gt"]
    if "lt" in condition:
        return value is not None and value < condition["lt"]
    return False
