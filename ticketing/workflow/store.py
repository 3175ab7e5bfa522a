"""Workflow definitions in the database: import (a new version each time), export, lookup.

Running orders keep the ``workflow_definitions`` row they started on; a new
import only affects orders created afterwards. A version in use can be disabled
(停用) but is never deleted.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record
from ticketing.cached import Cache
from ticketing.errors import NotFound, require_admin
from ticketing.models import User, WorkflowDefinition
from ticketing.workflow.definition import Definition, parse, parse_yaml

_cache: dict[int, Definition] = {}


async def import_definition(
    session: AsyncSession, source: str | Mapping[str, Any], *, actor: User | None = None
) -> WorkflowDefinition:
    """Validate (raising WorkflowInvalid) and store as the next version of its key (admins only)."""
    require_admin(actor, "change workflow definitions")
    if isinstance(source, str):
        definition = parse_yaml(source)
        text = source
    else:
        definition = parse(source)
        text = yaml.safe_dump(dict(source), allow_unicode=True, sort_keys=False)
    latest = await session.scalar(
        select(func.max(WorkflowDefinition.version)).where(WorkflowDefinition.key == definition.key)
    )
    row = WorkflowDefinition(
        key=definition.key,
        version=(latest or 0) + 1,
        name=definition.name,
        body=json.loads(json.dumps(dict(definition.raw), default=str)),
        source=text,
    )
    session.add(row)
    await session.flush()
    await record(
        session, actor, "workflow.import", "workflow", row.id, after={"key": row.key, "version": row.version}
    )
    return row



@dataclasses.dataclass(frozen=True)
class Workflow:
    """The enabled version of a workflow that new orders start on (cached per database)."""

    id: int
    key: str
    version: int
    name: str
    definition: Definition

    @property
    def body(self) -> Mapping[str, Any]:
        return self.definition.raw


async def _load_latest(session: AsyncSession, key: str) -> Workflow | None:
    row = await session.scalar(
        select(WorkflowDefinition)
        .where(WorkflowDefinition.key == key, WorkflowDefinition.enabled.is_(True))
        .order_by(WorkflowDefinition.version.desc())
        .limit(1)
    )
    return None if row is None else Workflow(row.id, row.key, row.version, row.name, parsed(row))


# Imports and 停用 are flushes in this process, so they are seen at once (ticketing.cached).
_latest: Cache[Workflow | None] = Cache("workflow.latest", (WorkflowDefinition,), _load_latest)


async def latest(session: AsyncSession, key: str) -> Workflow:
    """The highest enabled version of ``key``."""
    workflow = await _latest.get(session, key)
    if workflow is None:
        raise NotFound(f"no enabled workflow {key!r}", entity="workflow", key=key)
    return workflow


async def _load_by_id(session: AsyncSession, workflow_id: int) -> Definition | None:
    row = await session.get(WorkflowDefinition, workflow_id)
    return None if row is None else parsed(row)


_by_id: Cache[Definition | None] = Cache("workflow.by_id", (WorkflowDefinition,), _load_by_id)


async def definition_for(session: AsyncSession, workflow_id: int) -> Definition:
    """The definition a running order follows (stored versions never change)."""
    definition = await _by_id.get(session, workflow_id)
    if definition is None:
        raise NotFound(f"no workflow definition #{workflow_id}", entity="workflow", key=workflow_id)
    return definition


def _remember(row: WorkflowDefinition) -> Definition:
    # Rows are immutable once stored, so the parse is cached by id; ids repeat across databases
    # (tests, several deployments in one process), hence the body comparison in parsed().
    definition = parse(row.body)
    _cache[row.id] = definition
    return definition


def parsed(row: WorkflowDefinition | Workflow) -> Definition:
    if isinstance(row, Workflow):
        return row.definition
    cached = _cache.get(row.id)
    if cached is not None and cached.key == row.key and cached.raw == row.body:
        return cached
    return _remember(row)


async def export_definition(session: AsyncSession, key: str, version: int | None = None) -> str:
    query = select(WorkflowDefinition).where(WorkflowDefinition.key == key)
    if version is not None:
        query = query.where(WorkflowDefinition.version == version)
    row = await session.scalar(query.order_by(WorkflowDefinition.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no workflow {key!r}", entity="workflow", key=key)
    return row.source or yaml.safe_dump(row.body, allow_unicode=True, sort_keys=False)


async def disable(session: AsyncSession, key: str, version: int, *, actor: User | None = None) -> None:
    require_admin(actor, "change workflow definitions")
    row = await session.scalar(
        select(WorkflowDefinition).where(WorkflowDefinition.key == key, WorkflowDefinition.version == version)
    )
    if row is None:
        raise NotFound(f"no workflow {key!r} v{version}", entity="workflow", key=key)
    row.enabled = False
    await record(session, actor, "workflow.disable", "workflow", row.id, after={"enabled": False})
