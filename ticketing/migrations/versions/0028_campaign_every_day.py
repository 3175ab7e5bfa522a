"""A campaign's calling windows may apply on every day (``campaigns.every_day``), rest days and
holidays too: a 24×7 line's queue callbacks follow the hours the line is staffed, not office
days (docs/campaigns.md, What a campaign is: windows). Campaigns stored so far keep working days only.

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "campaigns", sa.Column("every_day", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("every_day")
