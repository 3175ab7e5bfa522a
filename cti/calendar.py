"""Working time: business hours, public holidays and make-up working days (调休).

Time limits in a hotline count in working time ("general complaints within 1
working hour", "major within 7 working days"), and routing needs "are we open
now?". ``WorkCalendar`` answers both from data: opening periods per weekday,
a set of holiday dates (closed although a weekday) and a set of make-up days
(open although a weekend, with the ``makeup`` hours, by default Monday's).

Datetimes: an aware datetime is converted to the calendar's zone and results
come back in the input's zone; a naive datetime is taken as UTC (the database
stores UTC) and results come back naive UTC.

The Chinese holiday data ship in ``cti/holidays_cn.yaml``; ``WorkCalendar.china()``
loads them, ``WorkCalendar.always_open()`` is the 24x7 variant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

UTC = dt.UTC
HOLIDAYS_CN = Path(__file__).with_name("holidays_cn.yaml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = ("08:30-12:00", "13:30-17:30")
# A calendar without any open period would make add_working_time loop forever.
_MAX_DAYS = 3 * 366

Period = tuple[dt.time, dt.time]


class CalendarError(ValueError):
    """Calendar data that cannot be used (bad period, unknown weekday, no open hours)."""

    error_id = "calendar_invalid"


class PeriodOrderError(CalendarError):
    """A period written right whose end is not after its start (``20:00-09:00``)."""


def _parse_time(text: str) -> dt.time:
    if text in ("24:00", "24:00:00"):
        return dt.time.max
    return dt.time.fromisoformat(text)


def parse_period(text: str) -> Period:
    try:
        start, end = (part.strip() for part in str(text).split("-"))
        period = (_parse_time(start), _parse_time(end))
    except ValueError as exc:
        raise CalendarError(f"bad period {text!r}: expected 'HH:MM-HH:MM'") from exc
    if period[0] >= period[1]:
        raise PeriodOrderError(f"bad period {text!r}: start must be before end")
    return period


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarError(f"bad date {value!r}") from exc


def _date_range(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    hours: Mapping[int, tuple[Period, ...]] = dataclasses.field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    makeup_hours: tuple[Period, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        for periods in list(self.hours.values()) + [self.makeup_hours]:
            ordered = sorted(periods)
            for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
                if start < end:
                    raise CalendarError("overlapping business-hour periods")

    # construction -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: WorkCalendar | None = None) -> WorkCalendar:
        """Build from config data::

            timezone: Asia/Shanghai
            hours: {mon: ["08:30-12:00", "13:30-17:30"], ..., sat: [], sun: []}
            makeup_hours: ["08:30-12:00", "13:30-17:30"]   # default: Monday's
            holidays: [2026-01-01, {from: 2026-02-15, to: 2026-02-23}]
            workdays: [2026-01-04]
            include_holidays: cn          # also load the packaged Chinese holidays

        ``base`` provides holidays/workdays to extend. The data's own ``holidays`` and
        ``workdays`` win over those of ``base`` and ``include_holidays``: a site's typhoon
        closure on a national make-up day is closed, its own working day in a national holiday
        open.
        """
        tz_name = data.get("timezone", "Asia/Shanghai")
        try:
            tz = ZoneInfo(tz_name)
        except Exception as exc:
            raise CalendarError(f"unknown time zone {tz_name!r}") from exc
        raw_hours = data.get("hours")
        hours: dict[int, tuple[Period, ...]] = {}
        if raw_hours is None:
            for i in range(5):
                hours[i] = tuple(parse_period(p) for p in DEFAULT_HOURS)
        else:
            for key, periods in raw_hours.items():
                if str(key).lower()[:3] not in WEEKDAYS:
                    raise CalendarError(f"unknown weekday {key!r}")
                hours[WEEKDAYS.index(str(key).lower()[:3])] = tuple(parse_period(p) for p in periods or ())
        makeup = data.get("makeup_hours")
        makeup_hours = tuple(parse_period(p) for p in makeup) if makeup is not None else hours.get(0, ())
        holidays = set(base.holidays if base else ())
        workdays = set(base.workdays if base else ())
        if data.get("include_holidays") == "cn":
            cn = load_holiday_file(HOLIDAYS_CN)
            holidays |= cn[0]
            workdays |= cn[1]
        own_holidays = {d for entry in data.get("holidays") or () for d in expand_dates(entry)}
        own_workdays = {d for entry in data.get("workdays") or () for d in expand_dates(entry)}
        holidays = (holidays - own_workdays) | own_holidays
        workdays = (workdays - own_holidays) | own_workdays
        return cls(
            tz=tz,
            hours=hours,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            makeup_hours=makeup_hours,
            name=str(data.get("name", "")),
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> WorkCalendar:
        return cls.from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})

    @classmethod
    def china(
        cls, hours: Mapping[str, list[str]] | None = None, timezone: str = "Asia/Shanghai"
    ) -> WorkCalendar:
        """Mon–Fri business hours (default 08:30-12:00, 13:30-17:30) with Chinese holidays."""
        data: dict[str, Any] = {"timezone": timezone, "include_holidays": "cn", "name": "cn-business"}
        if hours is not None:
            data["hours"] = hours
        return cls.from_dict(data)

    @classmethod
    def always_open(cls, timezone: str = "Asia/Shanghai") -> WorkCalendar:
        """24x7: round-the-clock hotlines (fault repair lines never close)."""
        full = ((dt.time.min, dt.time.max),)
        return cls(tz=ZoneInfo(timezone), hours={i: full for i in range(7)}, makeup_hours=full, name="24x7")

    # queries ----------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.periods_on(day))

    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        if day in self.workdays:
            return self.makeup_hours
        if day in self.holidays:
            return ()
        return self.hours.get(day.weekday(), ())

    def _intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The day's open periods as aware UTC datetimes (half-open [start, end))."""
        out = []
        for start, end in self.periods_on(day):
            s = dt.datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            if end == dt.time.max:
                e = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)
            else:
                e = dt.datetime.combine(day, end, tzinfo=self.tz)
            out.append((s, e.astimezone(UTC)))
        out.sort()
        return out

    def is_working_time(self, when: dt.datetime) -> bool:
        moment = _to_utc(when)
        local_day = moment.astimezone(self.tz).date()
        return any(s <= moment < e for s, e in self._intervals(local_day))

    def next_working_instant(self, when: dt.datetime) -> dt.datetime:
        """``when`` itself if open, else the start of the next open period."""
        moment = _to_utc(when)
        day = moment.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for s, e in self._intervals(day):
                if moment < e:
                    return _back(max(s, moment), when)
            day += dt.timedelta(days=1)
        raise CalendarError("the calendar has no working time in the next three years")

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta | float | int) -> dt.datetime:
        """The instant when ``amount`` of working time (timedelta or minutes) has elapsed after ``start``.

        A limit that ends exactly at closing time is due at closing time, not the next morning.
        """
        remaining = amount if isinstance(amount, dt.timedelta) else dt.timedelta(minutes=amount)
        if remaining < dt.timedelta(0):
            raise CalendarError("cannot add a negative amount of working time")
        moment = _to_utc(start)
        if not remaining:
            return start
        day = moment.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for s, e in self._intervals(day):
                if e <= moment:
                    continue
                begin = max(s, moment)
                available = e - begin
                if remaining <= available:
                    return _back(begin + remaining, start)
                remaining -= available
                moment = e
            day += dt.timedelta(days=1)
        raise CalendarError("the calendar has no working time in the next three years")

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time in [a, b); negative if ``b`` is before ``a``."""
        start, end = _to_utc(a), _to_utc(b)
        if end < start:
            return -self.working_time_between(b, a)
        total = dt.timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            for s, e in self._intervals(day):
                lo, hi = max(s, start), min(e, end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def working_days(self, days: int) -> dt.timedelta:
        """A limit given in working days, as working time: ``days`` × Monday's open hours."""
        per_day = sum(
            (
                dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, s)
                for s, e in self.hours.get(0, ())
            ),
            dt.timedelta(0),
        )
        if per_day >= dt.timedelta(hours=23, minutes=59):
            per_day = dt.timedelta(days=1)
        return per_day * days


def expand_dates(entry: Any) -> set[dt.date]:
    """The days of a ``holidays`` / ``workdays`` entry: a date (or its ISO text), or a
    ``{from, to}`` range."""
    if isinstance(entry, Mapping):
        first = _as_date(entry.get("from"))
        last = _as_date(entry.get("to", entry.get("from")))
        return set(_date_range(first, last))
    return {_as_date(entry)}


def load_holiday_file(path: str | Path) -> tuple[set[dt.date], set[dt.date]]:
    """(holidays, make-up working days) from a holiday data file (see holidays_cn.yaml)."""
    holidays, workdays = _load_holiday_file(str(path))
    return set(holidays), set(workdays)


@functools.lru_cache(maxsize=16)
def _load_holiday_file(path: str) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    # Calendars are built per site and per SLA computation; the file is read once per process.
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for year in data.get("years", {}).values():
        for item in year.get("holidays", ()):
            holidays |= set(_date_range(_as_date(item["from"]), _as_date(item["to"])))
            workdays |= {_as_date(d) for d in item.get("makeup", ()) or ()}
    return frozenset(holidays), frozenset(workdays)


def _to_utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _back(moment: dt.datetime, like: dt.datetime) -> dt.datetime:
    if like.tzinfo is None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment.astimezone(like.tzinfo)
