"""Loading and validating the routing configuration (YAML).

Every problem is reported, not just the first, each with a stable ``error_id``
the console can translate and the place in the file it refers to::

    routing.unknown_queue at entries[2].target: queue 'faults' is not defined (known: fault, service)

The YAML shape is documented in ``deploy/routing.yaml``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti.configfile import ConfigError, ConfigProblem, ProblemCollector, load_yaml
from cti.phones import InvalidPhoneNumber, normalize
from cti.routing import (
    DAYS,
    BusinessHours,
    DayCalendar,
    Entry,
    PriorityRule,
    QueuePolicy,
    RoutingConfig,
    Target,
    TimeWindow,
    WeekdayCalendar,
)


class RoutingConfigError(ConfigError):
    pass


_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_TOP_KEYS = {
    "timezone",
    "default_queue",
    "profile_timeout",
    "hours",
    "queues",
    "skills",
    "entries",
    "priority_rules",
}
_ENTRY_KEYS = {"numbers", "target", "hours", "after_hours", "priority", "label", "survey"}
_RULE_KEYS = {"name", "when", "callers", "numbers", "priority", "queue", "hangup"}
_WHEN_KEYS = {"vip", "open_fault_within_24h"}


class _Checker(ProblemCollector):
    prefix = "routing"

    def number(self, value: Any, where: str, minimum: int = 0) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add("bad_value", where, f"expected a whole number >= {minimum}, got {value!r}")
            return None
        return value

    def window(self, text: Any, where: str) -> TimeWindow | None:
        start, sep, end = str(text).partition("-")
        start, end = start.strip(), end.strip()
        if not sep or not _TIME.match(start) or not (_TIME.match(end) or end == "24:00"):
            self.add("bad_time", where, f"expected HH:MM-HH:MM (00:00-24:00), got {text!r}")
            return None
        begin = dt.time.fromisoformat(start)
        finish = None if end == "24:00" else dt.time.fromisoformat(end)
        if finish is not None and finish <= begin:
            self.add("bad_time", where, f"window {text!r} ends before it starts")
            return None
        return TimeWindow(start=begin, end=finish)

    def windows(self, value: Any, where: str) -> tuple[TimeWindow, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.add("bad_time", where, f"expected a list of HH:MM-HH:MM windows, got {value!r}")
            return ()
        found = [self.window(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(w for w in found if w is not None)

    def target(self, value: Any, where: str, allowed: Iterable[str]) -> Target | None:
        text = str(value or "").strip()
        kind, _, name = text.partition(":")
        allowed = tuple(allowed)
        if (
            kind not in allowed
            or (kind in ("queue", "ivr") and not name)
            or (kind in ("voicemail", "hangup", "fax") and name)
        ):
            forms = ", ".join(f"{k}:NAME" if k in ("queue", "ivr") else k for k in allowed)
            self.add("bad_target", where, f"expected one of {forms}, got {value!r}")
            return None
        return Target(kind=kind, name=name)  # type: ignore[arg-type]


def parse_routing(
    raw: Any,
    source: str = "routing.yaml",
    *,
    calendar: DayCalendar | None = None,
    known_flows: Iterable[str] | None = None,
    known_queues: Iterable[str] | None = None,
) -> RoutingConfig:
    """Validate a parsed YAML document into a ``RoutingConfig`` or raise ``RoutingConfigError``.

    ``known_flows`` (the IVR's flow names) and ``known_queues`` (what Asterisk has)
    add cross-checks when given.
    """
    c = _Checker()
    top = c.mapping(raw, "file")
    c.unknown_keys(top, _TOP_KEYS, "file")

    timezone = str(top.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.add("bad_timezone", "timezone", f"unknown time zone {timezone!r}")

    hours = _parse_hours(c, top.get("hours"))
    queues = _parse_queues(c, top.get("queues"))
    if known_queues is not None:
        missing = sorted(set(queues) - set(known_queues))
        for name in missing:
            c.add("unknown_queue", f"queues.{name}", f"queue {name!r} does not exist in Asterisk")

    def check_queue(name: str, where: str) -> None:
        if name not in queues:
            c.add(
                "unknown_queue", where, f"queue {name!r} is not defined (known: {', '.join(sorted(queues))})"
            )

    default_queue = str(top.get("default_queue", "service"))
    check_queue(default_queue, "default_queue")
    for name, policy in queues.items():
        if policy.overflow is not None and policy.overflow.kind == "queue":
            check_queue(policy.overflow.name, f"queues.{name}.overflow")
    _check_overflow_loops(c, queues)

    skills = {}
    for skill, queue in c.mapping(top.get("skills"), "skills").items():
        skills[str(skill)] = str(queue)
        check_queue(str(queue), f"skills.{skill}")

    entries = _parse_entries(c, top.get("entries"), hours, check_queue)
    rules = _parse_rules(c, top.get("priority_rules"), check_queue)

    profile_timeout = top.get("profile_timeout", 1.0)
    if (
        isinstance(profile_timeout, bool)
        or not isinstance(profile_timeout, int | float)
        or profile_timeout <= 0
    ):
        c.add("bad_value", "profile_timeout", f"expected seconds > 0, got {profile_timeout!r}")
        profile_timeout = 1.0

    config = RoutingConfig(
        default_queue=default_queue,
        queues=queues,
        entries=entries,
        hours=hours,
        skills=skills,
        rules=tuple(rules),
        timezone=timezone,
        calendar=calendar or WeekdayCalendar(),
        profile_timeout=float(profile_timeout),
    )
    if known_flows is not None:
        flows = set(known_flows)
        for name in sorted(config.ivr_flows - flows):
            c.add(
                "unknown_flow",
                "entries",
                f"IVR flow {name!r} is not defined (known: {', '.join(sorted(flows))})",
            )
    if c.problems:
        raise RoutingConfigError(source, c.problems)
    return config


def load_routing(path: str | Path, **kwargs: Any) -> RoutingConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutingConfigError(str(path), [ConfigProblem("routing.unreadable", "file", str(exc))]) from exc
    return parse_routing(load_yaml(text, "routing.yaml", RoutingConfigError), str(path), **kwargs)


def _parse_hours(c: _Checker, raw: Any) -> dict[str, BusinessHours]:
    hours = {"always": BusinessHours(name="always", always=True)}
    for name, body in c.mapping(raw, "hours").items():
        where = f"hours.{name}"
        if body in ("always", "24x7"):
            hours[str(name)] = BusinessHours(name=str(name), always=True)
            continue
        body = c.mapping(body, where)
        c.unknown_keys(body, {"workdays", "restdays", *DAYS}, where)
        hours[str(name)] = BusinessHours(
            name=str(name),
            workdays=c.windows(body.get("workdays"), f"{where}.workdays"),
            restdays=c.windows(body.get("restdays"), f"{where}.restdays"),
            by_weekday={d: c.windows(body[d], f"{where}.{d}") for d in DAYS if d in body},
        )
    return hours


def _parse_queues(c: _Checker, raw: Any) -> dict[str, QueuePolicy]:
    queues: dict[str, QueuePolicy] = {}
    body = c.mapping(raw, "queues")
    if not body:
        c.add("missing_field", "queues", "at least one queue must be defined")
    for name, spec in body.items():
        where = f"queues.{name}"
        if str(name).lower() == "general":
            # app_queue reads [general] as its global settings: such a queue never exists.
            c.add("reserved_queue_name", where, "'general' cannot be a queue name in Asterisk (queues.conf)")
        spec = c.mapping(spec, where)
        c.unknown_keys(spec, {"timeout", "overflow"}, where)
        timeout = c.number(spec["timeout"], f"{where}.timeout", 1) if "timeout" in spec else None
        overflow = None
        if spec.get("overflow") is not None:
            overflow = c.target(spec["overflow"], f"{where}.overflow", ("queue", "voicemail"))
            if overflow is not None and overflow.kind == "queue" and overflow.name == str(name):
                c.add("overflow_loop", f"{where}.overflow", f"queue {name!r} overflows to itself")
                overflow = None
        queues[str(name)] = QueuePolicy(name=str(name), timeout=timeout, overflow=overflow)
    return queues


def _check_overflow_loops(c: _Checker, queues: dict[str, QueuePolicy]) -> None:
    reported: set[frozenset[str]] = set()
    for start in queues:
        chain = [start]
        current = queues[start]
        while current.overflow is not None and current.overflow.kind == "queue":
            nxt = current.overflow.name
            if nxt not in queues:
                break
            if nxt in chain:
                loop = chain[chain.index(nxt) :]
                if frozenset(loop) not in reported and len(loop) > 1:
                    reported.add(frozenset(loop))
                    c.add(
                        "overflow_loop",
                        f"queues.{start}.overflow",
                        "overflow loop: " + " -> ".join(loop + [nxt]),
                    )
                break
            chain.append(nxt)
            current = queues[nxt]


def _parse_entries(c: _Checker, raw: Any, hours: dict, check_queue) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    first_seen: dict[str, str] = {}
    if not isinstance(raw, list) or not raw:
        c.add("missing_field", "entries", "expected a non-empty list of entries")
        return entries
    for i, body in enumerate(raw):
        where = f"entries[{i}]"
        body = c.mapping(body, where)
        c.unknown_keys(body, _ENTRY_KEYS, where)
        numbers = body.get("numbers")
        if isinstance(numbers, str | int):
            numbers = [numbers]
        if not isinstance(numbers, list) or not numbers:
            c.add("missing_field", f"{where}.numbers", "an entry needs at least one number (DNIS)")
            numbers = []
        numbers = [str(n).strip() for n in numbers]
        target = c.target(
            body.get("target"), f"{where}.target", ("queue", "ivr", "voicemail", "hangup", "fax")
        )
        after = c.target(
            body.get("after_hours", "voicemail"),
            f"{where}.after_hours",
            ("ivr", "voicemail", "hangup", "queue", "fax"),
        )
        for t, field in ((target, "target"), (after, "after_hours")):
            if t is not None and t.kind == "queue":
                check_queue(t.name, f"{where}.{field}")
        hours_name = str(body.get("hours", "always"))
        if hours_name not in hours:
            c.add(
                "unknown_hours",
                f"{where}.hours",
                f"hours {hours_name!r} not defined (known: {', '.join(sorted(hours))})",
            )
        priority = c.number(body.get("priority", 0), f"{where}.priority") or 0
        survey = body.get("survey", False)
        if not isinstance(survey, bool):
            c.add("bad_value", f"{where}.survey", f"expected true or false, got {survey!r}")
            survey = False
        if target is None or after is None:
            continue
        entry = Entry(
            numbers=tuple(numbers),
            target=target,
            hours=hours_name,
            after_hours=after,
            priority=priority,
            label=str(body.get("label", "")),
            survey=survey,
        )
        for number in numbers:
            if number in first_seen:
                c.add(
                    "duplicate_number",
                    f"{where}.numbers",
                    f"number {number} is already mapped by {first_seen[number]}",
                )
                continue
            first_seen[number] = where
            entries[number] = entry
    return entries


def _parse_rules(c: _Checker, raw: Any, check_queue) -> list[PriorityRule]:
    rules: list[PriorityRule] = []
    if raw is None:
        return rules
    if not isinstance(raw, list):
        c.add("bad_value", "priority_rules", "expected a list of rules")
        return rules
    for i, body in enumerate(raw):
        where = f"priority_rules[{i}]"
        body = c.mapping(body, where)
        c.unknown_keys(body, _RULE_KEYS, where)
        when = c.mapping(body.get("when"), f"{where}.when")
        c.unknown_keys(when, _WHEN_KEYS, f"{where}.when")
        for key in _WHEN_KEYS & set(when):
            if not isinstance(when[key], bool):
                c.add("bad_value", f"{where}.when.{key}", f"expected true or false, got {when[key]!r}")
        queue = str(body.get("queue") or "")
        if queue:
            check_queue(queue, f"{where}.queue")
        priority = c.number(body.get("priority", 0), f"{where}.priority") or 0
        if not (when or body.get("callers") or body.get("numbers")):
            c.add("missing_field", where, "a rule needs a condition (when, callers or numbers)")
        rules.append(
            PriorityRule(
                name=str(body.get("name") or f"rule{i + 1}"),
                vip=when.get("vip") if isinstance(when.get("vip"), bool) else None,
                open_fault_within_24h=when.get("open_fault_within_24h")
                if isinstance(when.get("open_fault_within_24h"), bool)
                else None,
                callers=_callers(c, body.get("callers"), f"{where}.callers"),
                numbers=frozenset(str(n) for n in body.get("numbers") or ()),
                priority=priority,
                queue=queue,
                hangup=bool(body.get("hangup", False)),
            )
        )
    return rules


def _callers(c: _Checker, raw: Any, where: str) -> frozenset[str]:
    out = set()
    for i, number in enumerate(raw or ()):
        try:
            out.add(normalize(str(number)))
        except InvalidPhoneNumber:
            c.add("bad_value", f"{where}[{i}]", f"not a phone number: {number!r}")
    return frozenset(out)
