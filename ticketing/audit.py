"""The audit log: who did what, when, with the before/after state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import AuditLog, User

#: Every kind of object an audit row is about (its ``entity``), in the order the audit log's
#: 对象 filter offers them. ``entry`` refuses any other, so this is the one list of them: a new
#: kind is added here, and the filter and its words (texts ``audit.entity.<kind>``) follow.
ENTITIES = (
    "work_order",
    "interaction",
    "user",
    "seat",
    "site",
    "category",
    "workflow",
    "crew",
    "contractor",
    "notification_template",
    "print_template",
    "notification",
    "kb_article",
    "kb_category",
    "outage_notice",
    "campaign",
    "campaign_contact",
    "dnc_number",
    "customer",
    "survey_dimension",
)


async def record(
    session: AsyncSession,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(**entry(actor, action, entity, entity_id, before=before, after=after))
    session.add(row)
    return row


async def record_change(
    session: AsyncSession,
    actor: User | None,
    row: Any,
    changes: dict[str, Any],
    view: Any,
    action: str,
    entity: str,
) -> None:
    """Set ``changes`` on ``row``, flush, and audit it with ``view(row)`` before and after."""
    before = view(row)
    for name, value in changes.items():
        setattr(row, name, value)
    await session.flush()
    await record(session, actor, action, entity, row.id, before=before, after=view(row))


def entry(
    actor: Any,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit row's values (``record`` adds it; a new order inserts its rows in bulk)."""
    if entity not in ENTITIES:
        # a kind the audit log could not be searched by: name it in ENTITIES first
        raise ValueError(f"audit entity {entity!r} is not one of ticketing.audit.ENTITIES")
    return {
        "user_id": actor.id if actor is not None else None,
        "actor": actor.staff_no if actor is not None else "system",
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
    }


async def history(session: AsyncSession, entity: str, entity_id: object) -> list[AuditLog]:
    rows = await session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id)
    )
    return list(rows)
