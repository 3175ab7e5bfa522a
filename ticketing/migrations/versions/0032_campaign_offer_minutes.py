"""How long a preview offer stays with its agent is the campaign's (``campaigns.offer_minutes``,
1–60 minutes): a visit-back script read slowly needs longer than a callback's two lines
(docs/campaigns.md, The dialer). Campaigns stored so far keep the 5 minutes they had.

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("offer_minutes", sa.Integer(), nullable=False, server_default="5"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("offer_minutes")
