"""A new order and the rows that come with it, written in one go.

Creating an order writes the counter, the order, its assignments, opinions, audit rows and
SLA timers. Through the ORM that was a unit-of-work flush per kind of object, each statement
a round trip (on SQLite several aiosqlite thread hops each). Here everything is decided
first and then written at once, inside the caller's transaction:

* SQLite: one call into the connection's own thread (aiosqlite's worker), which runs the
  counter upsert, the order INSERT … RETURNING and one ``executemany`` per kind of row on
  the plain ``sqlite3`` connection: one thread hop instead of dozens (``db.sqlite_call``).
* PostgreSQL: the number first, in a short transaction of its own (the counter row is not
  locked for the rest of the order's transaction), sent with the order's ``BEGIN`` in one
  simple query on the order's own connection (``numbering.begin_sql``, ``db.postgres_begin``),
  then one statement, whose data-modifying CTEs insert the order and the rows (each kind of
  row passed as a JSON array of its own) and write the number and the 提醒 rows' subject from the value
  the first query left in the session: two round trips with the ``BEGIN``, sent straight
  through asyncpg (``db.postgres_fetchrow``). When a statement has begun the transaction
  already, the number comes from a connection of its own (``numbering.take``) instead.

The statements are built from the models once per dialect, and values go through the
columns' own bind processors, so the rows are stored exactly as the ORM would store them
(a JSON column's text included: the arrays are written by the same ``json.dumps`` and
``json_to_recordset`` hands each nested value on as it was written).
The ``WorkOrder`` handed back is attached to the session as if it had been loaded, so later
steps in the same transaction work on it like on any other order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from ticketing.calls import ACTIVE_CALL, AFTER_CALL_WINDOW
from ticketing.db import postgres_begin, postgres_fetchrow, sqlite_call
from ticketing.errors import ActionRefused, FieldErrors
from ticketing.models import Assignment, AuditLog, Comment, Customer, Notification, Timer, WorkOrder
from ticketing.models.base import UtcDateTime, utcnow
from ticketing.numbering import (
    BEGIN_PREPARE,
    COUNTER_SQL,
    NUMBER_SETTING,
    begin_sql,
    format_number,
    number_prefix,
    take,
)

ORDERS = WorkOrder.__table__
CUSTOMERS = Customer.__table__
_ORDER_KEYS = frozenset(c.key for c in ORDERS.columns)
# Each kind of row: its table and the column its order's id goes into.
KINDS: dict[str, tuple[Table, str]] = {
    "assignments": (Assignment.__table__, "order_id"),
    "comments": (Comment.__table__, "order_id"),
    "audits": (AuditLog.__table__, "entity_id"),
    "timers": (Timer.__table__, "order_id"),
    "notifications": (Notification.__table__, "order_id"),
}


#: numbers tried past ones already on an order before giving up. Only a pattern whose numbers
#: overlap another's (imported before ``store.number_clashes`` refused such patterns) gets
#: there: intake skips the numbers already taken instead of failing on each of them.
NUMBER_ATTEMPTS = 1000


def _taken(prefix: str, width: int, value: int) -> ActionRefused:
    number = format_number(prefix, width, value)
    return ActionRefused(
        "order_number_taken",
        f"order numbers up to {number} are already taken by another workflow's or category's "
        "orders: the number pattern overlaps another one",
        number=number,
    )


@dataclasses.dataclass
class OrderRows:
    """The rows a new order comes with, without their order id (not known yet); columns left
    out get their model default."""

    assignments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    comments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    audits: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    timers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: screen rows for the handlers it goes to (their 提醒: 有新工单)
    notifications: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: the notifications' subject from the order's number, given them once the number is taken
    #: (【新工单】<number> <title>: ``screen_alerts.new_order_subject``); None: as the rows say.
    #: Its shape is ``(head + number + tail)[:length]`` (``length``: the column's), which
    #: PostgreSQL's statement writes itself from the number it takes (``_subject_parts``)
    notice_subject: Callable[[str], str] | None = None


def new_order(**values: Any) -> WorkOrder:
    """A transient ``WorkOrder`` holding ``values`` with no change history: ``insert_order``
    writes it and attaches it as loaded, so the ORM's per-attribute bookkeeping on the way
    in (a tenth of the Python in creating an order) is not needed."""
    unknown = values.keys() - _ORDER_KEYS
    if unknown:
        raise TypeError(f"not a WorkOrder column: {', '.join(sorted(unknown))}")
    order = WorkOrder.__mapper__.class_manager.new_instance()
    order.__dict__.update(values)
    return order


#: an order's InstanceState, what ``inspect(order)`` gives, without its walk through the
#: class's bases for an inspector
_order_state = WorkOrder.__mapper__.class_manager.state_getter()


def put(order: WorkOrder, **values: Any) -> None:
    """Set ``order``'s columns: a new order's (``new_order``: transient, in no session, attached
    as loaded once inserted) straight into its dict, without the ORM's change bookkeeping that
    attaching it undoes; any other's through the ORM."""
    if _order_state(order).transient:
        order.__dict__.update(values)
    else:
        for key, value in values.items():
            setattr(order, key, value)


async def insert_order(
    session: AsyncSession,
    order: WorkOrder,
    number_pattern: str,
    rows: OrderRows,
    now: dt.datetime,
    *,
    agent: str | None = None,
) -> int | None:
    """Number ``order`` (transient, every column but id and number set), insert it and its
    rows, and attach it to the session as persistent.

    ``agent`` (工号): also look up the call that agent is on, or has just left and the order is
    for (``calls.ACTIVE_CALL``); its id is returned, and its customer becomes the order's when
    the order has none.

    The order's customer, when it has one, must exist: checked in the same go, and refused as
    the field error ``field_unknown_customer`` with nothing written (on PostgreSQL its number
    is taken already and not handed out again, as for any order that fails).
    """
    prefix, width = number_prefix(number_pattern, now)
    # The rows written together take one time of writing where they leave it to its default, as
    # each row's own default would give (a few microseconds apart): the time is then converted
    # to the column's text once (``_last_utc``), not once a row.
    written_at = utcnow()
    for kind, keys in WRITTEN_AT.items():
        for row in getattr(rows, kind):
            for key in keys:
                row.setdefault(key, written_at)
    conn = await session.connection()
    write = _sqlite if conn.dialect.name == "sqlite" else _postgres
    call = {"agent": agent, "since": now - AFTER_CALL_WINDOW, "number": order.caller_number or ""}
    written = await write(conn, prefix, width, order, rows, call)
    if written is None:
        raise FieldErrors({"customer_id": "field_unknown_customer"})
    # Straight into the instance's dict: make_transient_to_detached marks every value as loaded
    # anyway, so the ORM's change bookkeeping of three sets would be undone at once.
    values = order.__dict__
    values["id"], values["number"], call_id, call_customer = written
    if values.get("customer_id") is None:
        values["customer_id"] = call_customer
    make_transient_to_detached(order)
    # session.add's save-update cascade walks the order's relationships to find none loaded
    # (about 900 Python opcodes per order); skipping it would mean SQLAlchemy's private
    # Session._save_or_update_impl, which no pinned version makes a promise about
    session.add(order)
    return call_id


#: what a write hands back: the order's id, its number, and the id and customer of the call
#: looked up (None, None when there is none); None when the order's customer does not exist
#: (nothing written)
Written = tuple[int, str, int | None, int | None]


# -- shared: columns, defaults, bind processing ---------------------------------------------
def _columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if not c.primary_key]


def _written_at(table: Table) -> tuple[str, ...]:
    """The columns of ``table`` whose default is the time of writing (``utcnow``: a comment's
    ``created_at``, an audit row's ``at``), by the keys a row gives them."""
    return tuple(
        c.key
        for c in _columns(table)
        if c.default is not None
        and c.default.is_callable
        # SQLAlchemy wraps a default taking no argument in one taking the execution context
        and getattr(c.default.arg, "__wrapped__", c.default.arg) is utcnow
    )


#: per kind of row, the columns a new order's rows that leave them out take its time of writing in
WRITTEN_AT: dict[str, tuple[str, ...]] = {
    kind: keys for kind, (table, _) in KINDS.items() if (keys := _written_at(table))
}


Processors = list[tuple[str, Callable[[Any], Any] | None, Column[Any]]]


@functools.cache
def _processors(dialect: Dialect, table: Table) -> Processors:
    return [(c.key, c.type.dialect_impl(dialect).bind_processor(dialect), c) for c in _columns(table)]


@functools.cache
def _position(table: Table, key: str) -> int:
    return [c.key for c in _columns(table)].index(key)


#: per column, in order: its key in a row, its default (a callable, else the value) and how its
#: value goes to the driver (None: as it is)
Plan = list[tuple[str, Callable[[Any], Any] | None, Any, Callable[[Any], Any] | None]]

_SAMPLES = (dt.datetime(2026, 11, 28, 0, 30, 5, 123456), dt.datetime(999, 1, 2, 3, 4, 5))


#: SQLite's DATETIME text (what its bind processor writes, checked on samples), one object for
#: every column so that ``_last_utc`` can tell it apart from another dialect's processing
_SQLITE_TEXT = functools.partial(dt.datetime.isoformat, sep=" ", timespec="microseconds")

#: what a UTC time's ISO text ends with, and is without it as a naive one: ``replace(tzinfo=None)``
#: (keyword arguments parsed in C) cost about as much as the text itself
_UTC_SUFFIX = "+00:00"

#: the last ``UtcDateTime`` value processed, how, and what it gave: a new order's rows take the
#: same ``now`` for most of their times (created, entered, assigned, acted, sent…), and the
#: conversion (astimezone, replace, the ISO text) is then done once. One tuple, replaced whole,
#: so a reader in another thread sees a value with its own result.
_last_utc: list[tuple[Any, Any, Any]] = [(None, None, None)]


def _utc_processor(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any]:
    """A ``UtcDateTime``'s bind processing in one call instead of three (the decorator's wrapper,
    its ``process_bind_param``, the dialect's DATETIME): naive UTC, and on SQLite, whose
    DATETIME writes the ISO text with a space and microseconds, that text straight away. The
    dialect's own processor is kept wherever it writes anything else (checked on samples).
    The same value (the same object) processed the same way again gives the last result."""
    inner = column.type.dialect_impl(dialect).impl_instance.bind_processor(dialect)
    if inner is not None and all(inner(v) == v.isoformat(" ", "microseconds") for v in _SAMPLES):
        inner = _SQLITE_TEXT
    utc, isoformat, combine, cut = dt.UTC, dt.datetime.isoformat, dt.datetime.combine, -len(_UTC_SUFFIX)
    last = _last_utc

    def process(value: dt.datetime | None) -> Any:
        seen = last[0]
        if value is seen[0] and inner is seen[1]:
            return seen[2]
        if value is None:
            return None
        if inner is _SQLITE_TEXT:
            # the text of the time in UTC, its offset cut (positional: no keywords to parse)
            if value.tzinfo is None:
                result = isoformat(value, " ", "microseconds")
            else:
                result = isoformat(value.astimezone(utc), " ", "microseconds")[:cut]
        else:
            if value.tzinfo is None:
                naive = value
            else:  # the UTC time's date and wall time (time() has no tzinfo): replace()'s result
                at = value.astimezone(utc)
                naive = combine(at.date(), at.time())
            result = inner(naive) if inner is not None else naive
        last[0] = (value, inner, result)
        return result

    return process


def _default_of(column: Any) -> tuple[Callable[[Any], Any] | None, Any]:
    """A column's default: (the callable to make it, None) or (None, the value)."""
    default = column.default
    if default is not None and default.is_callable:
        return default.arg, None
    return None, default.arg if default is not None else None


def _written_out(name: str, result: str, env: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """``encode(row)`` returning the expression ``result``, compiled once with ``env``."""
    source = "def encode(row):\n    get = row.get\n    return " + result + "\n"
    exec(compile(source, name, "exec"), env)
    return env["encode"]


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its default settings, without its set-up on every call: ``dumps``
    makes a ``JSONEncoder``'s C encoder on each call, about a hundred Python opcodes, for the
    about ten JSON values a new order writes (its form, its rows' JSON columns, PostgreSQL's
    arrays of rows). The same C encoder, made once, with the same settings, writes the same
    text. It keeps no circular-reference marks (a mark left by a failed call would refuse a
    later value whose object reused that id): a circular value is handed to ``json.dumps``,
    which refuses it as it always did."""
    make = json.encoder.c_make_encoder
    if make is None:  # no C accelerator (another Python): json.dumps itself
        return json.dumps
    iterencode = make(
        None,
        json.JSONEncoder().default,
        json.encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )
    join = "".join

    def dumps(value: Any) -> str:
        try:
            return join(iterencode(value, 0))
        except RecursionError:
            return json.dumps(value)

    return dumps


#: ``json.dumps(value)``'s text, as each JSON column's bind processor writes it
dumps = _json_encoder()

_JSON_SAMPLES = (
    {"故障地址": '中山路1号 "东"座\n', "n": [1, 2.5, -0.0, None, True, False], "e": {}},
    [{"status": "已受理", "at": "2026-11-28T00:30:05.123456"}],
    {},
    [],
)


def _json_processor(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's bind processing, the dicts and lists a new order's rows hold written by
    ``dumps`` where the dialect's own processor writes that same text (the engine sets no
    serializer of its own: checked on samples); anything else (None, SQL NULL) through it."""
    if not all(inner(v) == dumps(v) for v in _JSON_SAMPLES):
        return inner

    def process(value: Any) -> Any:
        kind = value.__class__
        return dumps(value) if kind is dict or kind is list else inner(value)

    return process


@functools.cache
def _plan(dialect: Dialect, table: Table) -> Plan:
    """Worked out once per table: this runs for every column of every row of every new order."""
    plan: Plan = []
    for key, process, column in _processors(dialect, table):
        make, value = _default_of(column)
        if process is not None and isinstance(column.type, UtcDateTime):
            process = _utc_processor(dialect, column)
        elif process is not None and isinstance(column.type, JSON):
            process = _json_processor(process)
        plan.append((key, make, value, process))
    return plan


Encoder = Callable[[dict[str, Any]], list[Any]]

#: encoders kept per table and the keys a row gives, in their order: a new order's rows come
#: from a few places, each giving the same keys every time. Past this many for one table (rows
#: made some other way), a row's encoder is written out for it and not kept.
KEYED = 64


def _keyed(
    known: dict[tuple[str, ...], Any], row: dict[str, Any], write: Callable[[frozenset[str]], Any]
) -> Any:
    keys = tuple(row)
    encode = known.get(keys)
    if encode is None:
        encode = write(frozenset(keys))
        if len(known) < KEYED:
            known[keys] = encode
    return encode


@functools.cache
def _encoders(dialect: Dialect, table: Table) -> dict[tuple[str, ...], Encoder]:
    return {}


def _encoder(dialect: Dialect, table: Table, row: dict[str, Any]) -> Encoder:
    """The encoder of rows giving ``row``'s keys: a row's values in column order, defaults
    filled in, as the driver takes them, one expression per column written out once for those
    keys from the table's plan (a loop over the plan took a fifth of the Python an order runs,
    for about 130 values per order). A column the row gives is read without a test; one it
    does not give is its default, a constant already bind-processed where it is not made."""
    return _keyed(_encoders(dialect, table), row, functools.partial(_write_encoder, dialect, table))


def _column_source(
    i: int, key: str, make: Any, default: Any, process: Any, keys: frozenset[str], env: dict[str, Any]
) -> tuple[str, bool]:
    """The expression that writes column ``i`` out for a row giving ``keys`` (its names put in
    ``env``), and whether it is a constant: the row's value, else its ``make``, each through
    ``process``; else the default, processed once here (``value<i>``)."""
    env[f"process{i}"], env[f"make{i}"] = process, make
    if key in keys:
        value = f"row[{key!r}]"
    elif make is not None:
        value = f"make{i}(None)"
    else:
        env[f"value{i}"] = process(default) if process is not None else default
        return f"value{i}", True
    return (f"process{i}({value})" if process else value), False


def _write_encoder(dialect: Dialect, table: Table, keys: frozenset[str]) -> Encoder:
    env: dict[str, Any] = {}
    values = [_column_source(i, *column, keys, env)[0] for i, column in enumerate(_plan(dialect, table))]
    return _written_out(f"<insert encoder for {table.name}>", "[" + ", ".join(values) + "]", env)


def _encoded(dialect: Dialect, table: Table, rows: list[dict[str, Any]]) -> list[list[Any]]:
    """Each row's values (``_encoder``; the kept ones looked up here, a call less per row)."""
    known = _encoders(dialect, table)
    out = []
    for row in rows:
        encode = known.get(tuple(row)) or _encoder(dialect, table, row)
        out.append(encode(row))
    return out


def _encode(plan: Plan, row: dict[str, Any]) -> list[Any]:
    """What ``_encoder`` writes out, as a loop (the reference its tests compare it with)."""
    out = []
    for key, make, default, process in plan:
        if key in row:
            value = row[key]
        elif make is not None:
            value = make(None)
        else:
            value = default
        out.append(process(value) if process is not None else value)
    return out


def _order_values(dialect: Dialect, order: WorkOrder) -> list[Any]:
    """The order's values (number still None): read from the instance's own dict, not through
    the ORM's attribute machinery."""
    values = order.__dict__
    return _encoder(dialect, ORDERS, values)(values)


#: a column's value as it goes into its kind's JSON array
Convert = Callable[[Any], Any]


#: ``_utc_text``'s last value and its text (as ``_last_utc``)
_last_text: list[tuple[Any, str | None]] = [(None, None)]


def _utc_text(value: dt.datetime | None) -> str | None:
    # UtcDateTime's bind processing (naive UTC) and the ISO text, in one step; the same value
    # (object) as the last gives the last text
    seen = _last_text[0]
    if value is seen[0]:
        return seen[1]
    if value is None:
        return None
    # a UTC time's text, its offset cut: what the naive time's text is, without replace()
    text = (
        value.isoformat()
        if value.tzinfo is None
        else value.astimezone(dt.UTC).isoformat()[: -len(_UTC_SUFFIX)]
    )
    _last_text[0] = (value, text)
    return text


def _converter(process: Callable[[Any], Any] | None, column: Column[Any]) -> Convert | None:
    """How a value of ``column`` goes into its JSON array: through the column's bind
    processor, and a date or time as ISO text. None: as it is (text, numbers, flags)."""
    if isinstance(column.type, UtcDateTime):
        return _utc_text
    if process is None and column.type.python_type in (str, int, bool, float):
        return None

    def convert(value: Any) -> Any:
        if process is not None:
            value = process(value)
        return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value

    return convert


# ACTIVE_CALL's own parameters; its other binds are constants of the query.
CALL_PARAMS = ("agent", "since", "number")
Bind = tuple[str, Callable[[Any], Any] | None, Any]  # name, bind processor, processed constant


@functools.cache
def _call_compiled(dialect: Dialect) -> tuple[str, list[Bind]]:
    """ACTIVE_CALL's SQL and, in order, each positional parameter's name, bind processor and
    (for the query's constants) processed value."""
    compiled = ACTIVE_CALL.compile(dialect=dialect)
    constants = compiled.construct_params(dict.fromkeys(CALL_PARAMS))
    binds = []
    for name in compiled.positiontup:
        bind = compiled.binds.get(name)
        process = bind.type.dialect_impl(dialect).bind_processor(dialect) if bind is not None else None
        constant = constants[name]
        binds.append((name, process, process(constant) if process is not None else constant))
    return compiled.string, binds


def _call_params(dialect: Dialect, given: dict[str, Any]) -> list[Any]:
    """ACTIVE_CALL's parameters for ``given`` (every one of ``CALL_PARAMS``), as the driver
    takes them: written out once per dialect (``_call_params_loop``)."""
    return _call_encoder(dialect)(given)


@functools.cache
def _call_encoder(dialect: Dialect) -> Callable[[dict[str, Any]], list[Any]]:
    env: dict[str, Any] = {}
    items = []
    for i, (name, process, constant) in enumerate(_call_compiled(dialect)[1]):
        if name in CALL_PARAMS:
            env[f"process{i}"] = process
            items.append(f"process{i}(row[{name!r}])" if process else f"row[{name!r}]")
        else:
            env[f"value{i}"] = constant
            items.append(f"value{i}")
    return _written_out("<ACTIVE_CALL's parameters>", "[" + ", ".join(items) + "]", env)


def _call_params_loop(dialect: Dialect, given: dict[str, Any]) -> list[Any]:
    """What ``_call_encoder`` writes out, as a loop (the reference its test compares it with)."""
    out = []
    for name, process, constant in _call_compiled(dialect)[1]:
        if name in given:
            value = given[name]
            out.append(process(value) if process is not None else value)
        else:
            out.append(constant)
    return out


# -- SQLite: one hop into the connection's thread --------------------------------------------
@functools.cache
def _sqlite_sql(dialect: Dialect) -> dict[str, str]:
    def insert_sql(table: Table) -> str:
        names = ", ".join(f'"{c.name}"' for c in _columns(table))
        return f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in _columns(table))})'

    sql = {kind: insert_sql(table) for kind, (table, _) in KINDS.items()}
    sql["order"] = insert_sql(ORDERS) + " ON CONFLICT (number) DO NOTHING RETURNING id"
    sql["customer"] = f"SELECT 1 FROM {CUSTOMERS.name} WHERE {CUSTOMERS.c.id.name} = ?"
    return sql


async def _sqlite(
    conn: AsyncConnection, prefix: str, width: int, order: WorkOrder, rows: OrderRows, call: dict[str, Any]
) -> Written | None:
    dialect = conn.dialect
    sql = _sqlite_sql(dialect)
    # Encoded on the event loop: the thread only talks to SQLite.
    values = _order_values(dialect, order)
    # each row's order id (a default until then) is set in the thread, once the order has one
    batches = {kind: _encoded(dialect, table, getattr(rows, kind)) for kind, (table, _) in KINDS.items()}
    call_sql, call_params = _call_compiled(dialect)[0], _call_params(dialect, call)
    number_at, customer_at = _position(ORDERS, "number"), _position(ORDERS, "customer_id")
    subject_at = _position(KINDS["notifications"][0], "subject")

    def write(db: sqlite3.Connection) -> Written | None:
        cursor = db.cursor()
        try:
            given = values[customer_at]
            if given is not None and cursor.execute(sql["customer"], (given,)).fetchone() is None:
                return None
            found = cursor.execute(call_sql, call_params).fetchone() or (None, None)
            if values[customer_at] is None:
                values[customer_at] = found[1]
            for _ in range(NUMBER_ATTEMPTS):
                value = cursor.execute(COUNTER_SQL.format("?"), (prefix,)).fetchone()[0]
                values[number_at] = format_number(prefix, width, value)
                inserted = cursor.execute(sql["order"], values).fetchone()
                if inserted is not None:
                    break
            else:
                raise _taken(prefix, width, value)
            order_id = inserted[0]
            if rows.notice_subject is not None:
                heading = rows.notice_subject(values[number_at])
                for row in batches["notifications"]:
                    row[subject_at] = heading
            for kind, batch in batches.items():
                if batch:
                    table, key = KINDS[kind]
                    at, ref = _position(table, key), str(order_id) if key == "entity_id" else order_id
                    for row in batch:
                        row[at] = ref
                    cursor.executemany(sql[kind], batch)
            return order_id, values[number_at], found[0], found[1]
        finally:
            cursor.close()

    return await sqlite_call(conn, write)


# -- PostgreSQL: one statement ---------------------------------------------------------------
@functools.cache
def _postgres_sql(dialect: Dialect) -> str:
    # $1, $2…: ACTIVE_CALL's own parameters, then the order's values (its number when taken
    # already, else NULL), one JSON array per kind of row (``KINDS``' order), and
    # ``POSTGRES_EXTRA``: the number's prefix and width, and the 提醒 rows' subject around the
    # number. An array per kind, not one document: the server parses a ``json`` value's whole
    # text for each ``->`` into it, which was a fifth of its work per order.
    call_sql, call_params = _call_compiled(dialect)
    first = len(call_params) + 1
    order_columns = _columns(ORDERS)
    customer = (
        f"CAST(${first + _position(ORDERS, 'customer_id')} AS {ORDERS.c.customer_id.type.compile(dialect)})"
    )
    extra = first + len(order_columns) + len(KINDS)
    prefix, width, head, tail = (f"${extra + i}" for i in range(len(POSTGRES_EXTRA)))
    params = iter(range(first, first + len(order_columns)))
    order_values = ", ".join(
        f"COALESCE(${next(params)}, (SELECT customer_id FROM c))"
        if c.key == "customer_id"
        # the number begin_sql took, as numbering.format_number writes it (zfill: never cut)
        else f"COALESCE(${next(params)}, (SELECT replace({prefix}::text, '#', "
        f"lpad(n.v, greatest({width}::integer, length(n.v)), '0')) FROM n))"
        if c.key == "number"
        else f"${next(params)}"
        for c in order_columns
    )
    parts = [
        f"c AS ({call_sql})",
        f"n AS (SELECT current_setting('{NUMBER_SETTING}', true) AS v)",
        # the order's customer, when it names one, exists: else nothing is written
        f"k AS (SELECT {customer} IS NULL OR EXISTS "
        f"(SELECT 1 FROM {CUSTOMERS.name} WHERE {CUSTOMERS.c.id.name} = {customer}) AS known)",
        f"o AS (INSERT INTO work_orders ({', '.join(c.name for c in order_columns)}) "
        f"SELECT {order_values} FROM k WHERE k.known ON CONFLICT (number) DO NOTHING RETURNING id, number)",
    ]
    subject = Notification.__table__.c.subject
    for at, (kind, (table, order_key)) in enumerate(KINDS.items(), start=first + len(order_columns)):
        columns = _columns(table)
        record = ", ".join(
            f"{c.name} {'json' if isinstance(c.type, JSON) else c.type.compile(dialect)}"
            for c in columns
            if c.key != order_key
        )
        # A JSON column's None is JSON null (as the ORM stores it), which the recordset reads as SQL NULL.
        picked = ", ".join(
            ("o.id::text" if order_key == "entity_id" else "o.id")
            if c.key == order_key
            else f"COALESCE(left({head}::text || o.number || {tail}::text, {subject.type.length}), r.{c.name})"
            if c is subject
            else (f"COALESCE(r.{c.name}, 'null'::json)" if isinstance(c.type, JSON) else f"r.{c.name}")
            for c in columns
        )
        parts.append(
            f"{kind} AS (INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
            f"SELECT {picked} FROM o, json_to_recordset(${at}::json) AS r({record}))"
        )
    return (
        "WITH "
        + ",\n".join(parts)
        + "\nSELECT k.known, (SELECT id FROM o), (SELECT number FROM o), (SELECT id FROM c),"
        " (SELECT customer_id FROM c) FROM k"
    )


#: the PostgreSQL statement's parameters after the rows' arrays
POSTGRES_EXTRA = ("prefix", "width", "subject head", "subject tail")
_MARK = "\x00"  # never in a subject: notify.one_line makes every control character a space


def _subject_parts(subject: Callable[[str], str] | None) -> tuple[str | None, str | None]:
    """``OrderRows.notice_subject`` as the text before and after the number: (None, None) for
    none. The subject is ``(head + number + tail)[:length]``; with a one-character mark for the
    number it is cut no shorter than with a real number, so ``head + number + tail`` cut to
    ``length`` (the statement's ``left``) is the subject for any number."""
    if subject is None:
        return None, None
    head, mark, tail = subject(_MARK).partition(_MARK)
    if not mark:
        raise ValueError("a new order's notice subject must hold its number")
    return head, tail


@functools.cache
def _record_plan(
    dialect: Dialect, table: Table, order_key: str
) -> list[tuple[str, str, Callable[[Any], Any] | None, Any, Convert | None]]:
    """Per column of a row in its JSON array: its name, its key in a row, its default (a
    callable, or else the value), and how its value is converted (a JSON column's goes in as
    it is, nested). Worked out once: this runs for every row of every new order."""
    plan = []
    for key, process, column in _processors(dialect, table):
        if key == order_key:
            continue
        make, value = _default_of(column)
        convert = None if isinstance(column.type, JSON) else _converter(process, column)
        plan.append((column.name, key, make, value, convert))
    return plan


Record = Callable[[dict[str, Any]], dict[str, Any]]


@functools.cache
def _record_encoders(dialect: Dialect, table: Table, order_key: str) -> dict[tuple[str, ...], Record]:
    return {}


def _record_encoder(dialect: Dialect, table: Table, order_key: str, row: dict[str, Any]) -> Record:
    """The record encoder of rows giving ``row``'s keys: a row as it goes into its JSON array
    (``_record``), one expression per column, written out once for those keys, as ``_encoder``
    is (the loop took about a tenth of the Python a PostgreSQL order runs). A column the row
    does not give and whose default is None is left out of the record: ``json_to_recordset``
    reads a missing key as NULL, as it reads null (a JSON column's is JSON null all the same,
    the statement's COALESCE), so the server parses less text, and the 提醒 rows leave out
    about half of their columns (read, retried, resent, delivered…)."""
    write = functools.partial(_write_record_encoder, dialect, table, order_key)
    return _keyed(_record_encoders(dialect, table, order_key), row, write)


def _write_record_encoder(dialect: Dialect, table: Table, order_key: str, keys: frozenset[str]) -> Record:
    env: dict[str, Any] = {}
    items = []
    for i, (name, key, make, default, convert) in enumerate(_record_plan(dialect, table, order_key)):
        value, constant = _column_source(i, key, make, default, convert, keys, env)
        if constant and env[value] is None:
            continue  # left out: json_to_recordset reads a missing key as NULL, as it reads null
        items.append(f"{name!r}: {value}")
    return _written_out(f"<record encoder for {table.name}>", "{" + ", ".join(items) + "}", env)


def _record(
    plan: list[tuple[str, str, Callable[[Any], Any] | None, Any, Convert | None]], row: dict[str, Any]
) -> dict[str, Any]:
    """What ``_record_encoder`` writes out, as a loop (the reference its tests compare it with)."""
    record = {}
    for name, key, make, default, convert in plan:
        if key in row:
            value = row[key]
        elif make is not None:
            value = make(None)
        else:
            value = convert(default) if convert is not None else default
            if value is not None:
                record[name] = value
            continue
        record[name] = convert(value) if convert is not None else value
    return record


def _records(
    dialect: Dialect, table: Table, order_key: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each row's record (``_record_encoder``; the kept ones looked up here, a call less per row)."""
    known = _record_encoders(dialect, table, order_key)
    out = []
    for row in rows:
        encode = known.get(tuple(row)) or _record_encoder(dialect, table, order_key, row)
        out.append(encode(row))
    return out


async def _postgres(
    conn: AsyncConnection, prefix: str, width: int, order: WorkOrder, rows: OrderRows, call: dict[str, Any]
) -> Written | None:
    dialect = conn.dialect
    values = _order_values(dialect, order)
    # json.dumps's text (``dumps``), as the JSON columns' own bind processor writes each value
    # (the engine sets no other serializer).
    params = [
        *_call_params(dialect, call),
        *values,
        *(dumps(_records(dialect, table, key, getattr(rows, kind))) for kind, (table, key) in KINDS.items()),
        prefix,
        width,
        *_subject_parts(rows.notice_subject),
    ]
    number_at = len(_call_compiled(dialect)[1]) + _position(ORDERS, "number")
    sql = _postgres_sql(dialect)
    # The number with the BEGIN (the statement reads it from the session), else on its own.
    begun = await postgres_begin(conn, begin_sql(prefix), BEGIN_PREPARE)
    value = 0
    for _ in range(NUMBER_ATTEMPTS):
        if not begun:
            value = await take(conn, prefix)
            params[number_at] = format_number(prefix, width, value)
        begun = False
        known, order_id, number, call_id, call_customer = await postgres_fetchrow(conn, sql, params)
        if not known:
            return None
        # a number already taken inserts nothing (ON CONFLICT DO NOTHING): no id comes back
        if order_id is not None:
            return order_id, number, call_id, call_customer
    raise _taken(prefix, width, value)
