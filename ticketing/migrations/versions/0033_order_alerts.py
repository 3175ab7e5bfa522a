"""The 提醒 an order's 处理过程 lists outlive the notices' retention: ``order_alerts`` keeps each
read screen row about an order (a reminder, overrun alert, 督办, 抄送 …) as the purge deletes it
from ``notifications`` (``screen_alerts.purge_read``), and the order page reads both. Rows the
retention deleted before this revision are gone; nothing here moves or changes existing rows.

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op


revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_alerts",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["work_orders.id"], name="fk_order_alerts_order_id_work_orders", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_order_alerts_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_alerts"),
    )
    op.create_index("ix_order_alerts_order_id", "order_alerts", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_alerts_order_id", table_name="order_alerts")
    op.drop_table("order_alerts")
