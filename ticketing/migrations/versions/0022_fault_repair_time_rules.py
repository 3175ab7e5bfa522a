"""The seeded 故障报修 gets the time rules on its crew times as a new version.

The fault workflow's 派工时间, 到达时间 and 完成时间 declare when they can plausibly be
(ecc2f40: not before the order was created nor before the earlier time, not ahead of the clock;
they feed the arrival and repair KPIs). Seeds fill only a missing workflow key, so an
installation seeded before kept a version without them, and every crew time was taken.

An installation whose 故障报修 in use (its highest enabled version) is the seeded one, never
edited, gets the rules without an admin: a new version, the same flow plus the rules, stored
by the system (``workflow.import`` audited as ``system``) and taken by new orders. Orders
already running keep their version, and any time, as every new version leaves them. A version
an admin imported (their own edit; its audit row names them) is never touched, nor is one that
has such rules of its own or lacks one of the three datetime fields: the admin adds the rules by
importing a version with them (docs/workflows.md), and the upgrade's log says so.

The rules are written out here, not read from ticketing/seeds: a migration must do the same
thing whenever it runs. Not undone on downgrade: the new version is an ordinary one (停用 it to
go back).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

KEY = "fault_repair"
#: ticketing/seeds/fault_repair.yaml as of ecc2f40: field -> its time rules
TIME_RULES: dict[str, dict[str, Any]] = {
    "派工时间": {"not_before": "created", "not_after": "now"},
    "到达时间": {"not_before": ["created", "派工时间"], "not_after": "now"},
    "完成时间": {"not_before": ["created", "到达时间"], "not_after": "now"},
}
RULE_KEYS = ("not_before", "not_after")

_WORKFLOWS = sa.table(
    "workflow_definitions",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("version", sa.Integer),
    sa.column("name", sa.String),
    sa.column("body", sa.JSON),
    sa.column("source", sa.Text),
    sa.column("enabled", sa.Boolean),
    sa.column("created_at", sa.DateTime),
)
_AUDIT = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("user_id", sa.Integer),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def with_time_rules(body: Any) -> dict | None:
    """The body with the rules on the three crew times, or None when it cannot take them as the
    seed has them: a field missing or not a datetime, or rules of its own on any of them."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    fields = body["fields"]
    for name in TIME_RULES:
        spec = fields.get(name)
        if not isinstance(spec, Mapping) or spec.get("type") != "datetime":
            return None
        if any(k in spec for k in RULE_KEYS):
            return None
    changed = copy.deepcopy(dict(body))
    for name, rules in TIME_RULES.items():
        changed["fields"][name] = {**changed["fields"][name], **copy.deepcopy(rules)}
    return changed


def upgrade() -> None:
    conn = op.get_bind()
    in_use = conn.execute(
        sa.select(_WORKFLOWS.c.id, _WORKFLOWS.c.version, _WORKFLOWS.c.name, _WORKFLOWS.c.body)
        .where(_WORKFLOWS.c.key == KEY, _WORKFLOWS.c.enabled.is_(True))
        .order_by(_WORKFLOWS.c.version.desc())
        .limit(1)
    ).first()
    if in_use is None:
        return  # not seeded yet: the seed brings the rules
    workflow_id, version, name, body = in_use
    imported_by = conn.execute(
        sa.select(_AUDIT.c.user_id, _AUDIT.c.actor).where(
            _AUDIT.c.action == "workflow.import",
            _AUDIT.c.entity == "workflow",
            _AUDIT.c.entity_id == str(workflow_id),
        )
    ).first()
    if imported_by is None or imported_by.user_id is not None:
        if with_time_rules(body) is not None:
            log.warning(
                "%s v%s was imported by %s: the crew times' time rules are not added to an admin's "
                "version; import a version with them (docs/workflows.md)",
                KEY,
                version,
                imported_by.actor if imported_by is not None else "an unknown importer",
            )
        return
    changed = with_time_rules(body)
    if changed is None:
        return  # has them already, or is not the seed's form
    latest = conn.execute(
        sa.select(sa.func.max(_WORKFLOWS.c.version)).where(_WORKFLOWS.c.key == KEY)
    ).scalar()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # stored as naive UTC, as the models do
    new_version = int(latest) + 1
    # stored as import_definition stores a mapping: the body as JSON, the source as YAML
    conn.execute(
        _WORKFLOWS.insert().values(
            key=KEY,
            version=new_version,
            name=name,
            body=json.loads(json.dumps(changed, default=str)),
            source=yaml.safe_dump(changed, allow_unicode=True, sort_keys=False),
            enabled=True,
            created_at=now,
        )
    )
    new_id = conn.execute(
        sa.select(_WORKFLOWS.c.id).where(_WORKFLOWS.c.key == KEY, _WORKFLOWS.c.version == new_version)
    ).scalar_one()
    conn.execute(
        _AUDIT.insert().values(
            at=now,
            user_id=None,
            actor="system",
            action="workflow.import",
            entity="workflow",
            entity_id=str(new_id),
            before=None,
            after={"key": KEY, "version": new_version, "from_version": version, "added": "time rules"},
        )
    )
    log.info("%s v%s: the seeded v%s with the crew times' time rules", KEY, new_version, version)


def downgrade() -> None:
    pass
