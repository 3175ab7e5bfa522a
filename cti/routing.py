"""Inbound routing: which number goes where, when, and at what priority.

The configuration is data (``deploy/routing.yaml``), loaded and validated by
``cti.routing_config``; ``decide`` is a pure function of that configuration,
the called number (DNIS), the caller, the time and the caller's profile, so
every rule is testable without Asterisk. The FastAGI ``route`` script (ivr/)
turns a ``RoutingDecision`` into channel variables the dialplan acts on.

The caller's profile (VIP, open fault ticket in the last 24 h) comes from an
injected async hook (``ProfileLookup``) that ticketing implements; routing never
imports ticketing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

_frozen = dataclasses.dataclass(frozen=True, kw_only=True)

Action = Literal["queue", "ivr", "voicemail", "hangup", "fax"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@_frozen
class CallerProfile:
    """What routing may know about a caller; ticketing fills it in."""

    vip: bool = False
    open_fault_within_24h: bool = False
    customer_id: str = ""
    name: str = ""
    account_no: str = ""


ProfileLookup = Callable[[str], Awaitable[CallerProfile | None]]


class DayCalendar(Protocol):
    """The part of ``cti.calendar.WorkCalendar`` routing needs: is this date a working day
    (public holidays are not; adjusted working weekends 调休 are)."""

    def is_working_day(self, day: dt.date) -> bool: ...


class WeekdayCalendar:
    """Monday to Friday; used when no holiday calendar is configured."""

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5


@_frozen
class TimeWindow:
    start: dt.time
    end: dt.time | None  # None = until midnight ("24:00")

    def contains(self, t: dt.time) -> bool:
        return self.start <= t and (self.end is None or t < self.end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{'24:00' if self.end is None else f'{self.end:%H:%M}'}"


@_frozen
class BusinessHours:
    """Opening windows for working days and for rest days (weekends and holidays,
    as the calendar says). ``always`` means open around the clock (95598)."""

    name: str
    always: bool = False
    workdays: tuple[TimeWindow, ...] = ()
    restdays: tuple[TimeWindow, ...] = ()
    # Per-weekday windows (mon..sun): replace ``workdays`` on an ordinary working
    # weekday and ``restdays`` on a Saturday or Sunday off. A weekday public holiday
    # gets ``restdays``; a weekend made a working day (调休) gets ``workdays``.
    by_weekday: Mapping[str, tuple[TimeWindow, ...]] = dataclasses.field(default_factory=dict)

    def is_open(self, local: dt.datetime, calendar: DayCalendar) -> bool:
        if self.always:
            return True
        day = DAYS[local.weekday()]
        weekend = local.weekday() >= 5
        if calendar.is_working_day(local.date()):
            # A weekend made a working day (调休) keeps ordinary working-day hours.
            windows = self.workdays if weekend else self.by_weekday.get(day, self.workdays)
        elif weekend:
            windows = self.by_weekday.get(day, self.restdays)  # e.g. Saturday mornings
        else:
            windows = self.restdays  # a public holiday on a weekday
        t = local.time()
        return any(w.contains(t) for w in windows)


@_frozen
class Target:
    """Where a call goes: ``queue:NAME``, ``ivr:FLOW``, ``voicemail``, ``hangup`` or ``fax`` (received into the inbox)."""

    kind: Action
    name: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


@_frozen
class QueuePolicy:
    name: str
    timeout: int | None = None  # seconds in this queue before overflow; None = the dialplan's default
    overflow: Target | None = None  # queue:NAME or voicemail; also used when no agent is logged in


@_frozen
class Entry:
    """A hotline number (or several) and what happens to calls to it."""

    numbers: tuple[str, ...]
    target: Target
    hours: str = "always"
    after_hours: Target = Target(kind="voicemail")
    priority: int = 0
    label: str = ""
    survey: bool = False  # offer the post-call satisfaction survey (press 1-5)


@_frozen
class PriorityRule:
    """First matching rule wins. A rule may also send the call straight to a queue
    (VIP line) or refuse it (blacklist)."""

    name: str
    vip: bool | None = None
    open_fault_within_24h: bool | None = None
    callers: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()  # restrict to these DNIS
    priority: int = 0
    queue: str = ""
    hangup: bool = False

    def matches(self, dnis: str, caller: str, profile: CallerProfile | None) -> bool:
        if self.numbers and dnis not in self.numbers:
            return False
        if self.callers and caller not in self.callers:
            return False
        if self.vip is not None and (profile is None or profile.vip != self.vip):
            return False
        if self.open_fault_within_24h is not None and (
            profile is None or profile.open_fault_within_24h != self.open_fault_within_24h
        ):
            return False
        return True


@_frozen
class RoutingConfig:
    default_queue: str
    queues: Mapping[str, QueuePolicy]
    entries: Mapping[str, Entry]  # by DNIS
    hours: Mapping[str, BusinessHours]
    skills: Mapping[str, str] = dataclasses.field(default_factory=dict)  # skill -> queue
    rules: tuple[PriorityRule, ...] = ()
    timezone: str = "Asia/Shanghai"
    calendar: DayCalendar = dataclasses.field(default_factory=WeekdayCalendar)
    profile_timeout: float = 1.0

    @property
    def ivr_flows(self) -> frozenset[str]:
        """Every IVR flow the configuration refers to (the IVR checks they exist)."""
        names = set()
        for entry in self.entries.values():
            for target in (entry.target, entry.after_hours):
                if target.kind == "ivr":
                    names.add(target.name)
        return frozenset(names)

    @property
    def needs_profile(self) -> bool:
        return any(r.vip is not None or r.open_fault_within_24h is not None for r in self.rules)

    def staffed_hours(self, queue: str, dnis: str = "") -> BusinessHours:
        """The hours calls reach ``queue``: those of the line ``dnis`` (the number the caller
        rang), else of the lines sending calls straight to the queue, else of the lines whose
        IVR hands callers to queues; round the clock when any of them is (95598)."""
        entry = self.entries.get(dnis)
        lines = [entry] if entry is not None else []
        lines = lines or [e for e in self.entries.values() if str(e.target) == f"queue:{queue}"]
        lines = lines or [e for e in self.entries.values() if e.target.kind == "ivr"]
        hours = [self.hours.get(e.hours, BusinessHours(name=e.hours, always=True)) for e in lines]
        always = BusinessHours(name="always", always=True)
        if not hours or any(h.always for h in hours):
            return always
        return hours[0]

    def queue_for_skill(self, skill: str) -> str:
        return self.skills[skill]

    def overflow_for(self, queue: str) -> tuple[str, int | None, int | None]:
        """(HOTLINE_OVERFLOW, queue timeout, timeout in the overflow queue) for ``queue``."""
        policy = self.queues.get(queue)
        if policy is None or policy.overflow is None:
            return "", policy.timeout if policy else None, None
        overflow = str(policy.overflow)
        next_timeout = None
        if policy.overflow.kind == "queue":
            next_timeout = self.queues[policy.overflow.name].timeout
        return overflow, policy.timeout, next_timeout


@_frozen
class RoutingDecision:
    action: Action
    queue: str = ""
    ivr: str = ""
    priority: int = 0
    overflow: str = ""  # queue:NAME | voicemail | "" (the dialplan then goes to voicemail)
    queue_timeout: int | None = None
    overflow_timeout: int | None = None
    reason: str = ""
    customer_id: str = ""
    #: why a message is left (``HOTLINE_VM_REASON``): after_hours for a closed line's voicemail,
    #: and for its after-hours IVR flow, whose messages are after-hours ones too
    vm_reason: str = ""
    survey: bool = False


def decide(
    config: RoutingConfig,
    dnis: str,
    caller: str,
    now: dt.datetime,
    profile: CallerProfile | None = None,
) -> RoutingDecision:
    """Where the call to ``dnis`` from ``caller`` goes at ``now`` (aware datetime)."""
    customer_id = profile.customer_id if profile else ""
    rule = next((r for r in config.rules if r.matches(dnis, caller, profile)), None)
    if rule is not None and rule.hangup:
        return RoutingDecision(action="hangup", reason=f"rule {rule.name}", customer_id=customer_id)

    entry = config.entries.get(dnis)
    if entry is None:
        # A number nobody configured still reaches a person, with the caller's priority.
        why = f"unknown number {dnis}: default queue" + (f", rule {rule.name}" if rule else "")
        queue = rule.queue if rule is not None and rule.queue else config.default_queue
        return _to_queue(config, queue, rule.priority if rule else 0, why, customer_id)

    local = now.astimezone(ZoneInfo(config.timezone))
    if not config.hours[entry.hours].is_open(local, config.calendar):
        return _apply(
            config, entry.after_hours, 0, f"closed ({entry.hours})", customer_id, "after_hours", entry.survey
        )

    priority = max(entry.priority, rule.priority if rule else 0)
    why = f"entry {entry.label or dnis}" + (f", rule {rule.name}" if rule else "")
    # A fax machine's number may match a caller rule too; its tones must not ring an agent.
    if rule is not None and rule.queue and entry.target.kind != "fax":
        return _to_queue(config, rule.queue, priority, why, customer_id, entry.survey)
    return _apply(config, entry.target, priority, why, customer_id, "", entry.survey)


def _apply(
    config: RoutingConfig,
    target: Target,
    priority: int,
    reason: str,
    customer_id: str,
    vm_reason: str,
    survey: bool = False,
) -> RoutingDecision:
    if target.kind == "queue":
        return _to_queue(config, target.name, priority, reason, customer_id, survey)
    if target.kind == "ivr":
        return RoutingDecision(
            action="ivr",
            ivr=target.name,
            priority=priority,
            reason=reason,
            customer_id=customer_id,
            survey=survey,
            vm_reason=vm_reason,
        )
    return RoutingDecision(action=target.kind, reason=reason, customer_id=customer_id, vm_reason=vm_reason)


def _to_queue(
    config: RoutingConfig, queue: str, priority: int, reason: str, customer_id: str, survey: bool = False
) -> RoutingDecision:
    overflow, timeout, next_timeout = config.overflow_for(queue)
    return RoutingDecision(
        action="queue",
        queue=queue,
        priority=priority,
        overflow=overflow,
        queue_timeout=timeout,
        overflow_timeout=next_timeout,
        reason=reason,
        customer_id=customer_id,
        survey=survey,
    )


def queue_decision(
    config: RoutingConfig,
    queue: str,
    priority: int = 0,
    reason: str = "",
    customer_id: str = "",
    survey: bool = False,
) -> RoutingDecision:
    """The decision for sending a call to ``queue`` (the IVR uses it after a menu choice)."""
    return _to_queue(config, queue, priority, reason, customer_id, survey)
