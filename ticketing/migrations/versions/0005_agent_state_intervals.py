"""Agent state intervals for the agent report (login, ready, pause by reason, talk, ACW).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_state_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agent_state_intervals"),
        sa.UniqueConstraint("agent_id", "started_at", "state", name="uq_agent_state_intervals_agent_start"),
    )
    op.create_index("ix_agent_state_intervals_started", "agent_state_intervals", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_agent_state_intervals_started", table_name="agent_state_intervals")
    op.drop_table("agent_state_intervals")
