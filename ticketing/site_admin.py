"""单位管理: the site tree (总部 → 供电局 / 管理区 → 供电所) and each site's business hours.

Admins list, create, edit and delete sites. A site's business hours per weekday are its
``calendar`` (``{"hours": {"mon": ["08:30-12:00", "13:30-17:30"], ...}}``), read by the SLA
code (``ticketing.sla.calendar_for``) for every deadline of an order at that site, with the
national holidays and make-up days of ``cti/holidays_cn.yaml``. A site without its own hours
uses the default (Mon–Fri 08:30–12:00, 13:30–17:30).

Make-up working days (调休上班, a weekend day worked) count in the site's ``makeup_hours``
(the calendar key ``cti.calendar.WorkCalendar.from_dict`` reads); a site without them works
them in Monday's hours.

A site's own days, beyond the national table, are its calendar's ``holidays`` (本单位休息日: a
typhoon closure, a local holiday; no time counts that day, even a national make-up day) and
``workdays`` (本单位上班日: a day it works although a weekend or a national holiday, in its
make-up hours): ISO dates, sorted, none twice, no day in both. They are the site's alone (its
供电所 keep their own calendars, as they keep their own hours).

Moving a site under another parent rewrites the materialised ``path`` of the site and of
everything below it, so data-scope grants follow. A site that anything refers to (orders,
users, departments, customers, child sites…) cannot be deleted (``site_in_use``): it is
停用 instead (``enabled`` false, ``site.disable``; ``site.enable`` undoes it). A 停用 site
takes no new order (a site field naming it anew is ``field_site_disabled``), no new user
based at it, no contractor newly serving it, and is not offered in pickers; its orders and
users stay as they are, workable. The tree stays closed from the top down: a site is 停用 only
once every site below it is (``site_has_open_children``), and none is opened, created or moved
under a 停用 one (``site_parent_disabled``, ``parent_site_id: field_site_disabled``).
Every change is audited (entity ``site``); the directory cache (``ticketing.directory``) sees
it at once because it watches the ``Site`` model.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

import yaml
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cti.calendar import DEFAULT_HOURS, HOLIDAYS_CN, WEEKDAYS, CalendarError, expand_dates
from ticketing.audit import record, record_change
from ticketing.errors import ActionRefused, FieldErrors, clean_texts, require_admin
from ticketing.ids import known, whole
from ticketing.models import Base, Site, User
from ticketing.sites import in_tree_order

KINDS = ("hq", "branch", "bureau", "outlet")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$")
_EDITABLE = (
    "code",
    "name",
    "parent_site_id",
    "kind",
    "timezone",
    "hours",
    "makeup_hours",
    "holidays",
    "workdays",
    "enabled",
)
#: the calendar keys the form sets (the site's own days: ``OWN_DAYS``)
_CALENDAR_KEYS = ("hours", "makeup_hours", "holidays", "workdays")
#: 本单位休息日 / 本单位上班日: the site's own dates on top of the national holidays
OWN_DAYS = ("holidays", "workdays")
#: a year of dates each: more is a paste gone wrong, and every deadline's calendar carries them
MAX_OWN_DAYS = 366
#: 2026-09-15, 2026/9/15, 2026.9.15, 2026年9月15日
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def hours_of(site: Site) -> dict[str, list[str]]:
    """The site's business hours per weekday (its own, else the default ones)."""
    own = (site.calendar or {}).get("hours")
    if own is None:
        return {day: list(DEFAULT_HOURS) if i < 5 else [] for i, day in enumerate(WEEKDAYS)}
    return {day: list(own.get(day) or ()) for day in WEEKDAYS}


def makeup_hours_of(site: Site) -> list[str]:
    """The hours the site works a make-up day (调休上班) in: its own, else Monday's, as the
    calendar counts them."""
    own = (site.calendar or {}).get("makeup_hours")
    return list(own) if own is not None else hours_of(site)["mon"]


def own_days_of(site: Site, key: str) -> list[str]:
    """The site's own ``holidays`` or ``workdays`` (ISO dates, sorted), none when it has none; a
    ``{from, to}`` range written into the calendar by other means as its days."""
    days: set[dt.date] = set()
    for entry in (site.calendar or {}).get(key) or ():
        try:
            days |= expand_dates(entry)
        except CalendarError:
            continue  # not a date: the calendar engine refuses it as well
    return [d.isoformat() for d in sorted(days)]


def view(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "parent_site_id": site.parent_id,
        "path": site.path,
        "timezone": site.timezone,
        "hours": hours_of(site),
        "own_hours": bool(site.calendar and site.calendar.get("hours") is not None),
        "makeup_hours": makeup_hours_of(site),
        "own_makeup_hours": bool(site.calendar and site.calendar.get("makeup_hours") is not None),
        "holidays": own_days_of(site, "holidays"),
        "workdays": own_days_of(site, "workdays"),
        "enabled": site.enabled is not False,  # None: a new row before its flush
    }


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


def clean_hours(raw: Any, problems: dict[str, str]) -> dict[str, list[str]] | None:
    """Per weekday a list of ``HH:MM-HH:MM`` periods, each start before its end, none
    overlapping another of the day, at least one in the week; None for the default hours."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems["hours"] = "field_bad_hours"
        return None
    unknown = [k for k in raw if k not in WEEKDAYS]
    if unknown:
        problems["hours"] = "field_unknown_weekday"
        return None
    out: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        periods = clean_periods(raw.get(day), f"hours.{day}", problems)
        if periods is not None:
            out[day] = periods
    if not any(k.startswith("hours") for k in problems) and not any(out.values()):
        problems["hours"] = "field_no_hours"  # a deadline would never come
    return out


def clean_periods(raw: Any, name: str, problems: dict[str, str]) -> list[str] | None:
    """One day's ``HH:MM-HH:MM`` periods (a list, or text split at commas and spaces), sorted;
    None with ``problems[name]`` set when they cannot be used. Nothing given: closed that day."""
    periods = raw or []
    if isinstance(periods, str):
        periods = [p for p in re.split(r"[,，;；\s]+", periods) if p]
    if not isinstance(periods, list) or not all(isinstance(p, str) for p in periods):
        problems[name] = "field_bad_hours"
        return None
    periods = [p.strip().replace("：", ":").replace("－", "-").replace("—", "-") for p in periods]
    if not all(_PERIOD.match(p) for p in periods):
        problems[name] = "field_bad_hours"
        return None
    spans = sorted((_minutes(p[:5]), _minutes(p[6:])) for p in periods)
    if any(start >= end for start, end in spans):
        problems[name] = "field_hours_reversed"
        return None
    if any(nxt[0] < prev[1] for prev, nxt in zip(spans, spans[1:], strict=False)):
        problems[name] = "field_hours_overlap"
        return None
    return sorted(periods)


def clean_dates(raw: Any, name: str, problems: dict[str, str], rows: dict[str, int]) -> list[str] | None:
    """A list of dates (or text, one a line or split at commas), each written as 2026-09-15,
    2026/9/15 or 2026年9月15日, blanks skipped; the ISO dates sorted, or None with
    ``problems[name]`` set and ``rows[name]`` the 1-based entry (the form's line) at fault:
    ``field_bad_date``, ``field_date_repeated`` (the second of a date), ``field_too_many_dates``."""
    entries = raw if raw is not None else []
    if isinstance(entries, str):
        entries = re.split(r"\n|[,，;；、]", entries)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        problems[name] = "field_bad_date"
        return None
    seen: set[dt.date] = set()
    for row, entry in enumerate(entries, 1):
        text = entry.strip()
        if not text:
            continue
        found = _DATE.match(text)
        try:
            day = dt.date(*(int(g) for g in found.groups())) if found else None
        except ValueError:  # 2026-02-30
            day = None
        if day is None or not 2000 <= day.year <= 2099:
            problems[name], rows[name] = "field_bad_date", row
            return None
        if day in seen:
            problems[name], rows[name] = "field_date_repeated", row
            return None
        seen.add(day)
    if len(seen) > MAX_OWN_DAYS:
        problems[name] = "field_too_many_dates"
        return None
    return [d.isoformat() for d in sorted(seen)]


def _clean_own_days(
    values: Mapping[str, Any], current: Site | None, out: dict[str, Any], problems: dict[str, str]
) -> dict[str, int]:
    """本单位休息日 and 本单位上班日 into ``out``; the rows of ``problems`` found. A day cannot be
    both (the one sent, or either if both are, against the other as it is or will be stored):
    ``field_date_in_both`` on the list sent, at that day's row."""
    rows: dict[str, int] = {}
    for key in OWN_DAYS:
        if key in values:
            days = clean_dates(values[key], key, problems, rows)
            if key not in problems:
                out[key] = days
    if any(key in problems for key in OWN_DAYS):
        return rows
    after = {k: out[k] if k in out else (own_days_of(current, k) if current else []) for k in OWN_DAYS}
    both = set(after["holidays"]) & set(after["workdays"])
    if both:
        key = "workdays" if "workdays" in out else "holidays"
        raw = values[key]
        entries = re.split(r"\n|[,，;；、]", raw) if isinstance(raw, str) else raw
        day = min(both)
        problems[key] = "field_date_in_both"
        rows[key] = next(i for i, e in enumerate(entries, 1) if clean_dates([e], key, {}, {}) == [day])
    return rows


async def _cleaned(session: AsyncSession, values: Mapping[str, Any], current: Site | None) -> dict[str, Any]:
    problems: dict[str, str] = {}
    for name in set(values) - set(_EDITABLE):
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), {"code": 32, "name": 100}, problems)
    if current is not None and "code" in values and out.get("code", current.code) != current.code:
        # workflows, forms and operator rules name sites by code: a code is kept for good
        problems["code"] = "field_code_fixed"
    elif current is None:
        code = out.get("code", "")
        if "code" in problems:
            pass
        elif not code:
            problems["code"] = "field_required"
        elif not _CODE.match(code):
            problems["code"] = "field_bad_site_code"
        elif await session.scalar(select(Site.id).where(Site.code == code)):
            problems["code"] = "field_duplicate"
    if (current is None or "name" in values) and "name" not in problems and not out.get("name"):
        problems["name"] = "field_required"
    if "kind" in values:
        if values["kind"] not in KINDS:
            problems["kind"] = "field_bad_option"
        else:
            out["kind"] = values["kind"]
    if "timezone" in values:
        tz = values["timezone"]
        if not isinstance(tz, str) or tz.strip() not in _zones():
            problems["timezone"] = "field_bad_timezone"
        else:
            out["timezone"] = tz.strip()
    if "parent_site_id" in values:
        parent_id = values["parent_site_id"]
        if parent_id in (None, ""):
            out["parent_site_id"] = None
        elif not whole(parent_id):
            problems["parent_site_id"] = "field_not_number"
        else:
            parent = await session.get(Site, parent_id)
            if parent is None:
                problems["parent_site_id"] = "field_unknown_site"
            elif current is not None and parent.path.startswith(current.path):
                problems["parent_site_id"] = "field_parent_loop"  # itself or below it
            elif (
                not parent.enabled
                and parent.id != (current.parent_id if current else None)
                and values.get("enabled", current.enabled if current else True) is not False
            ):
                # an open site under a closed one would be routed new orders it should not get
                problems["parent_site_id"] = "field_site_disabled"
            else:
                out["parent_site_id"] = parent.id
    if "hours" in values:
        hours = clean_hours(values["hours"], problems)
        if not any(k.startswith("hours") for k in problems):
            out["hours"] = hours
    if "makeup_hours" in values:
        # None: Monday's hours; [] a site that does not work make-up days
        raw = values["makeup_hours"]
        periods = None if raw is None else clean_periods(raw, "makeup_hours", problems)
        if "makeup_hours" not in problems:
            out["makeup_hours"] = periods
    rows = _clean_own_days(values, current, out, problems)
    if "enabled" in values:
        if not isinstance(values["enabled"], bool):
            problems["enabled"] = "field_not_boolean"
        else:
            out["enabled"] = values["enabled"]
    if problems:
        raise FieldErrors(problems, rows={k: r for k, r in rows.items() if k in problems} or None)
    return out


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def _calendar_with(calendar: dict[str, Any] | None, key: str, value: Any) -> dict | None:
    """The site's calendar with ``key`` (``hours``, ``makeup_hours``, ``holidays``,
    ``workdays``) set to ``value`` (None: the default; no own days: none kept), its other keys
    kept."""
    rest = {k: v for k, v in (calendar or {}).items() if k != key}
    if value is None or (key in OWN_DAYS and not value):
        return rest or None
    return {**rest, key: value}


def _calendar_from(calendar: dict[str, Any] | None, out: Mapping[str, Any]) -> dict | None:
    """``calendar`` with the calendar keys ``out`` sets."""
    for key in _CALENDAR_KEYS:
        if key in out:
            calendar = _calendar_with(calendar, key, out[key])
    return calendar


async def get(session: AsyncSession, site_id: int) -> Site:
    return await known(session, Site, site_id, "site", "site")


async def listing(session: AsyncSession) -> list[Site]:
    return await in_tree_order(session, await session.scalars(select(Site)))


async def create(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> Site:
    require_admin(actor, "change the sites")
    out = await _cleaned(session, values, None)
    parent = await session.get(Site, out["parent_site_id"]) if out.get("parent_site_id") else None
    site = Site(
        code=out["code"],
        name=out["name"],
        kind=out.get("kind", "branch"),
        parent_id=parent.id if parent else None,
        timezone=out.get("timezone", "Asia/Shanghai"),
        calendar=_calendar_from(None, out),
        enabled=out.get("enabled", True),
    )
    session.add(site)
    await session.flush()
    site.path = f"{parent.path if parent else '/'}{site.id}/"
    await session.flush()
    await record(session, actor, "site.create", "site", site.id, after=view(site))
    return site


async def update_site(
    session: AsyncSession, actor: User | None, site_id: int, values: Mapping[str, Any]
) -> Site:
    require_admin(actor, "change the sites")
    site = await get(session, site_id)
    out = await _cleaned(session, values, site)
    changes = {k: v for k, v in out.items() if k not in (*_CALENDAR_KEYS, "parent_site_id", "code")}
    if "parent_site_id" in out:
        changes["parent_id"] = out["parent_site_id"]
    if any(key in out for key in _CALENDAR_KEYS):
        changes["calendar"] = _calendar_from(site.calendar, out)
    old_path = site.path
    if "parent_id" in changes and changes["parent_id"] != site.parent_id:
        parent = await session.get(Site, changes["parent_id"]) if changes["parent_id"] else None
        new_path = f"{parent.path if parent else '/'}{site.id}/"
        # the site and everything below it: grants on them keep covering the same sites
        for below in await session.scalars(
            select(Site).where(Site.path.startswith(old_path), Site.id != site.id)
        ):
            below.path = new_path + below.path[len(old_path) :]
        changes["path"] = new_path
    action = "site.update"
    if changes.get("enabled") is False and site.enabled:
        await _refuse_with_open_sites_below(session, site)
    elif changes.get("enabled") and not site.enabled:
        parent_id = changes.get("parent_id", site.parent_id)
        parent = await session.get(Site, parent_id) if parent_id else None
        if parent is not None and not parent.enabled:
            # the other way round of the rule above: 启用 the bureau before its 供电所
            raise ActionRefused(
                "site_parent_disabled",
                f"site {site.code} is under {parent.code}, which is disabled",
                sites=[parent.name],
            )
    if changes.get("enabled", site.enabled) != site.enabled:
        # 停用 / 启用 stand out in the audit log: what new orders may be routed to changes
        action = "site.enable" if changes["enabled"] else "site.disable"
    await record_change(session, actor, site, changes, view, action, "site")
    return site


async def _refuse_with_open_sites_below(session: AsyncSession, site: Site) -> None:
    """A site is 停用 only once every site below it is (``site_has_open_children``, naming them).

    Refused rather than cascaded: closing a bureau then takes the admin through its 供电所 one
    by one, each its own audited ``site.disable`` they chose, and nothing is closed that they
    did not see; an outlet left open would still be routed new orders under a closed bureau."""
    below = [
        s.name
        for s in await in_tree_order(
            session,
            await session.scalars(
                select(Site).where(
                    Site.path.startswith(site.path), Site.id != site.id, Site.enabled.is_(True)
                )
            ),
        )
    ]
    if below:
        raise ActionRefused(
            "site_has_open_children",
            f"site {site.code} has sites below it still enabled: {', '.join(below)}",
            sites=below,
        )


async def references(session: AsyncSession, site: Site) -> list[str]:
    """The tables whose rows refer to ``site`` (child sites included)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "sites" for fk in column.foreign_keys):
                if await session.scalar(select(exists().where(column == site.id))):
                    found.append(table.name)
                    break
    return found


async def delete(session: AsyncSession, actor: User | None, site_id: int) -> None:
    """Only a site nothing refers to; otherwise ``site_in_use`` naming what does (停用 it instead)."""
    require_admin(actor, "change the sites")
    site = await get(session, site_id)
    used = await references(session, site)
    if used:
        raise ActionRefused(
            "site_in_use", f"site {site.code} is referred to by {', '.join(used)}", tables=used
        )
    await record(session, actor, "site.delete", "site", site.id, before=view(site))
    await session.delete(site)
    await session.flush()


def holidays() -> list[dict[str, Any]]:
    """The national holidays and make-up working days every site calendar uses, per year,
    from ``cti/holidays_cn.yaml`` (``official: false``: a provisional year)."""
    data = yaml.safe_load(HOLIDAYS_CN.read_text(encoding="utf-8")) or {}
    years = []
    for year, entry in sorted((data.get("years") or {}).items()):
        years.append(
            {
                "year": int(year),
                "official": bool(entry.get("official", True)),
                "holidays": [
                    {
                        "name": h.get("name", ""),
                        "from": str(h["from"]),
                        "to": str(h["to"]),
                        "makeup": [str(d) for d in h.get("makeup") or ()],
                    }
                    for h in entry.get("holidays") or ()
                ],
            }
        )
    return years
