"""Campaign DB tests run on SQLite and PostgreSQL with ticketing's fixtures."""

from tests.ticketing.conftest import db_url, engine, pg_database, session, sm, sqlite_template

__all__ = ["db_url", "engine", "pg_database", "session", "sm", "sqlite_template"]
