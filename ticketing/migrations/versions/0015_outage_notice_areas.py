"""Outage notices name the places out of power (lines, 台区, streets, districts) per version.

Existing notices have no rows here: their 停电范围 text is still searched and told.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_notice_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["outage_notices.id"],
            name="fk_outage_notice_areas_notice_id_outage_notices",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outage_notice_areas"),
    )
    op.create_index("ix_outage_notice_areas_notice_id", "outage_notice_areas", ["notice_id"])
    op.create_index("ix_outage_notice_areas_code", "outage_notice_areas", ["code"])


def downgrade() -> None:
    op.drop_index("ix_outage_notice_areas_code", table_name="outage_notice_areas")
    op.drop_index("ix_outage_notice_areas_notice_id", table_name="outage_notice_areas")
    op.drop_table("outage_notice_areas")
