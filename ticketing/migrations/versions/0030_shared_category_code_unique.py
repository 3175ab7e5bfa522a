"""One shared category a code, held by the database: ``uq_categories_code_site`` (code, site_id)
does not hold where ``site_id`` is NULL (NULLs are distinct in a unique constraint, on
PostgreSQL and SQLite alike), so two admins creating the same shared code at the same moment
could both succeed. A partial unique index on ``code`` where ``site_id IS NULL``
(``uq_categories_code_shared``, both databases) makes the second insert fail; the 业务类别
page answers it ``field_duplicate`` (docs/console.md).

A database that already holds two shared rows of one code is not upgraded: the upgrade stops
with a message naming each such code and its rows, and nothing of it is applied (one
transaction). The rows are not merged or renamed here: orders, reports, templates and survey
dimensions name a category by its code alone, so which row is meant is the admin's call (keep
one: move the other's 小类别 under it, ``UPDATE categories SET parent_id = <kept> WHERE
parent_id = <other>``, then ``DELETE FROM categories WHERE id = <other>``, and upgrade again;
docs/workflows.md).

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

SHARED = sa.text("site_id IS NULL")


class DuplicateSharedCategories(RuntimeError):
    """Shared categories share a code: the unique index cannot be built until one is kept."""


def duplicates(connection: sa.Connection) -> dict[str, list[tuple[int, str]]]:
    """The codes of more than one shared row, each with its rows' (id, name), by id."""
    rows = connection.execute(
        sa.text(
            "SELECT code, id, name FROM categories WHERE site_id IS NULL AND code IN"
            " (SELECT code FROM categories WHERE site_id IS NULL GROUP BY code HAVING COUNT(*) > 1)"
            " ORDER BY code, id"
        )
    )
    found: dict[str, list[tuple[int, str]]] = {}
    for code, row_id, name in rows:
        found.setdefault(code, []).append((row_id, name))
    return found


def upgrade() -> None:
    clashing = duplicates(op.get_bind())
    if clashing:
        listed = "; ".join(
            f"{code}: " + ", ".join(f"id {row_id} ({name})" for row_id, name in rows)
            for code, rows in clashing.items()
        )
        raise DuplicateSharedCategories(
            "migration 0030 stopped: shared categories (site_id NULL) share a code, which orders "
            f"name alone: {listed}. Keep one row of each code: move the others' 小类别 under it "
            "(UPDATE categories SET parent_id = <kept id> WHERE parent_id = <other id>), delete "
            "the others (DELETE FROM categories WHERE id = <other id>), then upgrade again. "
            "Migration 0030 changed nothing."
        )
    op.create_index(
        "uq_categories_code_shared",
        "categories",
        ["code"],
        unique=True,
        sqlite_where=SHARED,
        postgresql_where=SHARED,
    )


def downgrade() -> None:
    op.drop_index("uq_categories_code_shared", table_name="categories")
