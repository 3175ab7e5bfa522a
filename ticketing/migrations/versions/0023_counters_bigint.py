"""Counters hold 64-bit values: the intake's sign-in and sign-out marks are moments in
microseconds (the bus's seq, which they held first, starts again at every restart).

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # marks written as bus seqs mean nothing as moments: the next sign-in or sign-out writes anew
    op.execute("DELETE FROM counters WHERE key LIKE 'intake-signed-%'")
    with op.batch_alter_table("counters") as batch:
        batch.alter_column(
            "value", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE key LIKE 'intake-signed-%'")
    with op.batch_alter_table("counters") as batch:
        batch.alter_column(
            "value", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
