"""Call legs: each agent's time with the customer on a call (answer, transfer, conference).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_call_legs_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_call_legs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_legs")),
        sa.UniqueConstraint("interaction_id", "agent_id", "answered_at", name="uq_call_legs_agent_time"),
    )
    op.create_index("ix_call_legs_agent_time", "call_legs", ["agent_id", "answered_at"], unique=False)
    # The calls already answered, one leg each (their agent, answer and end), so an agent's
    # last call is found the same way before and after the upgrade.
    op.execute(
        """
        INSERT INTO call_legs (interaction_id, agent_id, user_id, answered_at, ended_at)
        SELECT id, agent_id, user_id, occurred_at, ended_at FROM interactions
        WHERE kind = 'call' AND agent_id <> '' AND status IN ('answered', 'ended')
          AND (status = 'answered' OR duration > 0)
        """
    )


def downgrade() -> None:
    op.drop_index("ix_call_legs_agent_time", table_name="call_legs")
    op.drop_table("call_legs")
