"""Workflow definitions as data: parsing and validation with named problems.

A definition (YAML or a dict) has fields (the form), nodes and exits::

    key: fault_repair
    name: 故障报修
    category: fault
    number_pattern: "GZ{yyyyMMdd}{seq:05}"
    calendar: 24x7                      # or business (the site's business hours)
    title: [故障名称, 故障地址]            # an untitled order's 标题 (else its first description)
    fields:
      故障地址: {type: text, label: 故障地址}
      需要回复客户: {type: checkbox}
    nodes:
      - id: accept
        type: create                    # create | approve | realize | archive
        status: 已受理                   # the order's status while at this node
        fields: {故障地址: required}     # visible | editable | required; unlisted = hidden
                                        # or {required_when: {field: 大面积停电, eq: true}}
        exits: [{to: confirm}]
      - id: confirm
        type: realize
        operators:
          mode: any                     # any | all (会签) | sequential
          batches:                      # the first batch with a match wins
            - [{role: handler, site_field: 所属供电局}]
            - [{role: supervisor}]
        sla: {limit: 30m, overrun: {notify: {role: team_leader}, channels: [screen, sms], urgency: high}}
        exits:
          - {to: reply, when: {field: 需要回复客户, eq: true}}
          - {to: done}
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import yaml

from ticketing.errors import NumberingError, WorkflowInvalid
from ticketing.models.org import ROLES
from ticketing.numbering import check_length, validate_pattern
from ticketing.workflow.conditions import (
    ConditionError,
    check_condition,
    fields_in,
    parse_duration,
    type_problems,
)

NODE_TYPES = ("create", "approve", "realize", "archive")
#: the status of an order closed by 作废 (void: invalid or a duplicate), whatever step it was at;
#: reports leave such orders out of cycle times, overdue and satisfaction and count them apart.
#: Reserved: no step of a workflow may have it as its status (``reserved_status``), else an order
#: at that step would be read as voided.
VOIDED_STATUS = "已作废"
#: the most characters a text field takes when its definition sets no ``max_length``: a name or
#: an address on one line, a description in a textarea (100,000 characters were taken).
#: Applied in one place, ``with_default_limit``: every field a ``Definition`` holds (the
#: workflow's, by ``parse``; a subcategory's own, by ``Definition.subtype_fields``) carries its
#: limit, so the save check (``forms``) and the console (the field's ``max_length``) read it there.
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 5000}


def with_default_limit(spec: Any) -> Any:
    """A field's spec with the default ``max_length`` of its type where it sets none (or 0) (a
    new dict; the definition's own is left as written)."""
    if not isinstance(spec, Mapping) and spec is not None:
        return spec
    spec = spec or {}
    default = DEFAULT_MAX_LENGTH.get(spec.get("type", "text"))
    if default is None or spec.get("max_length"):
        return spec
    return {**spec, "max_length": default}


#: what of the popped customer may fill a field at intake (``customer:`` on a field)
CUSTOMER_PREFILL = ("address", "site")
#: ``customer: description`` on a field: it holds the customer's own words (客户描述故障信息,
#: 投诉内容 …), where an event's text lands and what the intake form carries over as one thing
#: across categories. Not filled from the customer's record.
CUSTOMER_DESCRIPTION = "description"
#: the fields ``customer: description`` may be on: one line or several of text
DESCRIPTION_TYPES = ("text", "textarea")


#: ``opinion: true`` on a field: it is the step's 处理意见, the words the action is taken with
#: (its timeline entry, the audit's opinion, a 退回's reason), at every step that lets the agent
#: write it; the console shows it in place of its generic 处理意见 box, so there is one box.
#: One line or several of text.
OPINION_TYPES = ("text", "textarea")
#: a definition where no field declares ``opinion`` (a version stored before the attribute): the
#: text field of this name is the step's opinion, as the seeded 故障报修's 回复客户 always meant it
OPINION_NAME = "处理意见"


def holds_words(spec: Any) -> bool:
    """Whether a field's spec marks it as the customer's own words (``customer: description``)
    on a type that can hold them; a stored version's mark on any other is ignored, as refused."""
    spec = spec or {}
    return spec.get("customer") == CUSTOMER_DESCRIPTION and spec.get("type", "text") in DESCRIPTION_TYPES


FIELD_TYPES = (
    "text",
    "textarea",
    "select",
    "checkbox",
    "number",
    "datetime",
    "user",
    "site",
    "phone",
    "contractor",  # a contractor's id from the register (外委单位)
    "crew",  # a repair crew from the register (抢修班组), kept as it was when picked
)
#: what of a picked crew a ``crew`` field's ``fills`` may copy into the order's own fields;
#: ``people``: who goes out, the leader then the members (杨班长、周伟、徐芳), what 抢修人员 asks
CREW_FILLS = ("name", "leader", "phone", "vehicle", "members", "people")
PERMISSIONS = ("hidden", "visible", "editable", "required")
MODES = ("any", "all", "sequential")
RULE_KEYS = {
    "role",
    "user",
    "department",
    "creator_manager",
    "creator",
    "site_field",
    "field_user",
    "previous",
    "in_scope",
}
CHANNELS = ("screen", "sms", "email")
#: the channels a reminder may word with a message template (短信 / 邮件模板); the screen's
#: notice is the engine's own (即将超期…, ``sla.reminder_text``)
TEMPLATE_CHANNELS = ("sms", "email")
#: a reminder's message template by its identity, the same in every installation: its category
#: and its step (a template is per category × step × channel × audience, and only one of them is
#: enabled at a time; the channel is the key it is picked under, the audience the handler's)
TEMPLATE_REF_KEYS = ("category", "node")
CONTRACTOR_CHANNELS = ("sms", "email")
URGENCIES = ("low", "normal", "high", "urgent")
AUTO_ACTIONS = ("convert",)
CALENDARS = ("business", "24x7")
DEFAULT_PATTERN = "WO{yyyyMMdd}{seq:05}"


class Problem(tuple):
    """One problem of a definition: ``(error_id, message)`` like any, plus ``where`` it is (``node``:
    the step's id, ``field``, ``value``: the value refused…), so the editor can say it in
    Chinese rather than show the English message."""

    where: dict[str, Any]

    def __new__(cls, error_id: str, message: str, **where: Any) -> Problem:
        problem = super().__new__(cls, (error_id, message))
        problem.where = {k: v for k, v in where.items() if v is not None}
        return problem


@dataclasses.dataclass(frozen=True)
class Exit:
    to: str
    when: Mapping[str, Any] | None = None
    kind: str = "normal"  # normal | reject
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Notify:
    to: tuple[Mapping[str, Any], ...]  # operator rules, plus {current_handlers: true}
    channels: tuple[str, ...] = ("screen",)
    urgency: str = "normal"
    #: the message template each channel's text comes from, by what it is in every installation
    #: ({sms: {category: complaint, node: handle}}, ``TEMPLATE_REF_KEYS``) or, as versions
    #: stored before wrote it, by this database's id ({sms: 12}); none: the engine's words
    templates: Mapping[str, int | Mapping[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Reminder:
    """``{before: 15m}``: that much working time before the step's deadline (即将超期);
    ``{after: 30m}``: that long after entering the step (a 时限提醒 naming the deadline). Either
    one only where it falls before the deadline the order's limit gives."""

    offset: str
    notify: Notify
    before: bool = False


@dataclasses.dataclass(frozen=True)
class Sla:
    limit: str
    limit_by: Mapping[str, Any] | None = None  # {field: 严重程度, values: {一般: 1h, 重大: 7d}}
    reminders: tuple[Reminder, ...] = ()
    overrun: Notify | None = None
    action: Mapping[str, Any] | None = None  # {type: convert, category: coordination, ...}
    calendar: str = ""  # overrides the definition's calendar for this step (business | 24x7)


@dataclasses.dataclass(frozen=True)
class Node:
    id: str
    type: str
    name: str = ""
    status: str = ""
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: the fields required while a condition on the form holds (``{required_when: {field:
    #: 大面积停电, eq: true}}`` in the step's ``fields``): editable there, by ``fields``
    required_when: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    exits: tuple[Exit, ...] = ()
    operators: tuple[tuple[Mapping[str, Any], ...], ...] = ()
    mode: str = "any"
    optional: bool = False
    free_routing: bool = False
    locks_category: bool = False
    sla: Sla | None = None
    #: an approve node's 批准 as the workflow names it (故障报修's 接收确认), as a reject exit's
    #: ``name`` names its 退回 (退单); "" is 批准
    approve_name: str = ""
    spawn: tuple[Mapping[str, Any], ...] = ()
    contractor: Mapping[str, Any] | None = None  # {field: 外委单位, channels: [sms, email]}

    def permission(self, field: str) -> str:
        return self.fields.get(field, "hidden")


@dataclasses.dataclass(frozen=True)
class Definition:
    key: str
    name: str
    category: str
    nodes: tuple[Node, ...]
    fields: Mapping[str, Mapping[str, Any]]
    number_pattern: str = DEFAULT_PATTERN
    calendar: str = "business"
    title_fields: tuple[str, ...] = ()  # what an untitled order's 标题 is made of (titles.py)
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    extra_fields: frozenset[str] = frozenset()  # a subcategory's own form, merged in per order
    #: the fields the order's subcategory decides, with their values (``subcategory_values``),
    #: set per order with its subcategory (``steps.with_subtype_fields``): filled from it, and a
    #: value contradicting it refused (``field_contradicts_subcategory``, ``forms.changed_form``)
    bound: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def permission(self, node: Node, field: str) -> str:
        if field in node.fields:
            return node.fields[field]
        if field in self.extra_fields:
            return "editable" if node.type == "create" else "visible"
        return "hidden"

    def subtype_fields(self, form_schema: Any) -> dict[str, Mapping[str, Any]]:
        """A subcategory's own form (``Category.form_schema``): its fields the workflow does not
        have (a field the workflow has is the workflow's), each with its type's default limit."""
        return {
            name: with_default_limit(spec)
            for name, spec in dict(form_schema or {}).items()
            if name not in self.fields
        }

    def subcategory_values(self, code: str, name: str) -> dict[str, Any]:
        """The values the subcategory ``code`` (named ``name``) gives the form's fields: one
        class, entered once (一类投诉 is 类别1 一类 and 类别2 投诉; 高压新装 is 业务类型 高压新装).

        A select field declaring ``subcategory: {code: option, …}`` is bound by it (a code it
        does not name leaves the field free: 举报 has no 类别1). A definition where no field
        declares it (a version stored before the attribute) is read by the subcategory's name
        instead: each select field the create step shows takes the option the name equals, else
        the one option the name starts or ends with (一类投诉: 一类, 投诉); none, or more than
        one, leaves it free."""
        declared = {f: s["subcategory"] for f, s in self.fields.items() if "subcategory" in (s or {})}
        if declared:
            return {
                f: values[code]
                for f, values in declared.items()
                if isinstance(values, Mapping) and code in values
            }
        if not name:
            return {}
        start = self.create_node
        bound: dict[str, Any] = {}
        for fname, spec in self.fields.items():
            spec = spec or {}
            if spec.get("type") != "select" or start.permission(fname) not in ("editable", "required"):
                continue
            options = [str(o) for o in spec.get("options") or ()]
            if name in options:
                bound[fname] = name
                continue
            ends = [o for o in options if o and (name.startswith(o) or name.endswith(o))]
            if len(ends) == 1:
                bound[fname] = ends[0]
        return bound

    def customer_prefill(self) -> dict[str, str]:
        """The fields the intake form fills from the caller's customer record when they are
        empty (the agent may change them): field → the customer's ``address`` or ``site``.
        Declared by ``customer: address`` on a field; a definition where no field declares
        ``customer`` at all (a version stored before the attribute) fills its site fields with the
        customer's site and its text fields named …地址 with the address."""
        declared = {
            f: str(s["customer"])
            for f, s in self.fields.items()
            if (s or {}).get("customer") in CUSTOMER_PREFILL
        }
        if declared or any("customer" in (s or {}) for s in self.fields.values()):
            return declared
        guessed: dict[str, str] = {}
        for fname, spec in self.fields.items():
            ftype = (spec or {}).get("type", "text")
            if ftype == "site":
                guessed[fname] = "site"
            elif ftype in ("text", "textarea") and fname.endswith("地址"):
                guessed[fname] = "address"
        return guessed

    def customer_description(self) -> str | None:
        """The field holding the customer's own words (客户描述故障信息, 投诉内容, 咨询内容 …),
        declared by ``customer: description`` on one of the workflow's fields; None when the
        workflow has none. A definition where no field declares it (a version stored before the
        attribute) is read as before it: the first 多行文本 field the create step lets the agent
        write, which is wrong once another multi-line field comes first in the form (处理要求);
        importing a version with the mark puts that right. A subcategory's own fields are never
        it: intake carries the words between categories, not between their subcategories."""
        return self._customer_description

    @functools.cached_property
    def _customer_description(self) -> str | None:
        # worked out once per definition (frozen): every new order without a title asks, and the
        # walk over the fields was about a twentieth of the Python an order runs
        own = {f: s or {} for f, s in self.fields.items() if f not in self.extra_fields}
        declared = [f for f, spec in own.items() if holds_words(spec)]
        if declared:
            return declared[0]
        start = self.create_node
        return next(
            (
                f
                for f, s in own.items()
                if s.get("type") == "textarea" and start.permission(f) in ("editable", "required")
            ),
            None,
        )

    def opinion_field(self, node: Node) -> str | None:
        """The field that is ``node``'s 处理意见 (``opinion: true``) when the step lets the agent
        write it (editable or required), else None: the action's opinion is that field's value.
        A definition where no field declares ``opinion`` (a version stored before the attribute)
        reads a text field named 处理意见 (``OPINION_NAME``) so."""
        return next(
            (f for f in self._opinion_fields if self.permission(node, f) in ("editable", "required")),
            None,
        )

    @functools.cached_property
    def _opinion_fields(self) -> tuple[str, ...]:
        # the fields that may be a step's opinion, worked out once per definition (frozen): the
        # order view and every action taken at a step ask, and only the step's permission
        # differs between them, so only that is looked at each time
        marked = [f for f, s in self.fields.items() if "opinion" in (s or {})]
        if marked:
            candidates = [f for f in marked if (self.fields[f] or {}).get("opinion") is True]
        else:
            candidates = [OPINION_NAME] if OPINION_NAME in self.fields else []
        return tuple(f for f in candidates if (self.fields[f] or {}).get("type", "text") in OPINION_TYPES)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    @property
    def create_node(self) -> Node:
        return next(n for n in self.nodes if n.type == "create")


def parse_yaml(text: str) -> Definition:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = {"line": mark.line + 1, "column": mark.column + 1} if mark is not None else {}
        raise WorkflowInvalid([Problem("yaml_syntax", f"YAML syntax error: {exc}", **at)]) from exc
    if not isinstance(data, Mapping):
        raise WorkflowInvalid([("not_a_mapping", "a workflow definition must be a mapping")])
    return parse(data)


def parse(data: Mapping[str, Any], *, stored: bool = False) -> Definition:
    """Build and validate; raises WorkflowInvalid listing every problem found.

    ``stored``: a version already in the database. Checks added after it was imported
    (``bad_since``) do not apply to it, so an installation's running orders keep loading; the
    value they refuse is ignored instead, as it was when the version was stored.
    """
    problems: list[tuple[str, str]] = []

    def bad(error_id: str, message: str, **where: Any) -> None:
        problems.append(Problem(error_id, message, **where))

    def bad_since(error_id: str, message: str, **where: Any) -> None:
        if not stored:
            bad(error_id, message, **where)

    key = str(data.get("key") or "")
    if not key:
        bad("missing_key", "the workflow needs a 'key'")
    fields = dict(data.get("fields") or {})
    for fname, spec in fields.items():
        spec = spec or {}
        ftype = spec.get("type", "text")
        if ftype not in FIELD_TYPES:
            bad("unknown_field_type", f"field {fname!r} has unknown type {ftype!r}", field=fname, value=ftype)
        if ftype == "select" and not spec.get("options"):
            bad("select_without_options", f"select field {fname!r} has no options", field=fname)
        limits = [spec[k] for k in ("min", "max") if spec.get(k) is not None]
        if limits and (
            ftype != "number"
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in limits)
            or (len(limits) == 2 and limits[0] > limits[1])
        ):
            bad(
                "bad_number_limits",
                f"field {fname!r}: min/max are numbers (min ≤ max) on a number field",
                field=fname,
            )
        _check_time_rules(fname, spec, fields, bad_since)
        _check_default(fname, spec, bad_since)
        _check_crew_fills(fname, spec, fields, bad)
        _check_subcategory(fname, spec, bad_since)
        _check_customer(fname, spec, ftype, bad_since)
        _check_opinion(fname, spec, ftype, bad_since)
        fields[fname] = with_default_limit(spec)
    # a field that cannot hold them is refused as such (bad_customer_prefill), not counted here
    described = [f for f, spec in fields.items() if holds_words(spec)]
    if len(described) > 1:
        # which field an event's text fills, the title reads and the intake carries over must be one
        bad_since(
            "customer_description_twice",
            f"customer: description is on {len(described)} fields ({', '.join(described)}); "
            "only one field holds the customer's own words",
            value="、".join(described),
        )
    pattern = str(data.get("number_pattern", DEFAULT_PATTERN))
    try:
        validate_pattern(pattern)
    except Exception as exc:
        bad("bad_number_pattern", str(exc), value=pattern)
    else:
        try:
            check_length(pattern)
        except NumberingError as exc:
            # a rule added after versions were stored (49dd4a1): theirs keep loading and numbering
            bad_since("number_pattern_too_long", str(exc), value=pattern)
    nodes = [_parse_node(raw, fields, bad, bad_since) for raw in (data.get("nodes") or [])]
    for node in nodes:
        # a crew is dispatched to an order there is: once it is taken in (派工 follows 受理)
        for fname, perm in node.fields.items() if node.type == "create" else ():
            if (fields.get(fname) or {}).get("type") == "crew" and perm in ("editable", "required"):
                bad(
                    "crew_field_at_create",
                    f"{node.id}: crew field {fname!r} cannot be filled at the create step",
                    node=node.id,
                    field=fname,
                )
    for node in nodes:
        # the action's opinion is one field's words: two at one step could say different things
        writes = [
            f
            for f, perm in node.fields.items()
            if (fields.get(f) or {}).get("opinion") is True and perm in ("editable", "required")
        ]
        if len(writes) > 1:
            bad_since(
                "opinion_field_twice",
                f"{node.id}: {len(writes)} fields marked opinion ({', '.join(writes)}) can be written; "
                "a step has one 处理意见",
                node=node.id,
                value="、".join(writes),
            )
    _check_graph(nodes, bad)
    calendar = str(data.get("calendar", "business"))
    if calendar not in CALENDARS:
        bad("unknown_calendar", f"unknown calendar {calendar!r} (use business or 24x7)", value=calendar)
    _check_reminders(nodes, calendar, bad_since)
    title = data.get("title") or []
    title_fields = tuple(str(f) for f in (title if isinstance(title, (list, tuple)) else [title]))
    for fname in title_fields:
        if fname not in fields:
            bad("unknown_field", f"title uses unknown field {fname!r}", field=fname)
    if problems:
        raise WorkflowInvalid(problems)
    return Definition(
        key=key,
        name=str(data.get("name") or key),
        category=str(data.get("category") or key),
        nodes=tuple(nodes),
        fields=fields,
        number_pattern=pattern,
        calendar=calendar,
        title_fields=title_fields,
        raw=data,
    )


def _check_customer(fname: str, spec: Mapping[str, Any], ftype: str, bad: Any) -> None:
    """``customer:`` on a field says what of the customer it holds: ``address`` (a text field)
    or ``site`` (a site field), filled from the popped customer, or ``description`` (a text or
    multi-line field), the customer's own words."""
    meaning = spec.get("customer")
    if not meaning:
        return
    if meaning == CUSTOMER_DESCRIPTION:
        fits = ftype in DESCRIPTION_TYPES
    else:
        fits = meaning in CUSTOMER_PREFILL and (meaning == "site") == (ftype == "site")
    if not fits:
        bad(
            "bad_customer_prefill",
            f"field {fname!r}: customer is address (a text field), site (a site field) or "
            "description (a text or multi-line field)",
            field=fname,
            value=str(meaning),
        )


def _check_opinion(fname: str, spec: Mapping[str, Any], ftype: str, bad: Any) -> None:
    """``opinion: true`` marks a text or multi-line field as the step's 处理意见 (``OPINION_TYPES``)."""
    if "opinion" not in spec:
        return
    if not isinstance(spec.get("opinion"), bool) or (spec.get("opinion") and ftype not in OPINION_TYPES):
        bad(
            "bad_opinion_field",
            f"field {fname!r}: opinion is true or false, true only on a text or multi-line field",
            field=fname,
            value=str(spec.get("opinion")),
        )


def _check_crew_fills(fname: str, spec: Mapping[str, Any], fields: Mapping[str, Any], bad: Any) -> None:
    """``fills: {people: 抢修人员, phone: 班组电话, vehicle: 车辆}`` on a crew field: what of the
    picked crew (``CREW_FILLS``) goes into which of the form's text or phone fields."""
    if "fills" not in spec:
        return
    fills = spec["fills"]
    if spec.get("type") != "crew" or not isinstance(fills, Mapping):
        bad(
            "bad_crew_fills",
            f"field {fname!r}: fills maps a crew's {', '.join(CREW_FILLS)} to fields",
            field=fname,
        )
        return
    for part, target in fills.items():
        kind = (fields.get(target) or {}).get("type", "text") if isinstance(target, str) else None
        if part not in CREW_FILLS or target not in fields or kind not in ("text", "textarea", "phone"):
            bad(
                "bad_crew_fills",
                f"field {fname!r}: fills {part!r} must name a text or phone field of the form, not {target!r}",
                field=fname,
                value=str(target),
            )


def _check_subcategory(fname: str, spec: Mapping[str, Any], bad: Any) -> None:
    """``subcategory: {complaint_1: 一类, …}`` on a select field: each subcategory code names one
    of the field's options (``bad_subcategory_binding``)."""
    if "subcategory" not in spec:
        return
    values = spec["subcategory"]
    options = spec.get("options") or ()
    if (
        spec.get("type", "text") != "select"
        or not isinstance(values, Mapping)
        or any(v not in options for v in values.values())
    ):
        bad(
            "bad_subcategory_binding",
            f"field {fname!r}: subcategory maps subcategory codes to the select's options",
            field=fname,
        )


#: what a field may start from when a step shows it editable and empty (``default``): ``now``, a
#: datetime field's current time (派工时间: the dispatcher sends the crew as the step opens)
FIELD_DEFAULTS = {"now": "datetime"}


def _check_default(fname: str, spec: Mapping[str, Any], bad: Any) -> None:
    """``default: now`` on a datetime field: the page fills in the time it shows the step (the
    user may change it; the server holds it to the field's rules as if typed)."""
    if "default" not in spec:
        return
    default = spec["default"]
    if not isinstance(default, str) or FIELD_DEFAULTS.get(default) != spec.get("type", "text"):
        bad(
            "bad_field_default",
            f"field {fname!r}: default can only be 'now', on a datetime field",
            field=fname,
            value=str(default),
        )


def _check_time_rules(fname: str, spec: Mapping[str, Any], fields: Mapping[str, Any], bad: Any) -> None:
    """``not_before: [created, 到达时间]`` (the order's creation, earlier datetime fields) and
    ``not_after: now`` on a datetime field."""
    if "not_before" not in spec and "not_after" not in spec:
        return
    if spec.get("type", "text") != "datetime":
        bad("bad_time_rule", f"field {fname!r}: not_before / not_after are for datetime fields", field=fname)
        return
    refs = spec.get("not_before")
    refs = [] if refs is None else refs if isinstance(refs, list) else [refs]
    for ref in refs:
        other = fields.get(ref) if isinstance(ref, str) else None
        if ref != "created" and (
            ref == fname or (other or {}).get("type") != "datetime" or ref not in fields
        ):
            bad(
                "bad_time_rule",
                f"field {fname!r}: not_before {ref!r} must be 'created' or another datetime field",
                field=fname,
                value=str(ref),
            )
    if "not_after" in spec and spec["not_after"] != "now":
        bad(
            "bad_time_rule",
            f"field {fname!r}: not_after can only be 'now'",
            field=fname,
            value=str(spec["not_after"]),
        )


def _parse_node(
    raw: Mapping[str, Any], fields: Mapping[str, Any], bad_anywhere: Any, bad_since_anywhere: Any
) -> Node:
    node_id = str(raw.get("id") or "")
    where = f"node {node_id!r}"

    # every problem found here is in this step
    def bad(error_id: str, message: str, **where: Any) -> None:
        bad_anywhere(error_id, message, node=node_id or None, **where)

    def bad_since(error_id: str, message: str, **where: Any) -> None:
        bad_since_anywhere(error_id, message, node=node_id or None, **where)

    if not node_id:
        bad("node_without_id", "a node has no 'id'")
    ntype = raw.get("type")
    if ntype not in NODE_TYPES:
        bad(
            "unknown_node_type",
            f"{where} has unknown type {ntype!r} (use {', '.join(NODE_TYPES)})",
            value=str(ntype),
        )
    perms = dict(raw.get("fields") or {})
    required_when: dict[str, Mapping[str, Any]] = {}
    for fname, perm in perms.items():
        if fname not in fields:
            bad("unknown_field", f"{where} sets a permission on unknown field {fname!r}", field=fname)
        if isinstance(perm, Mapping):
            # {required_when: <condition>}: editable, and required while the condition holds
            condition = _required_when(perm, fname, fields, where, bad, bad_since)
            perms[fname] = "editable"
            if condition is not None:
                required_when[fname] = condition
            continue
        if perm not in PERMISSIONS:
            bad(
                "bad_permission",
                f"{where}: field {fname!r} has permission {perm!r} (use {', '.join(PERMISSIONS)})",
                field=fname,
                value=str(perm),
            )
    exits = []
    for number, ex in enumerate(raw.get("exits") or [], 1):
        # which exit: its place among the step's (1 = the first) and where it goes, as the
        # step editor lists them
        at = {"exit": number, "to": str(ex.get("to") or "")}
        kind = ex.get("kind", "normal")
        if kind == "reject" and ntype != "approve":
            bad(
                "reject_exit_not_on_approve",
                f"{where} is a {ntype} node and cannot have a reject exit",
                **at,
            )
        when = ex.get("when")
        if when is not None:
            try:
                check_condition(when)
            except ConditionError as exc:
                bad("bad_condition", f"{where}: exit {number}: {exc}", value=str(ex.get("to")), exit=number)
            else:
                # a rule added after versions were stored: theirs keep loading as they were
                for error_id, message, found in type_problems(when, fields):
                    bad_since(
                        error_id, f"{where}: exit {number} to {ex.get('to')!r}: {message}", **at, **found
                    )
            for fname in fields_in(when):
                if fname not in fields:
                    bad(
                        "unknown_field_in_condition",
                        f"{where}: exit {number} to {ex.get('to')!r} tests unknown field {fname!r}",
                        field=fname,
                        **at,
                    )
        exits.append(Exit(to=str(ex.get("to")), when=when, kind=kind, name=str(ex.get("name", ""))))
    ops = raw.get("operators") or {}
    mode = ops.get("mode", "any")
    if mode not in MODES:
        bad("bad_operator_mode", f"{where}: operator mode {mode!r} (use {', '.join(MODES)})", value=str(mode))
    batches = []
    for batch in ops.get("batches") or []:
        rules = tuple(batch if isinstance(batch, list) else [batch])
        for rule in rules:
            _check_rule(rule, fields, where, bad)
        batches.append(rules)
    if ntype in ("realize", "approve") and not batches and not raw.get("free_routing"):
        bad("no_operators", f"{where} has no operator rules")
    if raw.get("optional") and ntype in ("create", "archive"):
        bad("optional_not_allowed", f"{where}: a {ntype} node cannot be optional")
    spawn = tuple(raw.get("spawn") or ())
    for sp in spawn:
        if sp.get("when"):
            for fname in fields_in(sp["when"]):
                if fname not in fields:
                    bad(
                        "unknown_field_in_condition",
                        f"{where}: spawn tests unknown field {fname!r}",
                        field=fname,
                    )
    approve_name = raw.get("approve_name") or ""
    if approve_name and ntype != "approve":
        bad(
            "approve_name_not_on_approve", f"{where} is a {ntype} node: only an approve node has 批准 to name"
        )
    if not isinstance(approve_name, str) or len(approve_name) > 20:
        bad("bad_approve_name", f"{where}: approve_name must be a text of at most 20 characters")
        approve_name = ""
    status = str(raw.get("status") or raw.get("name") or node_id)
    if status == VOIDED_STATUS:
        # a rule added after versions were stored: theirs keep loading as they did
        bad_since(
            "reserved_status",
            f"{where}: status {status!r} is reserved for voided (作废) orders",
            value=status,
        )
    return Node(
        id=node_id,
        type=str(ntype),
        name=str(raw.get("name") or node_id),
        status=status,
        fields=perms,
        required_when=required_when,
        exits=tuple(exits),
        operators=tuple(batches),
        mode=mode,
        optional=bool(raw.get("optional", False)),
        free_routing=bool(raw.get("free_routing", False)),
        locks_category=bool(raw.get("locks_category", False)),
        sla=_parse_sla(raw.get("sla"), fields, where, bad, bad_since),
        spawn=spawn,
        contractor=_parse_contractor(raw.get("contractor"), ntype, fields, where, bad),
        approve_name=approve_name.strip(),
    )


def _required_when(
    perm: Mapping[str, Any], fname: str, fields: Mapping[str, Any], where: str, bad: Any, bad_since: Any
) -> Mapping[str, Any] | None:
    """A field's ``{required_when: {field: 大面积停电, eq: true}}`` at a step: a condition as an
    exit's ``when`` (``conditions.check_condition``) on the form's other fields; the field is
    editable there and required while the condition holds. ``bad_required_when`` names the step,
    the field and why (``reason``, for the step editor to say it at the field: ``tests``, the
    field the condition tests, and as an exit's the ``operator`` and ``value`` refused) otherwise.
    A comparison the tested field's type cannot answer (``conditions.type_problems``: 大面积停电
    ``eq: 是``, never true) is refused from now on; a version stored before keeps loading."""
    condition = perm.get("required_when")
    unknown = sorted(str(k) for k in perm if k != "required_when")
    problem, found = "", {}
    if unknown:
        problem = f"unknown keys {unknown} (a field's rule is a permission or {{required_when: <condition>}})"
        found = {"reason": "unknown_keys", "value": "、".join(unknown)}
    elif not isinstance(condition, Mapping) or not condition:
        problem = "required_when needs a condition such as {field: 大面积停电, eq: true}"
        found = {"reason": "no_condition"}
    else:
        try:
            check_condition(condition)
        except ConditionError as exc:
            problem, found = f"required_when: {exc}", {"reason": "malformed"}
        else:
            named = fields_in(condition)
            if fname in named:
                problem = "required_when cannot test the field itself"
                found = {"reason": "tests_itself", "tests": fname}
            elif missing := sorted(n for n in named if n not in fields):
                problem = f"required_when tests unknown field {missing[0]!r}"
                found = {"reason": "unknown_field", "tests": missing[0]}
    if problem:
        bad("bad_required_when", f"{where}: field {fname!r}: {problem}", field=fname, **found)
        return None
    reasons = {"condition_operator_not_for_type": "operator_not_for_type", "condition_bad_value": "bad_value"}
    for error_id, message, at in type_problems(condition, fields):
        tested = at.pop("field")
        bad_since(
            "bad_required_when",
            f"{where}: field {fname!r}: required_when {message}",
            field=fname,
            reason=reasons[error_id],
            tests=tested,
            **at,
        )
    return condition


def _parse_contractor(
    raw: Any, ntype: Any, fields: Mapping[str, Any], where: str, bad: Any
) -> Mapping[str, Any] | None:
    """外委: the node dispatches to the contractor chosen in a ``contractor`` field."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        bad("bad_contractor", f"{where}: contractor must be a mapping like {{field: 外委单位}}")
        return None
    if ntype != "realize":
        bad("contractor_not_on_realize", f"{where}: only a realize node can dispatch to a contractor")
    field = raw.get("field")
    if field not in fields:
        bad(
            "unknown_field_in_contractor",
            f"{where}: contractor field {field!r} is not a field of the form",
            field=str(field),
        )
    elif (fields[field] or {}).get("type") != "contractor":
        bad("contractor_field_type", f"{where}: field {field!r} must have type contractor", field=field)
    channels = raw.get("channels", list(CONTRACTOR_CHANNELS))
    if not isinstance(channels, list) or any(ch not in CONTRACTOR_CHANNELS for ch in channels):
        bad("bad_channel", f"{where}: contractor channels must be among {', '.join(CONTRACTOR_CHANNELS)}")
        channels = []
    unknown = set(raw) - {"field", "channels"}
    if unknown:
        bad(
            "bad_contractor",
            f"{where}: unknown contractor keys {sorted(unknown)}",
            value="、".join(sorted(map(str, unknown))),
        )
    return {"field": str(field), "channels": tuple(channels)}


def _check_rule(rule: Any, fields: Mapping[str, Any], where: str, bad: Any) -> None:
    if not isinstance(rule, Mapping) or not rule:
        bad("bad_operator_rule", f"{where}: operator rule {rule!r} must be a non-empty mapping")
        return
    unknown = set(rule) - RULE_KEYS - {"current_handlers"}
    if unknown:
        bad(
            "unknown_operator_rule",
            f"{where}: unknown operator rule keys {sorted(unknown)}",
            value="、".join(sorted(map(str, unknown))),
        )
    if "role" in rule:
        named = rule["role"] if isinstance(rule["role"], list) else [rule["role"]]
        for role in named:
            if role not in ROLES:
                # a step nobody can ever hold: the order would sit there unseen
                bad(
                    "unknown_role",
                    f"{where}: unknown role {role!r} (roles: {', '.join(ROLES)})",
                    value=str(role),
                )
    for key in ("site_field", "field_user"):
        if key in rule and rule[key] not in fields:
            bad(
                "unknown_field_in_operator",
                f"{where}: operator rule uses unknown field {rule[key]!r}",
                field=str(rule[key]),
            )


def _parse_notify(
    raw: Mapping[str, Any], fields: Mapping[str, Any], where: str, bad: Any, **at: Any
) -> Notify:
    """A reminder's or the overrun alert's who, how and how urgent; ``at`` says which (``reminder``:
    its place among the step's, from 1) in the problems found."""
    to = raw.get("notify") or raw.get("to") or {"current_handlers": True}
    rules = tuple(to if isinstance(to, list) else [to])
    for rule in rules:
        _check_rule(rule, fields, where, bad)
    channels = tuple(raw.get("channels") or ("screen",))
    for ch in channels:
        if ch not in CHANNELS:
            bad("bad_channel", f"{where}: unknown reminder channel {ch!r}", value=str(ch))
    urgency = raw.get("urgency", "normal")
    if urgency not in URGENCIES:
        bad("bad_urgency", f"{where}: unknown urgency {urgency!r}", value=str(urgency))
    templates = _notify_templates(raw.get("templates"), channels, where, bad, at)
    return Notify(to=rules, channels=channels, urgency=urgency, templates=templates)


def _notify_templates(
    raw: Any, channels: tuple[str, ...], where: str, bad: Any, at: Mapping[str, Any]
) -> dict[str, int | Mapping[str, str]]:
    """``templates: {sms: {category: complaint, node: handle}, email: …}``: the message template
    in 短信/邮件模板 each channel's text is rendered from when the reminder fires
    (``sla.SlaWorker``), named by its category and step (``TEMPLATE_REF_KEYS``), which an exported
    workflow carries to another installation; ``{sms: 12}``, this database's id, as versions
    stored before wrote it, is still read (an export writes it as category and step,
    ``store.export_definition``). A channel without one says the engine's words
    (``sla.reminder_text``). Whether it names a template the workflow may use needs the
    database: ``store.template_problems`` at import."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        bad(
            "bad_reminder_template",
            f"{where}: templates is a mapping like {{sms: {{category: complaint, node: handle}}}}",
            **at,
        )
        return {}
    out: dict[str, int | Mapping[str, str]] = {}
    for channel, template in raw.items():
        by_id = isinstance(template, int) and not isinstance(template, bool) and template > 0
        by_ref = (
            isinstance(template, Mapping)
            and set(template) == set(TEMPLATE_REF_KEYS)
            and all(isinstance(template[k], str) and template[k].strip() for k in TEMPLATE_REF_KEYS)
        )
        if channel not in TEMPLATE_CHANNELS:
            bad(
                "bad_reminder_template",
                f"{where}: a message template is picked for sms or email, not {channel!r}",
                channel=str(channel),
                **at,
            )
        elif not (by_id or by_ref):
            bad(
                "bad_reminder_template",
                f"{where}: the {channel} template is named by its category and step"
                f" ({{category: complaint, node: handle}}), not {template!r}",
                channel=channel,
                value=str(template),
                **at,
            )
        elif channel not in channels:
            bad(
                "reminder_template_channel_off",
                f"{where}: a {channel} template is picked but the reminder is not sent by {channel}",
                channel=channel,
                **at,
            )
        elif by_ref:
            out[channel] = {k: template[k].strip() for k in TEMPLATE_REF_KEYS}
        else:
            out[channel] = template
    return out


def _parse_sla(
    raw: Mapping[str, Any] | None, fields: Mapping[str, Any], where: str, bad: Any, bad_since: Any
) -> Sla | None:
    if not raw:
        return None
    limits = [raw.get("limit")] if raw.get("limit") else []
    limit_by = raw.get("limit_by")
    if limit_by:
        if limit_by.get("field") not in fields:
            bad(
                "unknown_field_in_sla",
                f"{where}: SLA limit depends on unknown field {limit_by.get('field')!r}",
                field=str(limit_by.get("field")),
            )
        limits += list((limit_by.get("values") or {}).values())
    if not limits:
        bad("sla_without_limit", f"{where}: SLA needs 'limit' or 'limit_by'")
    reminders = []
    for number, rem in enumerate(raw.get("reminders") or [], 1):
        if not isinstance(rem, Mapping):
            bad("bad_reminder", f"{where}: a reminder is a mapping like {{before: 15m}}")
            continue
        if "before" not in rem and "after" not in rem:
            bad(
                "bad_reminder",
                f"{where}: a reminder needs 'before' (the deadline) or 'after' (entering the step)",
            )
            continue
        if "before" in rem and "after" in rem:
            # before 'before' was read, a stored version's stray one was ignored: it still is
            bad_since("bad_reminder", f"{where}: a reminder has 'before' or 'after', not both")
        before = "before" in rem and "after" not in rem
        offset = rem["before"] if before else rem["after"]
        limits.append(offset)
        notify = _parse_notify(rem, fields, where, bad, reminder=number)
        reminders.append(Reminder(str(offset), notify, before))
    for limit in limits:
        if isinstance(limit, int | float) or str(limit).strip().isdigit():
            # YAML reads `limit: 30` as a number: minutes? hours? Refused with a unit asked for;
            # a version stored before this check runs it as minutes, as its import took it
            bad_since(
                "bad_duration",
                f"{where}: duration {limit!r} has no unit: write 30m, 4h or 2d",
                value=str(limit),
            )
            continue
        try:
            parse_duration(limit)
        except ConditionError as exc:
            bad("bad_duration", f"{where}: {exc}", value=str(limit))
    overrun = _parse_notify(raw["overrun"], fields, where, bad) if raw.get("overrun") else None
    action = raw.get("action")
    if action and action.get("type") not in AUTO_ACTIONS:
        bad(
            "unknown_sla_action",
            f"{where}: unknown automatic action {action.get('type')!r}",
            value=str(action.get("type")),
        )
    calendar = str(raw.get("calendar") or "")
    if calendar and calendar not in CALENDARS:
        # versions stored before this check ran on the workflow's calendar: they still do
        bad_since(
            "unknown_calendar",
            f"{where}: unknown calendar {calendar!r} (use business or 24x7)",
            value=calendar,
        )
        calendar = ""
    return Sla(
        limit=str(raw.get("limit", "")),
        limit_by=limit_by,
        reminders=tuple(reminders),
        overrun=overrun,
        action=action,
        calendar=calendar,
    )


def sla_limits(sla: Sla) -> list[str]:
    """Every limit the step can have: its ``limit`` and each of ``limit_by``'s values."""
    values = [str(v) for v in ((sla.limit_by or {}).get("values") or {}).values() if v]
    return [*values, sla.limit] if sla.limit else values


def _working(text: str, day: Any) -> Any:
    days, rest = parse_duration(text)
    return day * days + rest


def _check_reminders(nodes: list[Node], calendar: str, bad_since: Any) -> None:
    """A reminder that falls at or after the deadline of every limit the step can have would
    say 即将超期 once the step is late, or never: refused (``reminder_after_limit``). Working
    days count at the calendar's length (24 h round the clock, else the default business day;
    at run time the site's, where a reminder then at or after the deadline is left out). One that
    fits some of the limits of a ``limit_by`` reminds only orders given those
    (``sla.reminder_offset``). A version stored before this rule keeps loading: its reminders
    past the deadline are left out at run time."""
    from ticketing.sla import day_length

    for node in nodes:
        if node.sla is None or not node.sla.reminders:
            continue
        day = day_length(node.sla.calendar or calendar)
        try:
            limits = [_working(limit, day) for limit in sla_limits(node.sla)]
            for rem in node.sla.reminders:
                offset = _working(rem.offset, day)
                if limits and all(offset >= limit for limit in limits):
                    key = "before" if rem.before else "after"
                    bad_since(
                        "reminder_after_limit",
                        f"node {node.id!r}: reminder {key}: {rem.offset} is not within the step's time limit"
                        f" ({' / '.join(sla_limits(node.sla))})",
                        node=node.id,
                        value=f"{key}: {rem.offset}",
                    )
        except ConditionError:
            continue  # bad_duration says so


def _check_graph(nodes: list[Node], bad: Any) -> None:
    ids = [n.id for n in nodes]
    for dup in {i for i in ids if ids.count(i) > 1}:
        bad("duplicate_node", f"node id {dup!r} is used twice", node=dup)
    creates = [n for n in nodes if n.type == "create"]
    if not creates:
        bad("no_create_node", "the workflow has no create node")
    elif len(creates) > 1:
        bad("multiple_create_nodes", f"the workflow has {len(creates)} create nodes; exactly one is allowed")
    if not any(n.type == "archive" for n in nodes):
        bad("no_archive_node", "the workflow has no archive node")
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        for number, ex in enumerate(node.exits, 1):
            if ex.to not in by_id:
                bad(
                    "unknown_exit_target",
                    f"node {node.id!r}: exit {number} goes to unknown node {ex.to!r}",
                    node=node.id,
                    value=ex.to,
                    exit=number,
                )
        if node.type == "archive" and node.exits:
            bad("archive_has_exit", f"archive node {node.id!r} cannot have exits", node=node.id)
        if node.type != "archive" and not node.exits and not node.free_routing:
            bad("dead_end_node", f"node {node.id!r} has no exit", node=node.id)
        if node.optional and not any(ex.when is None and ex.kind == "normal" for ex in node.exits):
            bad(
                "optional_without_default_exit",
                f"optional node {node.id!r} needs an unconditional exit to skip to",
                node=node.id,
            )
    if len(creates) != 1:
        return
    seen, todo = set(), [creates[0].id]
    while todo:
        current = todo.pop()
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        node = by_id[current]
        todo += [ex.to for ex in node.exits]
        if node.free_routing:
            todo += ids  # free routing can reach anything
    for node in nodes:
        if node.id not in seen:
            bad("unreachable_node", f"node {node.id!r} cannot be reached from the create node", node=node.id)


def to_yaml(definition: Definition) -> str:
    return yaml.safe_dump(dict(definition.raw), allow_unicode=True, sort_keys=False)
