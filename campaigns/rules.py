"""The dialer's decisions, pure: when a campaign may call, what an outcome does to
a contact, how fast calls go out, and whether a number may be dialed at all.

Nothing here reads a clock or a database; callers pass ``now``, so the tests
drive every rule with a fake clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Iterable

from cti import phones
from cti.calendar import CalendarError, PeriodOrderError, WorkCalendar, parse_period
from cti.phones import DIALABLE, LISTED, InvalidPhoneNumber, checked, never_dial, readable
from ticketing.widths import fold_width

#: what the bridge's call events tell about an attempt
ANSWERED, BUSY, NO_ANSWER, FAILED = "answered", "busy", "no_answer", "failed"
#: the agent's own phone did not pick up: the customer was never dialed, not an attempt
AGENT_MISSED = "agent_missed"
#: predictive: the customer answered and no agent took the call (within CONNECT_WITHIN)
ABANDONED = "abandoned"
OUTCOMES = (ANSWERED, BUSY, NO_ANSWER, FAILED, AGENT_MISSED, ABANDONED)
#: outcomes a campaign may give its own retry delay
RETRY_OUTCOMES = (BUSY, NO_ANSWER, FAILED, ABANDONED)

#: seconds a customer's phone rings before the attempt is no_answer (per campaign)
DEFAULT_RING_SECONDS, MIN_RING_SECONDS, MAX_RING_SECONDS = 30, 5, 120
#: minutes a preview offer stays with its agent before it goes back to the list (per campaign):
#: long enough to read a script, short enough that a seat nobody watches holds no customer long
DEFAULT_OFFER_MINUTES, MIN_OFFER_MINUTES, MAX_OFFER_MINUTES = 5, 1, 60
#: pacing bounds: a typo (1000 for 1.0) must not let the dialer originate as fast as Asterisk
#: takes calls, nor call a customer a thousand times
MAX_ATTEMPTS = 10
MAX_IN_FLIGHT = 100
MAX_CALLS_PER_SECOND = 10
#: the page's least pace (its input's min): one call every 10 s; below it a typo (1e-9, 0.001)
#: stalls a campaign for years without a word
MIN_CALLS_PER_SECOND = 0.1

#: minutes before the next attempt when the campaign names none for the outcome
DEFAULT_RETRY_MINUTES = {BUSY: 5, NO_ANSWER: 30, FAILED: 60, ABANDONED: 10}

#: Asterisk's DIALSTATUS (DialEnd) -> outcome
DIAL_STATUS = {
    "ANSWER": ANSWERED,
    "BUSY": BUSY,
    "NOANSWER": NO_ANSWER,
    "CANCEL": NO_ANSWER,  # the ring timeout of the outbound context hung it up
    "CONGESTION": FAILED,
    "CHANUNAVAIL": FAILED,
    "DONTCALL": FAILED,
    "TORTURE": FAILED,
    "INVALIDARGS": FAILED,
}
#: Q.850 hangup causes, for calls whose DialEnd we did not see
CAUSE_OUTCOME = {17: BUSY, 18: NO_ANSWER, 19: NO_ANSWER, 21: FAILED, 34: FAILED, 38: FAILED, 1: FAILED}


def outcome_of(dial_status: str = "", *, answered: bool = False, hangup_cause: int = 0) -> str:
    """One attempt's outcome from what the bridge saw of it."""
    if answered:
        return ANSWERED
    if dial_status:
        return DIAL_STATUS.get(dial_status.upper(), FAILED)
    return CAUSE_OUTCOME.get(hangup_cause, FAILED)


# -- calling windows ------------------------------------------------------------------
def window_calendar(base: WorkCalendar, windows: Iterable[str]) -> WorkCalendar:
    """``base`` (the site's working days, holidays, make-up days) open only in ``windows``.

    A day the base calendar rests stays closed whatever the windows say, so a
    campaign never calls on a rest day; no windows: the base calendar's hours.
    """
    periods = tuple(sorted(parse_period(w) for w in windows))
    if not periods:
        return base
    hours = {day: periods for day, open_ in base.hours.items() if open_}
    return dataclasses.replace(base, hours=hours, makeup_hours=periods if base.makeup_hours else ())


def calling_calendar(base: WorkCalendar, windows: Iterable[str], every_day: bool = False) -> WorkCalendar:
    """When a campaign may call: ``window_calendar`` of ``base``, or, ``every_day``, of a calendar
    open every day of the week, holidays too (a 24×7 line's callbacks), in ``base``'s time zone."""
    if every_day:
        base = dataclasses.replace(WorkCalendar.always_open(), tz=base.tz)
    return window_calendar(base, windows)


class WindowError(ValueError):
    """Calling windows the dialer could not use; ``reason`` says why: ``format`` (not
    ``HH:MM-HH:MM``), ``order`` (the end is not after the start: a window lies within one
    day, it does not run past midnight) or ``overlap`` (two windows share a time)."""

    def __init__(self, reason: str, window: str = "") -> None:
        super().__init__(f"{reason}: {window}" if window else reason)
        self.reason = reason
        self.window = window


_WINDOW_SEPARATORS = re.compile(r"[,;\u3001]")  # after the width fold: ， ； and the ideographic 、
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_DASHES = str.maketrans({"~": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})


def normal_windows(windows: object) -> object:
    """Calling windows as a Chinese input method types them, as stored: full-width digits, colon,
    comma and hyphen read as ASCII (``ticketing.widths.fold_width``), several windows in one text
    split at ， 、 ; or a comma, spaces dropped, ``9:00`` as ``09:00``. What is still no window
    is kept as typed (trimmed) for ``check_windows`` to refuse by name; what is no list of texts
    is returned as it came, for the same."""
    if not isinstance(windows, list | tuple) or not all(isinstance(w, str) for w in windows):
        return windows
    out = []
    for text in windows:
        for part in _WINDOW_SEPARATORS.split(fold_width(text).translate(_DASHES)):
            part = "".join(part.split())
            found = _WINDOW.fullmatch(part)
            if found:
                part = f"{int(found[1]):02d}:{found[2]}-{int(found[3]):02d}:{found[4]}"
            if part:
                out.append(part)
    return out


def check_windows(windows: object) -> None:
    """Raises ``WindowError`` unless ``windows`` is a list of periods ``window_calendar`` takes."""
    if not isinstance(windows, list | tuple):
        raise WindowError("format", str(windows))
    for window in windows:
        if not isinstance(window, str):
            raise WindowError("format", str(window))
        try:
            parse_period(window)
        except PeriodOrderError:
            raise WindowError("order", window) from None
        except CalendarError:
            raise WindowError("format", window) from None
    try:
        window_calendar(WorkCalendar.always_open(), windows)
    except CalendarError:
        raise WindowError("overlap", ", ".join(windows)) from None


def may_call(calendar: WorkCalendar, now: dt.datetime) -> bool:
    return calendar.is_working_time(now)


# -- retries ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    retry_minutes: dict[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_RETRY_MINUTES))

    def delay(self, outcome: str) -> dt.timedelta:
        minutes = self.retry_minutes.get(outcome, DEFAULT_RETRY_MINUTES.get(outcome, 30))
        return dt.timedelta(minutes=float(minutes))


@dataclasses.dataclass(frozen=True)
class Next:
    """What becomes of a contact after an attempt."""

    state: str  # pending | done | failed
    attempts: int
    next_attempt_at: dt.datetime | None = None


def after_attempt(
    policy: RetryPolicy, attempts: int, outcome: str, now: dt.datetime, calendar: WorkCalendar
) -> Next:
    """``attempts`` counts the attempts before this one."""
    if outcome == AGENT_MISSED:
        return Next("pending", attempts, now)  # the customer's phone never rang
    attempts += 1
    if outcome == ANSWERED:
        return Next("done", attempts)
    return _retry(policy, attempts, outcome, now, calendar)


def _retry(
    policy: RetryPolicy, attempts: int, outcome: str, ended: dt.datetime, calendar: WorkCalendar
) -> Next:
    """An attempt that did not reach the customer, ended at ``ended``; ``attempts`` counts it."""
    if attempts >= policy.max_attempts:
        return Next("failed", attempts)
    # the retry lands in the next calling window, never at a rest time
    return Next("pending", attempts, calendar.next_working_instant(ended + policy.delay(outcome)))


def rescheduled(
    policy: RetryPolicy,
    attempts: int,
    next_attempt_at: dt.datetime | None,
    last_attempt: tuple[str, dt.datetime] | None,
    calendar: WorkCalendar,
) -> Next:
    """A pending contact once its campaign's settings changed: its last attempt ``(outcome,
    ended)`` decided again by ``after_attempt``'s rule under the new ``policy`` and ``calendar``
    (a shorter delay brings the retry forward, fewer attempts fail a contact that used them up).
    A contact waiting for another reason (never tried, its agent's phone missed, the customer
    asked to be called later) keeps its time, moved into the calling windows."""
    if last_attempt is not None and last_attempt[0] in RETRY_OUTCOMES:
        return _retry(policy, attempts, last_attempt[0], last_attempt[1], calendar)
    if next_attempt_at is None:
        return Next("pending", attempts)  # due whenever a window is open
    return Next("pending", attempts, calendar.next_working_instant(next_attempt_at))


# -- pacing ----------------------------------------------------------------------------
class Pacer:
    """At most ``max_in_flight`` calls at once and ``per_second`` new calls a second.

    A token bucket of one second's worth of calls; ``clock`` is monotonic seconds.
    """

    def __init__(self, max_in_flight: int, per_second: float, *, now: float) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self.per_second = max(0.01, per_second)
        self.in_flight: set[str] = set()
        self._tokens = self._capacity
        self._at = now

    @property
    def _capacity(self) -> float:
        return max(1.0, self.per_second)

    def configure(self, max_in_flight: int, per_second: float) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self.per_second = max(0.01, per_second)
        self._tokens = min(self._tokens, self._capacity)

    def _refill(self, now: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self.per_second)
        self._at = now

    def allowance(self, now: float) -> int:
        """How many calls may start now."""
        self._refill(now)
        return max(0, min(int(self._tokens), self.max_in_flight - len(self.in_flight)))

    def started(self, call_key: str, now: float) -> None:
        self._refill(now)
        self._tokens -= 1
        self.in_flight.add(call_key)

    def ended(self, call_key: str) -> None:
        self.in_flight.discard(call_key)

    def wait(self, now: float) -> float:
        """Seconds until the next token (0 if one is there)."""
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.per_second


def progressive_slots(ready_agents: int, allowance: int) -> int:
    """Progressive: one call per ready agent (an agent on a campaign call is not ready)."""
    return max(0, min(ready_agents, allowance))


# -- predictive ----------------------------------------------------------------------
#: a live answer not connected to an agent within this many seconds is abandoned (DOMAIN §9)
CONNECT_WITHIN = 2.0
#: the abandon cap: abandoned calls per live answer
ABANDON_CAP = 0.03
#: the most calls per ready agent predictive places, whatever the answer rate
MAX_DIAL_RATIO = 3.0


class AbandonTally:
    """Outcomes of one campaign's recent predictive calls (the last ``window`` live answers).

    ``rate`` is abandoned / live answers (the cap's measure); ``answer_rate`` is
    live answers / calls placed (how many calls it takes to reach one person).
    """

    def __init__(self, window: int = 200) -> None:
        self.window = window
        self._calls: list[tuple[bool, bool]] = []  # (answered, abandoned), oldest first

    def record(self, *, answered: bool, abandoned: bool = False) -> None:
        self._calls.append((answered, abandoned))
        if self.answered > self.window:
            first = next(n for n, (a, _) in enumerate(self._calls) if a)
            del self._calls[: first + 1]

    @property
    def answered(self) -> int:
        return sum(a for a, _ in self._calls)

    @property
    def abandoned(self) -> int:
        return sum(b for _, b in self._calls)

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def answer_rate(self) -> float:
        return self.answered / len(self._calls) if self._calls else 1.0


def record_predictive(tally: AbandonTally, outcome: str, *, late: bool = False) -> None:
    """One predictive call's end, as the cap counts it: taken late by an agent is abandoned too."""
    tally.record(answered=outcome in (ANSWERED, ABANDONED), abandoned=outcome == ABANDONED or late)


def predictive_slots(
    ready_agents: int, unconnected: int, tally: AbandonTally, allowance: int, cap: float = ABANDON_CAP
) -> int:
    """How many new predictive calls to place now.

    ``unconnected``: calls placed and not yet with an agent. One call per ready
    agent abandons nobody while the agent stays ready; it dials ahead of that (up
    to 1 / answer rate calls per ready agent, at most ``MAX_DIAL_RATIO``) only by
    as many calls as the cap still allows abandons, so even if every extra call
    were answered and abandoned, the rate would stay within ``cap``.
    """
    if ready_agents <= 0:
        return 0
    headroom = max(0, int(cap * (tally.answered + 1)) - tally.abandoned)
    ratio = min(MAX_DIAL_RATIO, 1.0 / max(tally.answer_rate, 1.0 / MAX_DIAL_RATIO))
    ahead = min(int(ready_agents * ratio) - ready_agents, headroom)
    return max(0, min(ready_agents + ahead - unconnected, allowance))


# -- do not call -----------------------------------------------------------------------
def dial_number(raw: str, default_area_code: str = "") -> str:
    """The normalised number of a contact any source brings (a caller ID kept as a callback or a
    missed call, a customer's stored number) or one looked up on the list, or raises
    ``InvalidPhoneNumber`` for no number at all (``cti.phones.readable``): a caller ID may be
    anything, and ``refusal`` says why a 95598 or a short one is never dialed."""
    return readable(raw, default_area_code)


def listed_number(raw: str, default_area_code: str = "") -> str:
    """A call list's number as the file has it, held to the numbering plan (``cti.phones.checked``,
    any kind: ``refusal`` names why a 95598 or a 110 row is left out); raises
    ``InvalidPhoneNumber`` whose ``problem`` says what is wrong (a mobile a digit short…)."""
    return checked(raw, default_area_code, LISTED)


def dnc_number(raw: str, default_area_code: str = "") -> str:
    """A number typed to go on the do-not-call list: one the dialer could call
    (``cti.phones.DIALABLE``); a 110, a 95598 or a 400 number is refused, naming why (the dialer
    never calls those anyway, whatever the list says), as is a mobile a digit short."""
    return checked(raw, default_area_code, DIALABLE)


#: why a number is never called, whichever source brought it (a list, a callback, a missed call,
#: a visit-back): the importer's reason code, and the state a generated contact is kept in
SERVICE_NUMBER, EMERGENCY_NUMBER, SHORT_CODE = phones.SERVICE, phones.EMERGENCY, phones.SHORT_CODE


def refusal(number: str) -> str:
    """Why no campaign may call this normalised number (an emergency number, a service number,
    another short code), or "" when one may: ``cti.phones.never_dial``, the rule fax and SMS
    sends ask too.

    Every source asks this one function: the importer rejects the row with the reason,
    ``store.add_contact`` keeps a generated contact in the reason's state (never dialed, counted),
    and the dialer asks again before each call (a contact added before the rule grew).
    """
    return never_dial(number)


def blocked(number: str, dnc: Collection[str], default_area_code: str = "") -> bool:
    """On the do-not-call list (compared normalised); an unusable number is blocked too."""
    try:
        return dial_number(number, default_area_code) in dnc
    except InvalidPhoneNumber:
        return True
