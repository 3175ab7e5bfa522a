"""Interactions by kind and time: the call reports read one kind over a period.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_kind_time", "interactions", ["kind", "occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_interactions_kind_time", table_name="interactions")
