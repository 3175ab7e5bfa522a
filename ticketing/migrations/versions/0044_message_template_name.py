"""Message templates have a name (``notification_templates.name``, 名称): admins, the workflow
editor's reminder picker, the 停用 warning and the audit log named a template only by its
category, step and channel, or by the start of its text.

The templates stored before get one derived from what identified them: the category's name, the
step's name (as the category's workflow, its latest version, calls it), the channel, and whom it
goes to when that is not the customer: 投诉·处理·邮件（发给处理人）. A category or step no longer
known reads as its code. A name two templates would share (an enabled one and its 停用
predecessor) gets （2）, （3）… on the later ones, so every template is told apart; the admins may
rename them on the message-template page. Written out here, not read from the code. Downgrade
drops the column.

Revision ID: 0044
Revises: 0043
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

NAME_LIMIT = 64
CHANNELS = {"sms": "短信", "email": "邮件", "fax": "传真"}
AUDIENCES = {"handler": "（发给处理人）", "contractor": "（发给外委单位）"}

templates = sa.table(
    "notification_templates",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("category", sa.String),
    sa.column("node", sa.String),
    sa.column("channel", sa.String),
    sa.column("audience", sa.String),
)
categories = sa.table(
    "categories",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("site_id", sa.Integer),
    sa.column("workflow_key", sa.String),
)
workflows = sa.table(
    "workflow_definitions",
    sa.column("key", sa.String),
    sa.column("version", sa.Integer),
    sa.column("body", sa.JSON),
)


def _step_names(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """Each category's step names (id → name): its workflows' latest versions, the one it is
    attached to (``workflow_key``) first, then those written for it (``category:``)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for key, body in conn.execute(
        sa.select(workflows.c.key, workflows.c.body).order_by(workflows.c.version.desc())
    ):
        if isinstance(body, Mapping):
            latest.setdefault(key, body)
    keys_of: dict[str, list[str]] = {}
    for code, key in conn.execute(
        sa.select(categories.c.code, categories.c.workflow_key).where(categories.c.parent_id.is_(None))
    ):
        if key:
            keys_of.setdefault(code, []).append(key)
    for key, body in latest.items():
        keys_of.setdefault(str(body.get("category") or ""), []).append(key)
    out: dict[str, dict[str, str]] = {}
    for code, keys in keys_of.items():
        steps = out.setdefault(code, {})
        for key in keys:
            for node in latest.get(key, {}).get("nodes") or []:
                if isinstance(node, Mapping) and node.get("id") is not None and node.get("name"):
                    steps.setdefault(str(node["id"]), str(node["name"]))
    return out


def derived_name(category: str, step: str, channel: str, audience: str, taken: set[str]) -> str:
    """``category·step·channel`` with whom it goes to when not the customer, made unique
    against ``taken`` with （2）, （3）…, within the column's length."""
    base = f"{category}·{step}·{CHANNELS.get(channel, channel)}{AUDIENCES.get(audience, '')}"
    name, n = base[:NAME_LIMIT], 1
    while name in taken:
        n += 1
        suffix = f"（{n}）"
        name = base[: NAME_LIMIT - len(suffix)] + suffix
    taken.add(name)
    return name


def upgrade() -> None:
    # filled below; the server default only carries the rows through the ADD COLUMN
    op.add_column(
        "notification_templates",
        sa.Column("name", sa.String(length=NAME_LIMIT), nullable=False, server_default=""),
    )
    conn = op.get_bind()
    # the shared category's name wins, read last (a site's own may rename it for that site only)
    category_names = dict(
        conn.execute(
            sa.select(categories.c.code, categories.c.name)
            .where(categories.c.parent_id.is_(None))
            .order_by(categories.c.site_id.asc().nulls_last())
        ).all()
    )
    steps = _step_names(conn)
    taken: set[str] = set()
    rows = conn.execute(
        sa.select(
            templates.c.id, templates.c.category, templates.c.node, templates.c.channel, templates.c.audience
        ).order_by(templates.c.id)
    ).all()
    for row_id, category, node, channel, audience in rows:
        name = derived_name(
            category_names.get(category, category),
            steps.get(category, {}).get(node, node),
            channel,
            audience,
            taken,
        )
        conn.execute(templates.update().where(templates.c.id == row_id).values(name=name))
    # every row has its name now; a new one must come with its own (message_templates asks)
    with op.batch_alter_table("notification_templates") as batch:
        batch.alter_column("name", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notification_templates") as batch:
        batch.drop_column("name")
