"""Engines, sessions and migrations: the only place that knows database URLs.

``create_engine(url)`` accepts ``sqlite:///path`` / ``sqlite+aiosqlite:///path``
(the embedded default) and ``postgresql://…`` / ``postgresql+asyncpg://…``.
On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (and WAL + a busy
timeout): a deferred transaction that reads and then writes fails outright when
another writer committed in between, which is exactly what concurrent order
creation does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

MIGRATIONS = Path(__file__).with_name("migrations")


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
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_async_engine(url, **kwargs)
        _sqlite_immediate_transactions(engine)
        return engine
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


def _sqlite_immediate_transactions(engine: AsyncEngine) -> None:
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
        # Straight to aiosqlite: one hop into its thread, where exec_driver_sql makes three
        # (cursor, execute, close); every transaction pays this.
        dbapi_connection = conn.connection.dbapi_connection
        try:
            await_only(dbapi_connection.driver_connection.execute(sql))
        except Exception as exc:
            dbapi = conn.dialect.loaded_dbapi
            raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc


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
