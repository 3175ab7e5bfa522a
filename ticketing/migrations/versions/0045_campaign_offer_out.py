"""A preview offer out on an agent's card is in the database (``campaign_contacts.offered_at``:
when the hold began; null when no card shows the contact), not only in the dialer's memory: a
dialer that starts (a crash, a redeploy, the cti role moving to another process) finds the offers
its predecessor left out and either takes each over, counting down to the same moment, or
withdraws it from the agent's card (docs/campaigns.md, The dialer). Contacts stored before have
no card out: null.

Revision ID: 0045
Revises: 0044
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaign_contacts", sa.Column("offered_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_contacts") as batch:
        batch.drop_column("offered_at")
