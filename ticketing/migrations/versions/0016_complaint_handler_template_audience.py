"""The seeded complaint 处理 email ("投诉工单 … 已分派给您处理") is for the handler, not the customer.

Seeds are applied only to an empty template table (ticketing.seed), so installations seeded
before ``audience: handler`` existed still mail the customer that their complaint is assigned
to them; this moves that seeded row (known by its category × step × channel and its words
已分派给您处理, whether enabled or not) to the handler audience.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_SEEDED = sa.table(
    "notification_templates",
    sa.column("category", sa.String),
    sa.column("node", sa.String),
    sa.column("channel", sa.String),
    sa.column("body", sa.Text),
    sa.column("audience", sa.String),
)


def _seeded_handler_email(audience: str):
    return (
        (_SEEDED.c.category == "complaint")
        & (_SEEDED.c.node == "handle")
        & (_SEEDED.c.channel == "email")
        & (_SEEDED.c.audience == audience)
        & _SEEDED.c.body.like("%已分派给您处理%")
    )


def upgrade() -> None:
    op.execute(_SEEDED.update().where(_seeded_handler_email("customer")).values(audience="handler"))


def downgrade() -> None:
    op.execute(_SEEDED.update().where(_seeded_handler_email("handler")).values(audience="customer"))
