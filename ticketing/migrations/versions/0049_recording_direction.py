"""A recording takes its call's direction (``interactions.direction`` of kind ``recording``).

Until dfce4d9 a recording row was written with the column's default, ``inbound``, whatever its
call was: the recording of a 回拨, a campaign call or an agent's dial-out said 呼入 in a contact's
history and in the recordings' lists while its call said 呼出. New rows copy their call's
direction; this moves the rows stored before to their call's (the call row, same
``external_id``, is right once its ``CallEnded`` came). A recording whose call row is missing
keeps what it has.

Downgrade changes nothing: the old direction was a default, not a fact worth restoring.

Revision ID: 0049
Revises: 0048
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

interactions = sa.table(
    "interactions",
    sa.column("kind", sa.String),
    sa.column("external_id", sa.String),
    sa.column("direction", sa.String),
)


def upgrade() -> None:
    call = interactions.alias("call")
    calls_direction = (
        sa.select(call.c.direction)
        .where(call.c.kind == "call", call.c.external_id == interactions.c.external_id)
        .scalar_subquery()
    )
    differs = (
        sa.select(call.c.direction)
        .where(
            call.c.kind == "call",
            call.c.external_id == interactions.c.external_id,
            call.c.direction != interactions.c.direction,
        )
        .exists()
    )
    op.execute(
        interactions.update()
        .where(interactions.c.kind == "recording", differs)
        .values(direction=calls_direction)
    )


def downgrade() -> None:
    pass
