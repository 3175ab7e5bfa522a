"""An email event's number is its sender's address, which takes up to 254 characters (RFC 5321);
the column took 32, and on PostgreSQL a longer address was a DataError: the mail was never taken
in. Widening a varchar rewrites nothing on PostgreSQL.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _declare("VARCHAR(32)", "VARCHAR(254)")
        return
    with op.batch_alter_table("interactions") as batch:
        batch.alter_column(
            "number", type_=sa.String(254), existing_type=sa.String(32), existing_nullable=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _declare("VARCHAR(254)", "VARCHAR(32)")
        return
    with op.batch_alter_table("interactions") as batch:
        batch.alter_column(
            "number", type_=sa.String(32), existing_type=sa.String(254), existing_nullable=False
        )


def _declare(old: str, new: str) -> None:
    """SQLite keeps text of any length whatever the column's declared type, so only the
    declaration changes, in the schema table (sqlite.org/lang_altertable.html § 7, for a change
    that leaves every stored row as it is). A batch copy of the table would drop the old one, and
    with foreign_keys on that drop's implicit DELETE cascades to the call legs and order links."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'interactions'",
        (f"number {old} NOT NULL", f"number {new} NOT NULL"),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
