"""Per-node field permissions (visible / editable / required), enforced on every save."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from cti.phones import InvalidPhoneNumber, checked
from ticketing.blanks import is_blank, trim
from ticketing.errors import FieldErrors, Problem
from ticketing.ids import is_id, whole
from ticketing.workflow.conditions import evaluate
from ticketing.workflow.definition import Definition, Node

#: no site closed to a site field (``Directory.closed_sites``: code → why not)
NONE_CLOSED: Mapping[str, str] = MappingProxyType({})


def is_empty(value: Any) -> bool:
    """Nothing given: None, text with nothing visible (spaces, \u3000, \u200b…: ticketing.blanks),
    an empty list or mapping."""
    return is_blank(value) or value in ([], {})


def visible_form(definition: Definition, node: Node, form: Mapping[str, Any]) -> dict[str, Any]:
    """The values a user at ``node`` may see (hidden fields are left out)."""
    return {k: v for k, v in form.items() if definition.permission(node, k) != "hidden"}


def _check_type(
    spec: Mapping[str, Any],
    value: Any,
    site_codes: Mapping[str, int],
    closed_sites: Mapping[str, str] = NONE_CLOSED,
) -> str | None:
    if value is None:
        return None
    ftype = spec.get("type", "text")
    if ftype == "checkbox" and not isinstance(value, bool):
        return "field_not_boolean"
    if ftype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "field_not_number"
        if spec.get("min") is not None and value < spec["min"]:
            return "field_below_min"
        if spec.get("max") is not None and value > spec["max"]:
            return "field_above_max"
    if ftype == "contractor" and not whole(value):
        return "field_not_contractor"
    if ftype == "crew":
        # an id to pick one (ticketing.crews makes it the crew's snapshot), or the stored snapshot
        return (
            None
            if value == "" or is_id(value.get("id") if isinstance(value, Mapping) else value)
            else "field_not_crew"
        )
    if ftype == "select" and value != "" and value not in spec.get("options", ()):
        return "field_bad_option"
    if ftype in ("text", "textarea", "phone", "user", "site", "datetime") and not isinstance(value, str):
        return "field_not_text"
    # every field of a Definition carries its limit (definition.with_default_limit)
    max_len = spec.get("max_length")
    if max_len and isinstance(value, str) and len(value) > max_len:
        return "field_too_long"
    if not isinstance(value, str) or is_blank(value):
        return None  # an emptied text field is cleared, not checked
    if ftype == "datetime" and not is_datetime(value):
        return "field_bad_datetime"
    if ftype == "site" and value.strip() not in site_codes:
        return "field_unknown_site"
    if ftype == "site" and value.strip() in closed_sites:
        return closed_sites[value.strip()]  # 停用 (field_site_disabled), the HQ (field_not_order_site)
    if ftype == "phone":  # typed: a contact number (cti.phones.checked), its problem named
        try:
            checked(value)
        except InvalidPhoneNumber as bad:
            return bad.problem
    return None


def _same_crew(stored: Any, value: Any) -> bool:
    ids = [v.get("id") if isinstance(v, Mapping) else v for v in (stored, value)]
    return is_id(ids[0]) and ids[0] == ids[1]


def is_datetime(value: str) -> bool:
    """ISO 8601 (``2026-11-27T10:10``, the browser's datetime-local, or with seconds, a space,
    an offset); a bare time such as "10:10" names no day and is refused."""
    try:
        when = dt.datetime.fromisoformat(value.strip())
        if when.tzinfo is not None:  # converting to the site's time must not leave year 1..9999
            when.astimezone(dt.UTC), when - dt.timedelta(days=1), when + dt.timedelta(days=1)
    except (ValueError, OverflowError):
        return False
    return True


def wall_time(value: str, timezone: str) -> str:
    """A datetime field's value (a valid one, ``is_datetime``) in the one form it is stored
    in: the site's wall time to the minute, as the browser's datetime-local sends it
    (``2026-11-27T20:51``). A value with an offset (``2026-11-27T12:51:02+00:00``, from the
    API) is converted to ``timezone`` (the order's site's); a space for the ``T`` or seconds
    are dropped, as the forms hold minutes."""
    when = dt.datetime.fromisoformat(value.strip())
    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return when.replace(second=0, microsecond=0).isoformat(timespec="minutes")


def _stored_as(value: Any, timezone: str) -> Any:
    """A stored value in the canonical form, to compare with one sent back (one stored with an
    offset before values were made canonical equals its wall time)."""
    if isinstance(value, str) and value.strip() and is_datetime(value):
        return wall_time(value, timezone)
    return value


#: how far past the server's clock a time may be: the browser's clock, a minute typed ahead
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


@dataclasses.dataclass(frozen=True)
class Moments:
    """What a datetime field's time rules compare with: the order's creation (now, at intake),
    the present, and the zone a time without an offset (the browser's datetime-local) is in."""

    created: dt.datetime
    now: dt.datetime
    timezone: str = "Asia/Shanghai"


def time_refs(spec: Mapping[str, Any]) -> list[str]:
    """A datetime field's ``not_before``: ``created`` and/or names of datetime fields."""
    refs = spec.get("not_before")
    if refs is None:
        return []
    return [str(r) for r in refs] if isinstance(refs, list) else [str(refs)]


def _instant(value: Any, timezone: str) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(timezone))


def _check_time(
    spec: Mapping[str, Any],
    value: Any,
    form: Mapping[str, Any],
    moments: Moments,
    fields: Mapping[str, Any] | None = None,
) -> str | None:
    """The field's declared plausibility rules (arrival, completion: times that feed KPIs).
    Before an earlier field's time, the problem names that field (its label in ``fields``) and
    its time, which the user must not precede: 不能早于到达时间 2026-11-29 17:20."""
    when = _instant(value, moments.timezone)
    if when is None:
        return None
    for ref in time_refs(spec):
        if ref == "created":
            # forms hold minutes: an arrival typed as the order's own minute is not before it
            if when < moments.created.replace(second=0, microsecond=0):
                return "field_before_created"
            continue
        earlier = _instant(form.get(ref), moments.timezone)
        if earlier is not None and when < earlier:
            label = ((fields or {}).get(ref) or {}).get("label") or ref
            return Problem("field_before_earlier", earlier=label, at=_shown(form[ref], moments.timezone))
    if spec.get("not_after") == "now" and when > moments.now + FUTURE_TOLERANCE:
        return "field_in_future"
    return None


def _shown(value: str, timezone: str) -> str:
    """A stored time as the forms show it, the site's wall time to the minute: 2026-11-29 17:20."""
    return wall_time(value, timezone).replace("T", " ")


def form_site(definition: Definition, form: Mapping[str, Any], site_codes: Mapping[str, int]) -> int | None:
    """The site an order belongs to by its form: the one its site field (所属供电局) names, None
    when no site field holds a value. Every path that saves a form (intake, the order page, an
    order from an async event) asks this, so routing and data scope follow the field."""
    for name, spec in definition.fields.items():
        value = form.get(name)
        if (spec or {}).get("type") == "site" and isinstance(value, str) and value.strip():
            return site_codes.get(value.strip())
    return None


def changed_form(
    definition: Definition,
    node: Node,
    form: dict[str, Any],
    changes: Mapping[str, Any] | None,
    site_codes: Mapping[str, int],
    moments: Moments | None = None,
    closed_sites: Mapping[str, str] = NONE_CLOSED,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A new form with the ``changes`` it takes applied, and the problem of each refused
    field (its value left as it was) (``site_codes``: the sites a site field may name, code →
    id; ``closed_sites``: those it may not newly name, each with its problem, as
    ``Directory.closed_sites`` gives them: a 停用 one, ``field_site_disabled``, or the HQ,
    ``field_not_order_site``: an order is not routed to them).

    A value equal to the stored one is not a change, so clients may send the whole form back.
    A datetime field's value is stored as the site's wall time to the minute (``wall_time``),
    whatever offset or form it was sent in.
    A changed datetime field keeps to its time rules (``not_before``, ``not_after``) against
    ``moments`` and the form as changed; an unchanged one is not checked again (a re-dispatch
    loop's new 到达时间 may well be after the last round's 完成时间).
    """
    new = dict(form)
    problems: dict[str, str] = {}
    timezone = moments.timezone if moments is not None else "Asia/Shanghai"
    times: dict[str, str] = {}  # the datetime fields changed, in their stored form
    for name, value in (changes or {}).items():
        if name not in definition.fields:
            problems[name] = "field_unknown"
            continue
        spec = definition.fields[name] or {}
        if isinstance(value, str):
            value = trim(value)  # stored without spaces or invisible characters at its ends
        is_time = spec.get("type") == "datetime" and isinstance(value, str) and value.strip() != ""
        if is_time and is_datetime(value):
            value = wall_time(value, timezone)
        if form.get(name) == value or (is_time and _stored_as(form.get(name), timezone) == value):
            continue
        if spec.get("type") == "crew" and _same_crew(form.get(name), value):
            continue  # the crew picked before, named by its id: its snapshot stays as it was taken
        if definition.permission(node, name) not in ("editable", "required"):
            problems[name] = "field_not_editable"
            continue
        error = _check_type(spec, value, site_codes, closed_sites)
        if error:
            problems[name] = error
            continue
        new[name] = value
        if is_time:
            times[name] = value
    # the fields the order's subcategory decides: filled from it, a value contradicting it refused
    # (only a value being changed: one stored before the rule stays until someone edits it)
    for name, value in definition.bound.items():
        if name in problems:
            continue
        if is_empty(new.get(name)):
            if definition.permission(node, name) in ("editable", "required"):
                new[name] = value
        elif new.get(name) != value and new.get(name) != form.get(name):
            problems[name] = "field_contradicts_subcategory"
            if name in form:
                new[name] = form[name]
            else:
                del new[name]
    if moments is not None:
        # each against the form as changed, then the refused ones left as they were
        refused = {
            name: error
            for name, value in times.items()
            if (
                error := _check_time(
                    definition.fields.get(name) or {}, value, new, moments, definition.fields
                )
            )
        }
        for name, error in refused.items():
            problems[name] = error
            if name in form:
                new[name] = form[name]
            else:
                del new[name]
    return new, problems


def missing_required(node: Node, form: Mapping[str, Any]) -> list[str]:
    """The fields ``node`` requires that ``form`` leaves empty: the ``required`` ones, and those
    whose ``required_when`` condition the form meets (``missing_when_required``)."""
    always = [name for name, perm in node.fields.items() if perm == "required" and is_empty(form.get(name))]
    return always + [name for name in missing_when_required(node, form) if name not in always]


def missing_when_required(node: Node, form: Mapping[str, Any]) -> list[str]:
    """The fields required at ``node`` by a condition the form meets (``required_when``: 故障范围
    while 大面积停电 is ticked) and left empty. Refused on every save at the step, a draft's too:
    the two values say one thing together (a 大面积停电 of no extent was saved, then dispatched)."""
    return [
        name
        for name, condition in node.required_when.items()
        if is_empty(form.get(name)) and evaluate(condition, form)
    ]


def check_required(node: Node, form: Mapping[str, Any]) -> None:
    missing = missing_required(node, form)
    if missing:
        raise FieldErrors(dict.fromkeys(missing, "field_required"))


def refuse_all(
    definition: Definition,
    node: Node,
    form: Mapping[str, Any],
    problems: Mapping[str, str],
    *,
    required: bool = True,
    head: Sequence[str] = (),
) -> None:
    """Refuse, as one FieldErrors, every field's problem at once (QA: a missing 故障地址 and a
    bad number came one resubmission after the other): ``problems`` (the values refused, by
    ``changed_form``, and any others the caller found: a bad 联系电话, a 外委单位 the order may
    not go to) and, with ``required``, the required fields ``form`` leaves empty, a field whose
    value was refused being named for that. In the form's order: the ``head`` (the intake
    form's own inputs above the fields), then the workflow's fields. Every path that takes a
    form in (intake, an order from an async event, 提交 on the order page) refuses by this.
    Without ``required`` (a draft, 暂存) the fields a met ``required_when`` requires are still
    named (``missing_when_required``)."""
    gathered = dict(problems)
    for name in missing_required(node, form) if required else missing_when_required(node, form):
        gathered.setdefault(name, "field_required")
    if gathered:
        raise FieldErrors(in_form_order(definition, gathered, head))


def in_form_order(
    definition: Definition, problems: Mapping[str, str], head: Sequence[str] = ()
) -> dict[str, str]:
    """``problems`` in the order the form shows its fields: ``head`` first, then the workflow's
    fields, then any other name (a field the workflow does not have) as given."""
    rank = {name: i for i, name in enumerate([*head, *definition.fields])}
    return {name: problems[name] for name in sorted(problems, key=lambda n: rank.get(n, len(rank)))}
