"""A 大类别 may be one intake does not offer (``categories.at_intake`` false): 协调单 is what the
system makes of a fault order whose 派工 ran out of time (派工超时转协调单), never an agent's pick
at the seat or the inbox's 填写受理工单 (it ran 故障报修's whole flow from 受理). Every category
stored so far stays offered, except the seeded 协调单's rows (code ``coordination``, the
conversion's category: ``ticketing/seeds/fault_repair.yaml``), which this turns off at every
level; an admin may offer it again at 业务类别 (docs/workflows.md).

Revision ID: 0035
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

#: the category 派工超时转协调单 converts to (the seeded 故障报修's ``action: {category: ...}``)
COORDINATION = "coordination"


def upgrade() -> None:
    op.add_column(
        "categories", sa.Column("at_intake", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    categories = sa.table(
        "categories",
        sa.column("code", sa.String),
        sa.column("parent_id", sa.Integer),
        sa.column("at_intake", sa.Boolean),
    )
    op.execute(
        categories.update()
        .where(categories.c.code == COORDINATION, categories.c.parent_id.is_(None))
        .values(at_intake=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("at_intake")
