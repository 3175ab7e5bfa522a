"""Exit conditions on form fields, and working-time durations ("30m", "1h", "7d")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
OPERATORS = ("eq", "ne", "in", "not_in", "empty", "filled", "truthy", "falsy", "gt", "lt")


class ConditionError(ValueError):
    pass


def parse_duration(text: Any) -> tuple[int, dt.timedelta]:
    """(working days, working hours+minutes): days count in the calendar's working-day length."""
    if isinstance(text, (int, float)):
        return 0, dt.timedelta(minutes=float(text))
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
