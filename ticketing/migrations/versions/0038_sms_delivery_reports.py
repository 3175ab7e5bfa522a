"""SMS delivery reports: a sent SMS keeps the id the gateway answered with (``gateway_id``) and
what its delivery report said (``delivery``: delivered / failed / expired, ``delivery_at``,
``delivery_reason`` the gateway's code); ``sms_reports`` keeps each report the gateway sent,
one per message id and outcome, and holds one naming an id not known yet until an SMS gets it
(``ticketing.sms_status``). SMS sent before have no gateway id: they never get a report.

Revision ID: 0038
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs with literal defaults: no batch rebuild of the outbox on SQLite
    op.add_column("notifications", sa.Column("gateway_id", sa.String(length=128), nullable=True))
    op.add_column(
        "notifications", sa.Column("delivery", sa.String(length=12), nullable=False, server_default="")
    )
    op.add_column("notifications", sa.Column("delivery_at", sa.DateTime(), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("delivery_reason", sa.String(length=100), nullable=False, server_default=""),
    )
    op.create_index(op.f("ix_notifications_gateway_id"), "notifications", ["gateway_id"], unique=False)
    op.create_table(
        "sms_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_sms_reports_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_reports")),
        sa.UniqueConstraint("gateway_id", "status", name="uq_sms_reports_gateway_status"),
    )
    op.create_index(op.f("ix_sms_reports_notification_id"), "sms_reports", ["notification_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_reports_notification_id"), table_name="sms_reports")
    op.drop_table("sms_reports")
    op.drop_index(op.f("ix_notifications_gateway_id"), table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("delivery_reason")
        batch.drop_column("delivery_at")
        batch.drop_column("delivery")
        batch.drop_column("gateway_id")
