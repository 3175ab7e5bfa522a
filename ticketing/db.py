"""Engines, sessions and migrations: the only place that knows database URLs.

``create_engine(url)`` accepts ``sqlite:///path`` / ``sqlite+aiosqlite:///path``
(the embedded default) and ``postgresql://…`` / ``postgresql+asyncpg://…``.
On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (and WAL + a busy
timeout): a deferred transaction that reads and then writes fails outright when
another writer committed in between, which is exactly what concurrent order
creation does.

Each SQLite statement is a hop into aiosqlite's thread, and a hop costs more than a
small statement. So ``BEGIN IMMEDIATE`` goes out in the same hop as the transaction's
first statement, a transaction that ran none ends without a hop, and a connection
back in the pool is rolled back only when it is still in a transaction (after a
commit, SQLAlchemy's rollback-on-return was one more hop per transaction).
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from ticketing.widths import fold_width

MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")


def async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.dialect.name
        if isinstance(url_or_engine, AsyncEngine)
        else make_url(url_or_engine).get_backend_name()
    )
    return name == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        return _sqlite_engine(url, kwargs)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _drop_closed_connections(engine)
    return engine


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (a restart, an idle timeout) is replaced at
    checkout. asyncpg notices the closed socket by itself, so this costs no round trip, where
    ``pool_pre_ping`` costs three per transaction (BEGIN, a ping, ROLLBACK) on asyncpg. A
    connection lost without the socket closing still fails its first statement; SQLAlchemy
    then invalidates it and the pool."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


class SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, whose transaction begins in the same hop into its thread as
    the transaction's first statement."""

    _begin: str | None = None  # the BEGIN still to run before the next statement

    def begin_lazily(self, sql: str) -> None:
        self._begin = sql

    @property
    def in_transaction(self) -> bool:
        return self._begin is not None or (self._connection is not None and self._connection.in_transaction)

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        begin, self._begin = self._begin, None
        if begin is None:
            return await super()._execute(fn, *args, **kwargs)
        db = self._conn

        def begin_then_run() -> T:
            db.execute(begin)
            return fn(*args, **kwargs)

        return await super()._execute(begin_then_run)

    async def commit(self) -> None:
        if self._begin is not None:
            self._begin = None  # nothing ran: nothing to commit
            return
        await super().commit()

    async def rollback(self) -> None:
        if self._begin is not None:
            self._begin = None
            return
        await super().rollback()

    async def close(self) -> None:
        self._begin = None
        await super().close()


async def sqlite_call(conn: AsyncConnection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``fn(the sqlite3 connection)`` in the connection's own thread, inside the transaction:
    one hop, however many statements ``fn`` runs. Errors come out as SQLAlchemy's."""
    driver: SqliteConnection = conn.sync_connection.connection.driver_connection
    try:
        return await driver._execute(fn, driver._conn)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(None, None, exc, sqlite3.Error, dialect=conn.dialect) from exc


async def postgres_fetchrow(conn: AsyncConnection, sql: str, params: Sequence[Any]) -> Any:
    """One statement straight through asyncpg, in the connection's transaction (begun first
    when no statement has begun it yet), its first row. SQLAlchemy's statement path costs
    about 0.1 ms of CPU more, a tenth of a new order. Errors come out as SQLAlchemy's, and a
    lost connection is invalidated, as from ``exec_driver_sql``."""
    adapted = conn.sync_connection.connection.dbapi_connection
    try:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
            return await adapted._connection.fetchrow(sql, *params)
    except Exception as exc:
        await _raise_dbapi(conn, adapted, exc, sql, params)


class _Begun:
    """A transaction begun by ``postgres_begin``'s own query, committed or rolled back for
    SQLAlchemy's asyncpg adapter (its ``_transaction``: start, commit, rollback) as asyncpg's
    own ``Transaction`` of a plain ``BEGIN`` would be."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def start(self) -> None:  # pragma: no cover - the adapter never starts a begun one
        raise RuntimeError("the transaction is begun already")

    async def commit(self) -> None:
        await self._connection.execute("COMMIT")

    async def rollback(self) -> None:
        await self._connection.execute("ROLLBACK")


#: connections whose statement ``postgres_begin`` prepared (asyncpg's, by the statement's text)
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


async def postgres_begin(conn: AsyncConnection, sql: str, prepare: str = "") -> bool:
    """Begin the connection's transaction with ``sql``, one simple query (no parameters) whose
    last statement is ``BEGIN``, in one round trip with whatever it runs before it (in an
    implicit transaction of its own, committed by a ``COMMIT`` in ``sql``): the order's number
    (``numbering.begin_sql``). ``prepare``: a ``PREPARE`` that ``sql`` executes, run once per
    connection first (again if the server has forgotten it). Only when no statement has begun
    the transaction yet and the connection begins a plain one (no isolation level, read-only
    or deferrable set); False, with nothing sent, otherwise. Errors come out as SQLAlchemy's,
    as from ``postgres_fetchrow``."""
    import asyncpg

    adapted = conn.sync_connection.connection.dbapi_connection
    if adapted._transaction is not None or adapted.isolation_level is not None:
        return False
    if adapted.readonly or adapted.deferrable:
        return False
    driver = adapted._connection
    try:
        async with adapted._execute_mutex:
            prepared = _prepared.setdefault(driver, set())
            if prepare and prepare not in prepared:
                await driver.execute(prepare)
                prepared.add(prepare)
            try:
                await driver.execute(sql)
            except asyncpg.exceptions.InvalidSQLStatementNameError:
                if not prepare:
                    raise
                await driver.execute(prepare)  # DEALLOCATE ALL, DISCARD ALL: prepared again
                await driver.execute(sql)
    except Exception as exc:
        await _raise_dbapi(conn, adapted, exc, sql, ())
    adapted._transaction = _Begun(driver)
    return True


async def _raise_dbapi(
    conn: AsyncConnection, adapted: Any, exc: Exception, sql: str, params: Sequence[Any]
) -> NoReturn:
    """``exc`` from asyncpg as SQLAlchemy's error, the connection invalidated when it is lost."""
    try:
        adapted._handle_exception(exc)  # raises the driver's error as a DBAPI one
    except Exception as dbapi_error:
        lost = conn.dialect.is_disconnect(dbapi_error, adapted, None)
        if lost:
            await conn.invalidate(dbapi_error)
        raise DBAPIError.instance(
            sql,
            params,
            dbapi_error,
            conn.dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from exc
    raise exc


class DriverPool:
    """A few asyncpg connections of its own beside a PostgreSQL engine, for one short job
    run very often outside any session (the screen-pop's lookup, taking an order number).

    Autocommit, no pre-ping and no reset query on release: each is a round trip the job
    would wait for, and these connections only ever run their own statements. All ``size``
    connections are opened at once, each through ``init`` (to prepare the job's statement),
    as soon as the pool is made inside a running loop, else at the first ``run``. A pool
    that could not be opened is tried again at the next ``run``; a connection lost under a
    job (the database restarted) is dropped and the job tried once more. The pool is closed
    when the engine is disposed.

    A connection whose job went well is kept aside for the next job instead of going back
    to asyncpg's pool: its acquire and release cost about as much CPU as the statement
    itself. One whose job failed or was given up on goes back through asyncpg's release,
    which waits out a cancelled statement and replaces a broken connection.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        size: int,
        *,
        init: Callable[[Any], Awaitable[None]] | None = None,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._size, self._init, self._settings = size, init, server_settings
        self._opening: asyncio.Future[Any] | None = None
        self._idle: list[Any] = []  # acquired from the opened pool, free for the next job
        self._waiting = 0  # jobs waiting in asyncpg's acquire: they get the next one done
        event.listen(engine.sync_engine, "engine_disposed", self._on_dispose)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            self._open().add_done_callback(_retrieved)

    def _open(self) -> asyncio.Future[Any]:
        if self._opening is None:
            import asyncpg

            self._opening = asyncio.ensure_future(
                asyncpg.create_pool(
                    self._dsn,
                    min_size=self._size,
                    max_size=self._size,
                    init=self._init,
                    reset=_nothing_to_reset,
                    server_settings=self._settings,
                )
            )
        return self._opening

    async def run(self, job: Callable[[Any], Awaitable[T]]) -> T:
        """``await job(connection)`` on one of the pool's connections."""
        import asyncpg

        try:
            return await self._once(job)
        except (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError):
            return await self._once(job)

    async def _once(self, job: Callable[[Any], Awaitable[T]]) -> T:
        opening = self._open()
        if opening.done() and not opening.cancelled() and opening.exception() is None:
            connections = opening.result()
        else:
            try:
                connections = await asyncio.shield(opening)  # a job given up on leaves it opening
            except Exception:
                if self._opening is opening:
                    self._opening = None
                raise
        idle = self._idle
        connection = None
        while idle:
            connection = idle.pop()
            if not connection.is_closed():
                break
            await connections.release(connection)  # the server went away: asyncpg reconnects it
            connection = None
        if connection is None:
            self._waiting += 1
            try:
                connection = await connections.acquire()
            finally:
                self._waiting -= 1
        try:
            result = await job(connection)
        except BaseException:
            await connections.release(connection)
            raise
        if self._waiting or self._opening is not opening:  # wanted by a waiting job, or disposed
            await connections.release(connection)
        else:
            idle.append(connection)
        return result

    def _on_dispose(self, _engine: Any) -> None:
        self._idle = []
        opening, self._opening = self._opening, None
        if opening is None:
            return
        if not opening.done():
            opening.cancel()
        elif not opening.cancelled() and opening.exception() is None:
            opening.result().terminate()


async def _nothing_to_reset(_connection: Any) -> None:
    return None


def _retrieved(opening: asyncio.Future[Any]) -> None:
    # Opening early is only a head start: a failure is met again by the first job.
    if not opening.cancelled():
        opening.exception()


def _sqlite_engine(url: str, kwargs: dict[str, Any]) -> AsyncEngine:
    connect_args = {"timeout": 30, **kwargs.pop("connect_args", {})}
    engine: AsyncEngine

    async def connect() -> SqliteConnection:
        args, params = engine.dialect.create_connect_args(engine.url)
        connection = SqliteConnection(
            functools.partial(sqlite3.connect, *args, **{**params, **connect_args}), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        connection = await connection
        # search folds the stored text's width in SQL as the query's (ticketing.widths)
        await connection.create_function("fold_width", 1, fold_width, deterministic=True)
        return connection

    kwargs.setdefault("pool_reset_on_return", None)  # _on_reset below
    engine = create_async_engine(url, async_creator=connect, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event own the transaction start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Read-only sessions (read_sessionmaker) take a WAL snapshot and never wait for writers.
        sql = "BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"
        conn.connection.driver_connection.begin_lazily(sql)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
        if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
            dbapi_connection.rollback()

    return engine


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for lookups that never write (screen-pop, reports): on SQLite they neither take
    nor wait for the write lock. Writing through one is a bug (SQLite reports it as locked/busy)."""
    return async_sessionmaker(engine.execution_options(read_only=True), expire_on_commit=False)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def migrate(url_or_engine: str | AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (Alembic, programmatically)."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        if isinstance(url_or_engine, str):
            await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = _alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
