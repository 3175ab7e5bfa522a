"""When an auto-sent message template goes out (``notification_templates.send_on``): ``enter``
each time an order enters its step (what every template did), ``first_enter`` the first time
only, ``leave`` when the order moves on from the step, whichever exit it takes.

The seeded fault SMS are moved to what they say (QA 2026-11-29 #10): 故障抢修完成短信 was sent on
entering 回复客户, which orders without 需要回复客户 skip, so their customers never heard the
repair was done; it goes out on leaving 抢修完成 now. 故障受理通知短信 (已受理，抢修人员正在安排)
was sent again when a dissatisfied customer's order went back to 派工 (重新派工); first entry
only now. Only the seeded rows as seeded (name, category, step, channel) are touched: a template
an admin made or moved keeps what it is. Downgrade drops the column and moves the 抢修完成 SMS
back to 回复客户.

Revision ID: 0048
Revises: 0047
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None

templates = sa.table(
    "notification_templates",
    sa.column("name", sa.String),
    sa.column("category", sa.String),
    sa.column("node", sa.String),
    sa.column("channel", sa.String),
    sa.column("send_on", sa.String),
)


def _seeded(name: str, node: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        templates.c.name == name,
        templates.c.category == "fault",
        templates.c.node == node,
        templates.c.channel == "sms",
    )


def upgrade() -> None:
    op.add_column(
        "notification_templates",
        sa.Column("send_on", sa.String(length=12), nullable=False, server_default="enter"),
    )
    op.execute(
        templates.update().where(_seeded("故障抢修完成短信", "reply")).values(node="repair", send_on="leave")
    )
    op.execute(
        templates.update().where(_seeded("故障受理通知短信", "dispatch")).values(send_on="first_enter")
    )


def downgrade() -> None:
    op.execute(templates.update().where(_seeded("故障抢修完成短信", "repair")).values(node="reply"))
    with op.batch_alter_table("notification_templates") as batch:
        batch.drop_column("send_on")
