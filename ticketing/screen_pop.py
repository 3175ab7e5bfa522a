"""The screen-pop lookup: phone number → customers, their open orders, their last interactions.

``screen_pop_hook`` is what the CTI bridge's injected ``customer_lookup`` calls for
every offered call, so it is built for speed: three Core statements built once at
import (building and hashing a ``select`` costs more than SQLite running it),
returning plain rows, run in one greenlet hop. The hook skips the session: on
SQLite it runs the statements on its own reader threads, each with a plain ``sqlite3``
connection (one hand-over per pop instead of one per cursor call through aiosqlite); on
PostgreSQL it sends the three as one statement in autocommit on its own asyncpg pool
(one round trip, no BEGIN / ROLLBACK). On SQLite each statement is consistent on its own; a pop does not
need one snapshot across the three.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import queue
import re
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, event, func, literal, or_, select, union
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from cti.phones import InvalidPhoneNumber, normalize
from ticketing.db import DriverPool
from ticketing.models import (
    CampaignContact,
    Customer,
    CustomerPhone,
    Interaction,
    Site,
    WorkOrder,
    utcnow,
)
from ticketing.models.campaigns import REQUESTED_CALLBACK, callback_campaigns


def customer_json(c: Any, phones: list[str], site_name: str = "") -> dict[str, Any]:
    return {
        "id": c.id,
        "account_no": c.account_no,
        "name": c.name,
        "address": c.address,
        "tier": c.tier,
        "vip": c.tier == "VIP",
        "site_id": c.site_id,
        "site": site_name,
        "phones": phones,
    }


def order_json(o: Any) -> dict[str, Any]:
    return {
        "id": o.id,
        "number": o.number,
        "category": o.category,
        "status": o.status,
        "title": o.title,
        "created_at": o.created_at.isoformat(),
        "due_at": o.due_at.isoformat() if o.due_at else None,
        "overdue": bool(o.due_at and o.due_at < utcnow()),
    }


def _outcome(i: Any) -> str:
    outcome = (i.payload or {}).get("outcome", "")
    # a call that ended in the IVR says what its caller left there (留言, 预约回电), as 通话明细
    # does: the pop's statements give it (``_LEFT_IN_THE_IVR``), other lists do not ask
    left = getattr(i, "left_in_the_ivr", None)
    return left if outcome == "ivr" and left else outcome


def interaction_json(i: Any) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind,
        "direction": i.direction,
        "number": i.number,
        "agent_id": i.agent_id,
        "occurred_at": i.occurred_at.isoformat(),
        "duration": i.duration,
        "status": i.status,
        "subject": i.subject,
        "outcome": _outcome(i),
        # the call's own recording (its call id; "" when it has none): the call's line offers it,
        # as the recording has no line of its own (``A_CONTACT``)
        "recording": i.external_id if i.kind == "call" and i.file_path else "",
    }


_CALL_OF_RECORDING = aliased(Interaction)
#: What a list of a customer's or an order's contacts shows a line for: everything but the
#: recording of a call it has, which is that call's file (the call's row keeps its path) and
#: was listed as a second 录音 line beside each 通话 at the same time. The one rule for the
#: screen-pop, the customer lookup and the order's 处理过程.
A_CONTACT = ~and_(
    Interaction.kind == "recording",
    select(_CALL_OF_RECORDING.id)
    .where(_CALL_OF_RECORDING.kind == "call", _CALL_OF_RECORDING.external_id == Interaction.external_id)
    .exists(),
)
_MISSED_OF_CALL = aliased(Interaction)
#: A call given up in the queue is one contact too, though two rows say it: the call (排队中放弃)
#: and the 未接来电 event the inbox keeps of it, of the same call id. The screen-pop and the
#: customer lookup list the 未接来电 alone (QA #17: one abandoned call read as two, a customer who
#: called once counted as calling twice): its line says the call was missed, how (its outcome,
#: 排队中放弃) and its inbox state (新到 / 待处理 / 已处理: whether someone has called back), which
#: the call's row does not know. Not the order's 处理过程: an order made from the 未接来电 is
#: linked to the event, not to its call.
A_CALLER_CONTACT = and_(
    A_CONTACT,
    ~and_(
        Interaction.kind == "call",
        select(_MISSED_OF_CALL.id)
        .where(_MISSED_OF_CALL.kind == "missed_call", _MISSED_OF_CALL.external_id == Interaction.external_id)
        .exists(),
    ),
)


async def lookup_for_screen_pop(
    session: AsyncSession,
    phone: str,
    *,
    orders: int = 10,
    interactions: int = 10,
    default_area_code: str = "",
) -> dict[str, Any] | None:
    """The caller's customer (and other customers sharing the number), open orders, last interactions.

    None when the number is unknown and has no history: the pop shows the bare number.
    """
    try:
        number = normalize(phone, default_area_code)
    except InvalidPhoneNumber:
        return None
    conn = await session.connection()
    return await conn.run_sync(_screen_pop, number, orders, interactions)


# The pop runs on every offered call, so it is three Core statements returning plain rows,
# run in one greenlet hop (``run_sync``): no ORM identity map, no selectinload round trip.
_POP_CUSTOMER_COLUMNS = (
    Customer.id,
    Customer.account_no,
    Customer.name,
    Customer.address,
    Customer.tier,
    Customer.site_id,
    Site.name.label("site_name"),
)
_POP_ORDER_COLUMNS = (
    WorkOrder.id,
    WorkOrder.number,
    WorkOrder.category,
    WorkOrder.status,
    WorkOrder.title,
    WorkOrder.created_at,
    WorkOrder.due_at,
)
_LEFT = aliased(Interaction)
#: What the caller of a call that ended in the IVR (outcome ``ivr``: it reached no queue) left
#: there, as 通话明细 says it (``call_reports.left_in_the_ivr``): ``voicemail`` or ``fax`` (the
#: event of the call id), ``callback`` (预约回电 at the menu: the queue callback campaign's
#: contact, source key ``callback:<call id>`` as ``campaigns.sources.add_callback`` writes it),
#: else NULL. Only a call asks (the CASE runs the subqueries for that row alone), each by a
#: unique index. QA #10: 最近联系 said 通话 IVR 内结束 for a fault report's voicemail.
_LEFT_IN_THE_IVR = case(
    (
        # every call asks (the driver's statements take no JSON path); a call's outcome other
        # than ivr keeps its own word (``interaction_json``)
        Interaction.kind == "call",
        func.coalesce(
            select(_LEFT.kind)
            # the two kinds by equality: an IN list would want its values when the driver's
            # statements are compiled once (``_DriverStatements``)
            .where(
                or_(_LEFT.kind == "voicemail", _LEFT.kind == "fax"),
                _LEFT.external_id == Interaction.external_id,
            )
            .limit(1)
            .scalar_subquery(),
            select(literal("callback"))
            .where(
                CampaignContact.campaign_id.in_(callback_campaigns()),
                CampaignContact.source_key == literal(REQUESTED_CALLBACK) + Interaction.external_id,
            )
            .limit(1)
            .scalar_subquery(),
        ),
    ),
).label("left_in_the_ivr")
_POP_INTERACTION_COLUMNS = (
    Interaction.id,
    Interaction.kind,
    Interaction.direction,
    Interaction.number,
    Interaction.agent_id,
    Interaction.occurred_at,
    Interaction.duration,
    Interaction.status,
    Interaction.subject,
    Interaction.payload,
    Interaction.external_id,
    Interaction.file_path,
    _LEFT_IN_THE_IVR,
)


_MATCHED = (
    select(CustomerPhone.customer_id)
    .where(CustomerPhone.number == bindparam("number"))
    .order_by(CustomerPhone.customer_id)
    .limit(10)
    .scalar_subquery()
)
_ALL_PHONES = aliased(CustomerPhone)
# Statements built once: building and hashing a select costs more than SQLite running it.
# Customers having the number (at most 10, by id), each with all its phones and its site's name.
_POP_CUSTOMERS = (
    select(*_POP_CUSTOMER_COLUMNS, _ALL_PHONES.number.label("phone"))
    .select_from(Customer)
    .outerjoin(Site, Site.id == Customer.site_id)
    .outerjoin(_ALL_PHONES, _ALL_PHONES.customer_id == Customer.id)
    .where(Customer.id.in_(_MATCHED))
    .order_by(Customer.id, _ALL_PHONES.id)
)
# Open orders of those customers or called in from the number: each half of the union has
# its own index ((customer_id, is_open) and caller_number). One OR over both, next to
# ``is_open``, made SQLite walk every open order through the is_open index.
_ORDER_IDS = union(
    select(WorkOrder.id.label("order_id")).where(WorkOrder.customer_id.in_(_MATCHED)),
    select(WorkOrder.id.label("order_id")).where(WorkOrder.caller_number == bindparam("number")),
).subquery("pop_order_ids")
_POP_ORDERS = (
    select(*_POP_ORDER_COLUMNS)
    .select_from(_ORDER_IDS.join(WorkOrder, WorkOrder.id == _ORDER_IDS.c.order_id))
    .where(WorkOrder.is_open.is_(True))
    .order_by(WorkOrder.created_at.desc())
    .limit(bindparam("orders"))
)
_POP_HISTORY_OF_CUSTOMERS = (
    select(*_POP_INTERACTION_COLUMNS)
    .where(Interaction.customer_id.in_(_MATCHED), A_CALLER_CONTACT)
    .order_by(Interaction.occurred_at.desc())
    .limit(bindparam("interactions"))
)
_POP_HISTORY_OF_NUMBER = (
    select(*_POP_INTERACTION_COLUMNS)
    .where(Interaction.number == bindparam("number"), A_CALLER_CONTACT)
    .order_by(Interaction.occurred_at.desc())
    .limit(bindparam("interactions"))
)


def _screen_pop(conn: Connection, number: str, orders: int, interactions: int) -> dict[str, Any] | None:
    params = {"number": number, "orders": orders, "interactions": interactions}
    customers = conn.execute(_POP_CUSTOMERS, params).all()
    open_orders = conn.execute(_POP_ORDERS, params).all()
    history_query = _POP_HISTORY_OF_CUSTOMERS if customers else _POP_HISTORY_OF_NUMBER
    return _assemble(number, customers, open_orders, conn.execute(history_query, params).all())


def _assemble(number: str, customers: Sequence[Any], open_orders: Sequence[Any], history: Sequence[Any]):
    found: dict[int, dict[str, Any]] = {}
    for row in customers:
        match = found.get(row.id)
        if match is None:
            match = found[row.id] = customer_json(row, [], row.site_name or "")
        if row.phone is not None:
            match["phones"].append(row.phone)
    matches = list(found.values())
    if not matches and not open_orders and not history:
        return None
    return {
        "number": number,
        "customer": matches[0] if matches else None,
        "matches": matches,
        "open_orders": [order_json(o) for o in open_orders],
        "interactions": [interaction_json(i) for i in history],
    }


# -- the hook: the same statements straight through the driver -------------------------
_CustomerRow = namedtuple("_CustomerRow", [*(c.key for c in _POP_CUSTOMER_COLUMNS), "phone"])  # type: ignore[misc]
_OrderRow = namedtuple("_OrderRow", [c.key for c in _POP_ORDER_COLUMNS])  # type: ignore[misc]
_InteractionRow = namedtuple("_InteractionRow", [c.key for c in _POP_INTERACTION_COLUMNS])  # type: ignore[misc]


def _utc(value: Any) -> dt.datetime | None:
    """What ``UtcDateTime`` makes of a stored value (SQLite hands back text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC)


def _order(row: Sequence[Any]) -> Any:
    values = list(row)
    values[5], values[6] = _utc(values[5]), _utc(values[6])
    return _OrderRow(*values)


def _interaction(row: Sequence[Any]) -> Any:
    values = list(row)
    values[5] = _utc(values[5])
    payload = values[9]
    values[9] = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    return _InteractionRow(*values)


_ASKED = ("number", "orders", "interactions")
#: SQL text, then for each positional parameter the name asked for or the fixed value
_Compiled = tuple[str, list[tuple[str, Any]]]


class _DriverStatements:
    """The pop's statements compiled once for a dialect."""

    def __init__(self, dialect: Any) -> None:
        def compiled(stmt: Any) -> _Compiled:
            c = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            values = c.construct_params(dict.fromkeys(_ASKED))
            return c.string, [(n, None if n in _ASKED else values[n]) for n in c.positiontup or ()]

        self.customers = compiled(_POP_CUSTOMERS)
        self.orders = compiled(_POP_ORDERS)
        self.of_customers = compiled(_POP_HISTORY_OF_CUSTOMERS)
        self.of_number = compiled(_POP_HISTORY_OF_NUMBER)

    @staticmethod
    def args(statement: _Compiled, params: dict[str, Any]) -> list[Any]:
        return [params[name] if name in _ASKED else value for name, value in statement[1]]

    def as_one_postgresql_statement(self) -> _Compiled:
        """The four as one statement of three arrays of rows: customers, open orders, and the
        customers' history or else the number's (a CASE runs only the subquery it picks).

        Each array is ``ARRAY(SELECT r FROM (<statement>) AS r)``: the subquery scan keeps its
        ORDER BY's order, and asyncpg hands the anonymous rows back as typed tuples.
        """
        positions: list[tuple[str, Any]] = []

        def array(statement: _Compiled) -> str:
            sql, own = statement
            shift = len(positions)
            positions.extend(own)
            sql = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + shift}", sql)
            return f"ARRAY(SELECT r FROM ({sql}) AS r)"

        customers, orders = array(self.customers), array(self.orders)
        of_customers, of_number = array(self.of_customers), array(self.of_number)
        sql = (
            f"WITH pop_customers AS (SELECT {customers} AS rows) "
            f"SELECT pop_customers.rows, {orders}, "
            f"CASE WHEN cardinality(pop_customers.rows) > 0 THEN {of_customers} ELSE {of_number} END "
            "FROM pop_customers"
        )
        return sql, positions


def screen_pop_hook(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    orders: int = 10,
    interactions: int = 10,
    default_area_code: str = "",
) -> Callable[[str], Awaitable[dict[str, Any] | None]]:
    """The ``customer_lookup`` for ``cti.CtiBridge``: never waits for writers, never writes."""
    bind = sessionmaker.kw.get("bind")
    run = None
    if isinstance(bind, AsyncEngine):
        statements = _DriverStatements(bind.dialect)
        if bind.dialect.name == "sqlite":
            run = _sqlite_runner(bind, statements)
        elif bind.dialect.driver == "asyncpg":
            run = _asyncpg_runner(bind, statements)
    if run is None:

        async def lookup_in_session(phone: str) -> dict[str, Any] | None:
            async with sessionmaker() as session:
                return await lookup_for_screen_pop(
                    session,
                    phone,
                    orders=orders,
                    interactions=interactions,
                    default_area_code=default_area_code,
                )

        return lookup_in_session

    async def lookup(phone: str) -> dict[str, Any] | None:
        try:
            number = normalize(phone, default_area_code)
        except InvalidPhoneNumber:
            return None
        return await run({"number": number, "orders": orders, "interactions": interactions})

    return lookup


Runner = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


#: connections of the screen-pop's own pool: all opened at once, each with the pop's statement
#: prepared, so no pop waits for a connection being opened or a statement being planned (one
#: that did took 15-30 ms, the worst pop of every benchmark run)
POP_CONNECTIONS = 8


def _asyncpg_runner(engine: AsyncEngine, st: _DriverStatements) -> Runner:
    """One round trip on the hook's own pool (``db.DriverPool``), each connection opened with
    the pop's statement prepared."""
    pop = st.as_one_postgresql_statement()
    nobody = st.args(pop, {"number": "", "orders": 0, "interactions": 0})

    async def prepared(connection: Any) -> None:
        await connection.fetchrow(pop[0], *nobody)  # into the connection's statement cache

    pool = DriverPool(engine, POP_CONNECTIONS, init=prepared)

    async def run(params: dict[str, Any]) -> dict[str, Any] | None:
        customers, open_orders, history = await pool.run(
            lambda pg: pg.fetchrow(pop[0], *st.args(pop, params))
        )
        return _assemble(
            params["number"],
            [_CustomerRow(*r) for r in customers],
            [_order(r) for r in open_orders],
            [_interaction(r) for r in history],
        )

    return run


#: reader threads of the SQLite screen-pop, each with its own connection (sqlite3 lets go of
#: the GIL while SQLite works, so two readers use both cores)
SQLITE_READERS = 2


class _SqliteReaders:
    """Threads, each with its own autocommit ``sqlite3`` connection to one file, running the
    pops handed to them. A pop costs one queue put and one wake-up of the loop, where
    ``asyncio.to_thread`` with a pooled connection cost twice the pop's own SQL (about 160 µs
    against 150), and sixteen pops in flight did no more than one."""

    def __init__(self, path: str, threads: int = SQLITE_READERS) -> None:
        self.path = path
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._size = threads
        self._lock = threading.Lock()

    def run(self, work: Callable[[sqlite3.Connection, Any], Any], arg: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._threads:
            self._start()
        self._jobs.put((work, arg, future, loop))
        return future

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self._size:
                thread = threading.Thread(target=self._serve, name="screen-pop-sqlite", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=30000")
        # Autocommit reads: each statement sees the latest commit and takes no lock.
        connection.isolation_level = None
        try:
            while (job := self._jobs.get()) is not None:
                work, arg, future, loop = job
                try:
                    result, error = work(connection, arg), None
                except Exception as exc:
                    result, error = None, exc
                try:
                    loop.call_soon_threadsafe(_settle, future, result, error)
                except RuntimeError:
                    pass  # that loop is closed: nobody waits for the answer any more
        finally:
            connection.close()

    def close(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the pop was given up on
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _sqlite_runner(engine: AsyncEngine, st: _DriverStatements) -> Runner | None:
    """The three statements on the hook's own reader threads (``_SqliteReaders``), each with a
    plain ``sqlite3`` connection to the engine's file: one hand-over per pop, where aiosqlite
    takes about four per statement.

    None for an in-memory database, which a second connection would not see.
    """
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    readers = _SqliteReaders(database)

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _on_dispose(_engine: Any) -> None:
        readers.close()

    def pop(con: sqlite3.Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        customers = con.execute(st.customers[0], st.args(st.customers, params)).fetchall()
        open_orders = con.execute(st.orders[0], st.args(st.orders, params)).fetchall()
        history_st = st.of_customers if customers else st.of_number
        history = con.execute(history_st[0], st.args(history_st, params)).fetchall()
        return _assemble(
            params["number"],
            [_CustomerRow(*r) for r in customers],
            [_order(r) for r in open_orders],
            [_interaction(r) for r in history],
        )

    def run(params: dict[str, Any]) -> Awaitable[dict[str, Any] | None]:
        return readers.run(pop, params)

    return run
