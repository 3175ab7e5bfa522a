"""Screen notifications are kept for the handler: ``read_at`` (null while unread: the header's
提醒 counts them), ``kind`` (reminder, overrun, supervise, cc, converted, routed…: what the list and
the order's timeline call it) and an index for one user's unread screen rows.

Screen rows already stored were shown as pop-ups when they came: those older than a week count
as read, so nobody's bell starts at hundreds; the rest wait to be read. Their kind is read from
the wording the SLA worker gave them (已超期 / 即将超期).

Revision ID: 0026
Revises: 0025
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("read_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(24), nullable=False, server_default=""))
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "channel", "read_at"])
    week_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=7)
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE notifications SET read_at = created_at WHERE channel = 'screen' AND created_at < :cutoff"
        ),
        {"cutoff": week_ago},
    )
    bind.execute(sa.text("UPDATE notifications SET kind = 'overrun' WHERE body LIKE '%已超期%'"))
    bind.execute(
        sa.text("UPDATE notifications SET kind = 'reminder' WHERE kind = '' AND body LIKE '%即将超期%'")
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("kind")
        batch.drop_column("read_at")
