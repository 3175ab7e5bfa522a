"""Reading request bodies and query parameters with clear refusals for bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_ui.errors import UiError
from ticketing.ids import parse_id


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise UiError("request.invalid", "body must be JSON") from None
    if not isinstance(body, dict):
        raise UiError("request.invalid", "body must be a JSON object")
    return body


def int_param(request: web.Request, name: str, default: int, *, low: int = 0, high: int = 10_000) -> int:
    raw = request.query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UiError("request.invalid", f"{name} must be a whole number", field=name) from None
    if not low <= value <= high:
        raise UiError("request.invalid", f"{name} must be between {low} and {high}", field=name)
    return value


#: the days a search may name: beyond them a day's start in the site's zone, or the day after
#: the last, is no datetime at all (0001-01-01 at +08:00 is before year 1 in UTC)
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2199, 12, 31)


def date_param(request: web.Request, name: str, default: dt.date | None = None) -> dt.date | None:
    """A ``YYYY-MM-DD`` query parameter; ``default`` when it is absent or empty."""
    raw = request.query.get(name, "")
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise UiError("request.invalid", f"{name} must be a date (YYYY-MM-DD)", field=name) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UiError("request.invalid", f"{name} must be between {FIRST_DAY} and {LAST_DAY}", field=name)
    return day


def day_start(day: dt.date, tz: str) -> dt.datetime:
    """The moment (UTC) a site's ``day`` begins: its local midnight in zone ``tz``; a search's
    ``to`` day ends where the next one begins."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz)).astimezone(dt.UTC)


def date_range(
    request: web.Request, default_from: dt.date | None = None, default_to: dt.date | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The ``from`` and ``to`` days of a search (reports, order lists, outage notices); a ``to``
    before its ``from`` is refused in words (``report.range_reversed``), never answered with an
    empty table."""
    first = date_param(request, "from", default_from)
    last = date_param(request, "to", default_to)
    if first is not None and last is not None and last < first:
        raise UiError("report.range_reversed", "to must not be before from", field="to")
    return first, last


def order_key(request: web.Request) -> int | str:
    """The ``{key}`` of an order's route (see ``parse_order_key``)."""
    return parse_order_key(request.match_info["key"])


def parse_order_key(raw: str) -> int | str:
    """An order's id when ``raw`` is all digits (ids are short), else its number."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else raw


def path_int(request: web.Request, name: str) -> int:
    """The row id in the route's ``{name}``: one that cannot name a row (not ASCII digits, 0,
    beyond 64 bits: ``ticketing.ids``) is simply not found."""
    value = parse_id(request.match_info.get(name))
    if value is None:
        raise UiError("not_found")
    return value
