"""Notifications: delivery attempts, the time of the next one, and a fax's pages.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("pages", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("pages")
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
