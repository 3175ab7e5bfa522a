"""A site can be 停用 (``sites.enabled``): a bureau merged away or closed keeps its orders, users
and audit trail, which its references forbid deleting, while no new order, user or routing
names it (docs/console.md, 单位管理). Every site stored so far stays enabled.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sites", sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("enabled")
