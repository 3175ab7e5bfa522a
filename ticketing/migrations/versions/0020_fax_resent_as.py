"""Notifications: the fax a failed one was sent again as (重发).

``POST /api/faxes/{id}/resend`` refused only a fax that had not failed, and the failed row never
changed, so a double click or two agents on the same order each queued a copy and the customer's
fax machine printed the document twice. The failed row now records the row that resent it, set
once by a conditional update; a second 重发 of it is refused.

Rows already resent before this revision are not known as such (nothing linked them); they stay
open to one more 重发.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("resent_as", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_resent_as_notifications"),
            "notifications",
            ["resent_as"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("fk_notifications_resent_as_notifications"), type_="foreignkey")
        batch.drop_column("resent_as")
