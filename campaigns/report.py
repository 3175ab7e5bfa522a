"""Campaign outcomes for the reports (DOMAIN §10): per campaign, what came of its contacts.

One row per campaign that was open at some time in the period, with its contacts
counted by state, attempts made, calls answered and the result codes (结果代码)
agents gave. A viewer limited to some sites sees the campaigns of the queues their
sites' agents work, as the call reports do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.call_reports import call_scope
from ticketing.models import Campaign, CampaignContact, User


async def campaign_outcomes(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    scope = await call_scope(session, viewer, site_id)
    stmt = select(Campaign).where(
        Campaign.created_at < end, or_(Campaign.finished_at.is_(None), Campaign.finished_at >= start)
    )
    if not scope.everything:
        stmt = stmt.where(Campaign.queue.in_(scope.queues or ()))
    campaigns = list(await session.scalars(stmt.order_by(Campaign.id)))
    ids = [c.id for c in campaigns]
    states: dict[int, dict[str, int]] = defaultdict(dict)
    dispositions: dict[int, dict[str, int]] = defaultdict(dict)
    attempts: dict[int, int] = {}
    answered: dict[int, int] = {}
    if ids:
        contact = CampaignContact
        for campaign_id, state, n, tried, reached in await session.execute(
            select(
                contact.campaign_id,
                contact.state,
                func.count(),
                func.coalesce(func.sum(contact.attempts), 0),
                func.count().filter(contact.last_outcome == "answered"),
            )
            .where(contact.campaign_id.in_(ids))
            .group_by(contact.campaign_id, contact.state)
        ):
            states[campaign_id][state] = n
            attempts[campaign_id] = attempts.get(campaign_id, 0) + int(tried)
            answered[campaign_id] = answered.get(campaign_id, 0) + int(reached)
        for campaign_id, code, n in await session.execute(
            select(contact.campaign_id, contact.disposition, func.count())
            .where(contact.campaign_id.in_(ids), contact.disposition != "")
            .group_by(contact.campaign_id, contact.disposition)
        ):
            dispositions[campaign_id][code] = n
    rows = []
    for c in campaigns:
        total = sum(states[c.id].values())
        rows.append(
            {
                "campaign_id": c.id,
                "name": c.name,
                "kind": c.kind,
                "mode": c.mode,
                "status": c.status,
                "queue": c.queue,
                "contacts": total,
                "states": dict(states[c.id]),
                "attempts": attempts.get(c.id, 0),
                "answered": answered.get(c.id, 0),
                # reached ÷ contacts whose fate is settled (not waiting or on a call)
                "reach_rate": _rate(answered.get(c.id, 0), total - _open(states[c.id])),
                "dispositions": dict(dispositions[c.id]),
            }
        )
    return {"rows": rows}


def _open(states: dict[str, int]) -> int:
    return states.get("pending", 0) + states.get("dialing", 0)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
