"""An index on ``notifications.order_id``: the outbox is looked up by order on paths that grow
with it (rows are kept 90 days): an order moved to another site (``screen_alerts.shut_out``,
on each 转派 across sites), the order page's 短信/邮件/传真 and reminders history
(``agent_ui.order_views``), the user's unread rows about an order as they open it
(``screen_alerts.unread_about``) and PostgreSQL's ``ON DELETE SET NULL`` of the foreign key.
Each scanned the whole table before.

Revision ID: 0031
Revises: 0030
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_order", "notifications", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_order", table_name="notifications")
