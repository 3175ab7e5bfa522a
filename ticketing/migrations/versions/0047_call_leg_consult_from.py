"""A call's leg of an agent only consulted about it (咨询转接) says so (``call_legs.consult_from``:
the 工号 of the agent who consulted them, "" for a leg of their own): the colleague asked a question
about another agent's caller has not taken that call, so an order they create meanwhile is not
linked to it as its customer's contact (``calls.ACTIVE_CALL``; docs/console.md). A completed
transfer makes the leg theirs (the same leg announced again without ``consult_from``). Legs stored
before were all taken as the agent's own: "".

Revision ID: 0047
Revises: 0046
"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "call_legs", sa.Column("consult_from", sa.String(length=32), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("call_legs") as batch:
        batch.drop_column("consult_from")
