"""Alembic environment: runs on a connection handed in by ticketing.db.migrate.

For the alembic CLI (autogenerate), set HOTLINE_DB_URL (a sync URL, e.g.
sqlite:///dev.db) and run ``alembic -c ticketing/migrations/alembic.ini revision --autogenerate``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from ticketing.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(os.environ.get("HOTLINE_DB_URL", "sqlite:///hotline-dev.db"))
    with engine.begin() as conn:
        _run(conn)
