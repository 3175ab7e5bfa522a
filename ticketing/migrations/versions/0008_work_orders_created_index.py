"""Work orders: an index for the lists' default order (newest first).

Without it every page of the search list sorted the whole table.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_orders_created", "work_orders", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_work_orders_created", table_name="work_orders")
