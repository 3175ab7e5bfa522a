"""Readable, unique order numbers from configurable patterns.

A pattern is literal text with fields: ``{yyyy}`` ``{yy}`` ``{MM}`` ``{dd}`` (and
runs of them such as ``{yyyyMMdd}`` or ``{yyMM}``) rendered in the site's time
zone, and exactly one ``{seq:0N}`` (zero-padded to N digits). Examples:
``GZ{yyyyMMdd}{seq:05}`` → GZ2026112500001, ``RE{yy}{MM}{seq:04}`` → RE26110001.

The sequence counts per rendered prefix (so it restarts each day for a daily
pattern) in a ``counters`` row incremented with one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: two processes never get the same
value, and a counter never goes back, so numbers are never reused.

Where the increment runs differs by database, for the same reason: the counter row is
locked from the increment until its transaction ends.

* SQLite has one writer at a time anyway: the increment runs in the caller's transaction,
  so an order that rolls back gives its number back and the numbers have no holes.
* PostgreSQL takes the number in a short transaction of its own: a new order's on its own
  connection, in one simple query with the order's ``BEGIN`` (``begin_sql``: one round trip
  for both), or, when a statement has begun the order's transaction already, on a few
  connections kept for it (``take``, ``db.DriverPool``). In the order's transaction the row stayed locked through the
  whole insert, its foreign-key checks and the caller's COMMIT, and every other order of
  the day queued behind it (about a third of the orders per second with 8 in flight). A
  number whose order then rolls back is not handed out again: DOMAIN.md asks for numbers
  that are unique and never reused, not for numbers without holes. These transactions
  commit without waiting for the WAL to reach the disk (``synchronous_commit = off``): an
  order that uses the number commits after them and waits for the WAL up to its own commit,
  which holds the increment, so a number on a committed order is always on the disk too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import weakref
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from ticketing.db import DriverPool
from ticketing.errors import NumberingError
from ticketing.models import Counter, WorkOrder, utcnow

_FIELD = re.compile(r"\{([^{}]*)\}")
_DATE_FIELD = re.compile(r"^(yyyy|yy|MM|dd)+$")
_SEQ = re.compile(r"^seq(?::0?(\d+))?$")
_DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d"}

#: the longest order number the database holds (``work_orders.number``)
NUMBER_LENGTH: int = WorkOrder.__table__.c.number.type.length


def validate_pattern(pattern: str) -> None:
    """Refuse a pattern that cannot number orders at all: unknown fields, not exactly one
    ``{seq:0N}``, ``#``. Checked everywhere a pattern is used, stored ones included (rendering
    a number, the clash check); the length of its numbers is a rule for new patterns only
    (``check_length``)."""
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


def check_length(pattern: str) -> None:
    """Refuse a new pattern (a workflow import, a category's pattern set by an admin) whose
    numbers do not fit ``work_orders.number`` (``NUMBER_LENGTH``): its literal text, dates and
    sequence at its padding (``longest_number``), so absurd widths such as ``{seq:99999999}``
    too. Raises ``NumberingError`` with ``problem="number_pattern_too_long"``. Not applied to
    patterns already stored: a version imported before this rule, or a category's pattern in
    the database, keeps loading and numbering as it did."""
    longest = longest_number(pattern)
    if longest > NUMBER_LENGTH:
        raise NumberingError(
            f"number pattern {pattern!r} gives numbers of {longest} characters;"
            f" an order number holds at most {NUMBER_LENGTH}",
            pattern=pattern,
            problem="number_pattern_too_long",
        )


def validate_new_pattern(pattern: str) -> None:
    """``validate_pattern`` and ``check_length``: what a pattern set now must pass."""
    validate_pattern(pattern)
    check_length(pattern)


def longest_number(pattern: str) -> int:
    """How long the numbers of ``pattern`` (a valid one) are: its literal text, its dates and
    its sequence at its padding. The sequence is counted at its padding, not at some growth
    allowance: it only outgrows its padding after 10^N orders under one prefix (a million in
    one day for ``{yyyyMMdd}{seq:06}``), and counting more refused patterns that number every
    day (``GDPG-GZ-PANYU-HUANANSERV-{yyyyMMdd}{seq:06}``, 39 characters, was counted as 41).
    A pattern at the limit whose sequence does outgrow its padding (a narrow one, or one with no
    date, whose counter never restarts) then gives a number PostgreSQL refuses: the padding is
    the admin's statement of the volume, as it is for the numbers' look."""
    length = 0
    for kind, value in _parts(pattern):
        if kind == "seq":
            length += int(value)
        elif kind == "date":
            length += sum(_DATE_WIDTHS[p] for p in re.findall(r"yyyy|yy|MM|dd", value))
        else:
            length += len(value)
    return length


_DATE_WIDTHS = {"yyyy": 4, "yy": 2, "MM": 2, "dd": 2}


def _parts(pattern: str) -> list[tuple[str, str]]:
    """The pattern as ("text", literal) / ("date", "yyyyMMdd") / ("seq", width) parts, adjacent
    literals and adjacent date fields merged (``{yyyy}{MM}{dd}`` is ``{yyyyMMdd}``)."""
    parts: list[tuple[str, str]] = []
    at = 0
    for match in _FIELD.finditer(pattern):
        parts.append(("text", pattern[at : match.start()]))
        seq = _SEQ.match(match.group(1))
        parts.append(("seq", seq.group(1) or "1") if seq else ("date", match.group(1)))
        at = match.end()
    parts.append(("text", pattern[at:]))
    merged: list[tuple[str, str]] = []
    for kind, value in parts:
        if merged and kind == merged[-1][0] and kind != "seq":
            merged[-1] = (kind, merged[-1][1] + value)
        elif kind != "text" or value:
            merged.append((kind, value))
    return merged


def shares_counter(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` render the same counter key every day (the same literal text and
    date fields in the same places; the sequence's width may differ): their numbers come from
    one counter, so they can never repeat each other's."""
    strip = [[(k, "" if k == "seq" else v) for k, v in _parts(p)] for p in (a, b)]
    return strip[0] == strip[1]


def _shape(pattern: str) -> tuple[str, list[tuple[int, float]]]:
    """What every number of ``pattern`` looks like: its non-digit characters in order, and the
    possible lengths (fewest, most) of the run of digits before, between and after them. A date
    field is its digits, a literal digit one digit, ``{seq:0N}`` N digits or more (it outgrows
    its padding)."""
    letters, runs = "", [(0, 0.0)]

    def digits(low: int, high: float) -> None:
        runs[-1] = (runs[-1][0] + low, runs[-1][1] + high)

    for kind, value in _parts(pattern):
        if kind == "seq":
            digits(int(value), float("inf"))
        elif kind == "date":
            width = sum(_DATE_WIDTHS[p] for p in re.findall(r"yyyy|yy|MM|dd", value))
            digits(width, width)
        else:
            for char in value:
                if char.isdigit():
                    digits(1, 1)
                else:
                    letters += char
                    runs.append((0, 0.0))
    return letters, runs


def clashes(a: str, b: str) -> bool:
    """Whether patterns ``a`` and ``b`` (valid ones) can give the same number on some days from
    different counters: their numbers have the same letters in the same order, and between them
    runs of digits whose lengths can be equal. ``ZX{yyyyMMdd}0{seq:04}`` clashes with
    ``ZX{yyyyMMdd}{seq:05}`` (ZX + 13 digits or more, both), ``RE{yy}{MM}{dd}{seq:02}`` with
    ``RE{yy}{MM}{seq:04}`` (RE + 8 digits or more); ``CX…`` never with ``ZX…``, nor
    ``GZ{yyyyMMdd}{seq:05}`` with ``GZ{yyyyMMdd}{seq:06}``, which share a counter. Dates and
    literal digits count as any digits, so a clash is possible, not certain: the rule is kept
    simple enough to explain, and errs on the side of refusing."""
    if shares_counter(a, b):
        return False
    (letters_a, runs_a), (letters_b, runs_b) = _shape(a), _shape(b)
    return letters_a == letters_b and all(
        max(x[0], y[0]) <= min(x[1], y[1]) for x, y in zip(runs_a, runs_b, strict=True)
    )


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


def _upsert():
    stmt = sqlite.insert(Counter).values(key=bindparam("key"), value=1)
    return stmt.on_conflict_do_update(
        index_elements=[Counter.key], set_={"value": Counter.value + 1}
    ).returning(Counter.value)


# Built once: constructing the statement cost more than running it.
UPSERT = _upsert()


#: the same upsert as plain SQL, for the drivers' own connections
COUNTER_SQL = (
    "INSERT INTO counters (key, value) VALUES ({}, 1) "
    "ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value"
)
#: connections kept for taking numbers on PostgreSQL: each number is one short round trip
NUMBER_CONNECTIONS = 4
_number_pools: weakref.WeakKeyDictionary[Engine, DriverPool] = weakref.WeakKeyDictionary()
_TAKE = COUNTER_SQL.format("$1")


#: the custom setting ``begin_sql`` leaves the value taken in, for the order's own statement
NUMBER_SETTING = "hotline.number"


#: the statement ``begin_sql`` runs, prepared once per connection (``db.postgres_begin``): a
#: simple query is parsed and planned each time it runs, which cost the server about 0.2 M
#: instructions per order (a twentieth of an order's work there); EXECUTE of a prepared one not
BEGIN_STATEMENT = "hotline_number"
BEGIN_PREPARE = (
    f"PREPARE {BEGIN_STATEMENT}(text) AS WITH taken AS ({COUNTER_SQL.format('$1')}) "
    f"SELECT set_config('synchronous_commit', 'off', true), set_config('{NUMBER_SETTING}', value::text, false) "
    "FROM taken"
)


def begin_sql(key: str) -> str:
    """PostgreSQL: one simple query that increments the counter ``key`` in a short transaction of
    its own (committed without waiting for the WAL, as ``take``'s), leaves the value in the
    session's ``NUMBER_SETTING`` and then begins the caller's transaction: the number and the
    ``BEGIN`` in one round trip (``db.postgres_begin``, with ``BEGIN_PREPARE``), the counter row
    locked only while the query runs. A simple query has no parameters, so the key is a string
    constant, escaped."""
    literal = "E'" + key.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"EXECUTE {BEGIN_STATEMENT}({literal}); COMMIT; BEGIN"


async def next_value(session: AsyncSession, key: str) -> int:
    """Atomically increment and return the counter ``key`` (created at 1): on PostgreSQL in a
    transaction of its own (``take``), on SQLite in the session's."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return await take(bind, key)  # type: ignore[arg-type]
    return int((await session.execute(UPSERT, {"key": key})).scalar_one())


async def take(engine: AsyncEngine | AsyncConnection, key: str) -> int:
    """PostgreSQL: increment and return the counter ``key`` in a short transaction of its own,
    committed before this returns (see the module's docstring)."""
    if isinstance(engine, AsyncConnection):
        engine = engine.engine
    pool = _number_pools.get(engine.sync_engine)
    if pool is None:
        pool = _number_pools[engine.sync_engine] = DriverPool(
            engine, NUMBER_CONNECTIONS, server_settings={"synchronous_commit": "off"}
        )
    return int(await pool.run(lambda pg: pg.fetchval(_TAKE, key)))


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
