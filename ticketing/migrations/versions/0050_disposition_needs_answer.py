"""A 结果代码 may need the customer to have answered (``dispositions.needs_answer``): 满意,
不满意, 问题已解决 and 拒绝回访 are what a customer said, so a contact whose latest call found
nobody (无人接听, 忙, 呼叫失败…) cannot take them; 号码错误 and 客户要求稍后再打 fit such a call
(docs/campaigns.md, The dialer: the card's result). A code an admin configured keeps fitting any
call, as it did: nothing says what it means.

Revision ID: 0050
Revises: 0049
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None

#: the shipped codes only a customer on the line can give (``campaigns.store.DEFAULT_DISPOSITIONS``)
ANSWERED_CODES = ("satisfied", "dissatisfied", "resolved", "refused")

dispositions = sa.table("dispositions", sa.column("code", sa.String), sa.column("needs_answer", sa.Boolean))


def upgrade() -> None:
    op.add_column(
        "dispositions", sa.Column("needs_answer", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(dispositions.update().where(dispositions.c.code.in_(ANSWERED_CODES)).values(needs_answer=True))


def downgrade() -> None:
    with op.batch_alter_table("dispositions") as batch:
        batch.drop_column("needs_answer")
