"""Knowledge categories are managed from the console: an order among siblings and 停用.

Seeded categories keep their order by id; every existing category stays enabled.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite a batch rebuilds the table, and dropping
    # the old one fails (foreign keys are on) once articles point at their categories.
    op.add_column("kb_categories", sa.Column("sort", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("kb_categories", sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE kb_categories SET sort = id")


def downgrade() -> None:
    with op.batch_alter_table("kb_categories") as batch:
        batch.drop_column("enabled")
        batch.drop_column("sort")
