"""Campaign attempts: every call placed for a contact, and how it ended.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["campaign_contacts.id"],
            name=op.f("fk_campaign_attempts_contact_id_campaign_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")),
    )
    op.create_index(
        "ix_campaign_attempts_recent", "campaign_attempts", ["campaign_id", "mode", "id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_attempts_call_id"), "campaign_attempts", ["call_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_attempts_call_id"), table_name="campaign_attempts")
    op.drop_index("ix_campaign_attempts_recent", table_name="campaign_attempts")
    op.drop_table("campaign_attempts")
