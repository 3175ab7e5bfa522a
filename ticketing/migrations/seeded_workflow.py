"""What a data migration does to give an installation's seeded workflow a change the seed got.

Seeds fill only a missing workflow key, so a change to a seeded flow reaches installations seeded
before it through a migration (0022, 0036). Each writes its change out as a function of the body;
this module stores the result the one way they all do: only where the version in use (the key's
highest enabled one) was stored by the system (the seed's, or an earlier such migration's), as a
new version stored by the system (``workflow.import`` audited as ``system``) that new orders take,
while running orders keep theirs. A version an admin imported is never touched; the log tells the
admin what to import. Migrations depend on this: change it only by adding.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import yaml

log = logging.getLogger(__name__)

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


def upgrade_seeded(
    conn: sa.Connection,
    key: str,
    change: Callable[[Any], dict | None],
    *,
    added: str,
    not_for_admins: str,
) -> None:
    """Store ``change(body)`` of ``key``'s version in use as its next version, if the system
    stored that one and ``change`` has something to add (None: has it already, or not the seed's
    form). ``added`` names the change in the audit row and the log; ``not_for_admins`` is what the
    log tells an admin whose own version was left alone."""
    in_use = conn.execute(
        sa.select(_WORKFLOWS.c.id, _WORKFLOWS.c.version, _WORKFLOWS.c.name, _WORKFLOWS.c.body)
        .where(_WORKFLOWS.c.key == key, _WORKFLOWS.c.enabled.is_(True))
        .order_by(_WORKFLOWS.c.version.desc())
        .limit(1)
    ).first()
    if in_use is None:
        return  # not seeded yet: the seed brings the change
    workflow_id, version, name, body = in_use
    changed = change(body)
    if changed is None:
        return
    imported_by = conn.execute(
        sa.select(_AUDIT.c.user_id, _AUDIT.c.actor).where(
            _AUDIT.c.action == "workflow.import",
            _AUDIT.c.entity == "workflow",
            _AUDIT.c.entity_id == str(workflow_id),
        )
    ).first()
    if imported_by is None or imported_by.user_id is not None:
        log.warning(
            "%s v%s was imported by %s: %s",
            key,
            version,
            imported_by.actor if imported_by is not None else "an unknown importer",
            not_for_admins,
        )
        return
    latest = conn.execute(
        sa.select(sa.func.max(_WORKFLOWS.c.version)).where(_WORKFLOWS.c.key == key)
    ).scalar()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # stored as naive UTC, as the models do
    new_version = int(latest) + 1
    # stored as import_definition stores a mapping: the body as JSON, the source as YAML
    conn.execute(
        _WORKFLOWS.insert().values(
            key=key,
            version=new_version,
            name=name,
            body=json.loads(json.dumps(changed, default=str)),
            source=yaml.safe_dump(changed, allow_unicode=True, sort_keys=False),
            enabled=True,
            created_at=now,
        )
    )
    new_id = conn.execute(
        sa.select(_WORKFLOWS.c.id).where(_WORKFLOWS.c.key == key, _WORKFLOWS.c.version == new_version)
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
            after={"key": key, "version": new_version, "from_version": version, "added": added},
        )
    )
    log.info("%s v%s: the seeded v%s with the %s", key, new_version, version, added)
