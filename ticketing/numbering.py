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
import re
from zoneinfo import ZoneInfo

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


def _render_date(field: str, when: dt.datetime) -> str:
    out = []
    for part in re.findall(r"yyyy|yy|MM|dd", field):
        out.append(when.strftime(_DATE_PARTS[part]))
    return "".join(out)


def render_prefix(pattern: str, when: dt.datetime) -> tuple[str, int]:
    """(the pattern with dates filled in and ``#`` for the sequence, the sequence width)."""
    validate_pattern(pattern)
    width = 1

    def fill(match: re.Match[str]) -> str:
        nonlocal width
        field = match.group(1)
        seq = _SEQ.match(field)
        if seq:
            width = int(seq.group(1) or 1)
            return "#"
        return _render_date(field, when)

    return _FIELD.sub(fill, pattern), width


async def next_value(session: AsyncSession, key: str) -> int:
    """Atomically increment and return the counter ``key`` (created at 1)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Counter).values(key=key, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Counter.key], set_={"value": Counter.value + 1}
    ).returning(Counter.value)
    return int((await session.execute(stmt)).scalar_one())


async def next_number(
    session: AsyncSession, pattern: str, *, now: dt.datetime | None = None, tz: str = "Asia/Shanghai"
) -> str:
    local = (now or utcnow()).astimezone(ZoneInfo(tz))
    prefix, width = render_prefix(pattern, local)
    value = await next_value(session, prefix)
    return prefix.replace("#", str(value).zfill(width))
