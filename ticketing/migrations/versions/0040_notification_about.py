"""A screen notification may name the message it is about (``notifications.about_id``): the
``sms_failed`` 提醒 names the SMS that did not arrive, so the console says it in the reader's
language (to whom, failed or expired, what the gateway's code means) instead of the Chinese it
was stored with. No foreign key: purging the SMS must not wait on its 提醒, which then keeps its
stored words. Rows from before have none and show their stored words.

Revision ID: 0040
Revises: 0039
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: no batch rebuild of the outbox on SQLite
    op.add_column("notifications", sa.Column("about_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("about_id")
