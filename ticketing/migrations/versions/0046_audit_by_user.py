"""The audit's rows by who acted and what they did (``ix_audit_user_action``): 显示已处理 lists the
async events the viewer handled themselves (``intake.inbox``: their ``event.handled`` /
``event.closed`` rows, a supervisor's 未分派事件 and colleagues' events among them), a read of one
user's rows of two actions, not of every interaction's rows the log has kept for years.

Revision ID: 0046
Revises: 0045
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.create_index("ix_audit_user_action", ["user_id", "action"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_user_action")
