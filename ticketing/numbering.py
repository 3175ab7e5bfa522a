"""Readable, unique order numbers from configurable patterns.

A pattern is literal text with fields: ``{yyyy}`` ``{yy}`` ``{MM}`` ``{dd}`` (and
runs of them such as ``{yyyyMMdd}`` or ``{yyMM}``) rendered in the site's time
zone, and exactly one ``{seq:0N}`` (zero-padded to N digits). Examples:
``GZ{yyyyMMdd}{seq:05}`` → GZ2026112500001, ``RE{yy}{MM}{seq:04}`` → RE26110001.

The sequence counts per rendered prefix (so it restarts each day for a daily
pattern) in a ``counters`` row incremented with one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: two processes never get the same
value, and a counter never goes back, so numbers are never reused.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.errors import NumberingError
from ticketing.models import Counter, utcnow

_FIELD = re.compile(r"\{([^{}]*)\}")
_DATE_FIELD = re.compile(r"^(yyyy|yy|MM|dd)+$")
_SEQ = re.compile(r"^seq(?::0?(\d+))?$")
_DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d"}


def validate_pattern(pattern: str) -> None:
    seqs = 0
    for field in _FIELD.findall(pattern):
        if _SEQ.match(field):
            seqs += 1
        elif not _DATE_FIELD.match(field):
            raise NumberingError(f"unknown field {{{field}}} in number pattern {pattern!r}", pattern=pattern)
    if seqs != 1:
        raise NumberingError(f"number pattern {pattern!r} needs exactly one {{seq:0N}}", pattern=pattern)
    if "#" in pattern:
        raise NumberingError("'#' is reserved in number patterns", pattern=pattern)


def _render_date(field: str, day: dt.date) -> str:
    out = []
    for part in re.findall(r"yyyy|yy|MM|dd", field):
        out.append(day.strftime(_DATE_PARTS[part]))
    return "".join(out)


def render_prefix(pattern: str, when: dt.datetime) -> tuple[str, int]:
    """(the pattern with dates filled in and ``#`` for the sequence, the sequence width)."""
    return _render_day(pattern, when.date())


@functools.lru_cache(maxsize=256)
def _render_day(pattern: str, day: dt.date) -> tuple[str, int]:
    # Patterns only have day-sized fields, so a prefix is the same all day: rendered once.
    validate_pattern(pattern)
    width = 1

    def fill(match: re.Match[str]) -> str:
        nonlocal width
        field = match.group(1)
        seq = _SEQ.match(field)
        if seq:
            width = int(seq.group(1) or 1)
            return "#"
        return _render_date(field, day)

    return _FIELD.sub(fill, pattern), width


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Counter).values(key=bindparam("key"), value=1)
    return stmt.on_conflict_do_update(
        index_elements=[Counter.key], set_={"value": Counter.value + 1}
    ).returning(Counter.value)


# Built once: constructing the statement cost more than running it.
UPSERT = {"postgresql": _upsert("postgresql"), "sqlite": _upsert("sqlite")}


async def next_value(session: AsyncSession, key: str) -> int:
    """Atomically increment and return the counter ``key`` (created at 1)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return int((await session.execute(UPSERT[dialect], {"key": key})).scalar_one())


def number_prefix(pattern: str, now: dt.datetime | None = None, tz: str = "Asia/Shanghai") -> tuple[str, int]:
    """The counter key for an order numbered now (the prefix, ``#`` for the sequence) and its width."""
    return render_prefix(pattern, (now or utcnow()).astimezone(_zone(tz)))


def format_number(prefix: str, width: int, value: int) -> str:
    return prefix.replace("#", str(value).zfill(width))


@functools.lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


async def next_number(
    session: AsyncSession, pattern: str, *, now: dt.datetime | None = None, tz: str = "Asia/Shanghai"
) -> str:
    prefix, width = number_prefix(pattern, now, tz)
    return format_number(prefix, width, await next_value(session, prefix))
