"""Campaign outcomes for the reports (DOMAIN §10): per campaign, what came of its contacts,
and what came of its calls.

``campaign_outcomes``: one row per campaign that was open at some time in the period, with its
contacts counted by state, attempts made, calls answered and the result codes (结果代码)
agents gave: each contact by its last outcome. ``campaign_attempts``: the calls themselves, placed
in the period, per campaign and day in the site's time (every try, a late answer among them). A
viewer limited to some sites sees the campaigns of the queues their sites' agents work, as the
call reports do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import store
from ticketing.call_reports import _WALL_EPOCH, ReportSql, _local_seconds, call_scope
from ticketing.models import Campaign, CampaignAttempt, CampaignContact, User


async def campaign_outcomes(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    campaigns = await _campaigns_open(session, start, end, viewer, site_id)
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


async def _campaigns_open(
    session: AsyncSession, start: dt.datetime, end: dt.datetime, viewer: User | None, site_id: int | None
) -> list[Campaign]:
    """The campaigns open at some time in [start, end) that the viewer's reports cover."""
    scope = await call_scope(session, viewer, site_id)
    stmt = select(Campaign).where(
        Campaign.created_at < end, or_(Campaign.finished_at.is_(None), Campaign.finished_at >= start)
    )
    if not scope.everything:
        stmt = stmt.where(Campaign.queue.in_(scope.queues or ()))
    return list(await session.scalars(stmt.order_by(Campaign.id)))


async def campaign_attempts(
    session: AsyncSession,
    start: dt.datetime,
    end: dt.datetime,
    *,
    tz: str = "Asia/Shanghai",
    viewer: User | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    """The calls the campaigns placed in [start, end): ``rows`` per campaign and day (``tz``'s
    date of the call, ``YYYY-MM-DD``), ``totals`` per campaign over the period, ``by_day`` every
    campaign together per day and ``overall``; each with ``store.attempt_counts``' figures and
    ``reach_rate`` (answered ÷ calls that went to the customer). Campaigns that placed no call in
    the period have no row."""
    campaigns = {c.id: c for c in await _campaigns_open(session, start, end, viewer, site_id)}
    connection = await session.connection()
    sql = ReportSql(connection.dialect.name)
    local = _local_seconds(sql.seconds(CampaignAttempt.placed_at), tz, start, end)
    day = sql.floor_int(local / 86400)
    found = await store.attempt_counts(session, list(campaigns), start=start, end=end, day=day)

    def named(days: int) -> str:
        return (_WALL_EPOCH + dt.timedelta(days=int(days))).strftime("%Y-%m-%d")

    def row(campaign: Campaign | None, date: str, figures: dict[str, int]) -> dict[str, Any]:
        return {
            "campaign_id": campaign.id if campaign else None,
            "name": campaign.name if campaign else "",
            "date": date,
            **figures,
            "reach_rate": _rate(figures["answered"], figures["attempts"]),
        }

    totals: dict[int, dict[str, int]] = {}
    per_day: dict[int, dict[str, int]] = {}
    overall = store.empty_attempts()
    rows = []
    for (campaign_id, days), figures in sorted(found.items()):
        rows.append(row(campaigns[campaign_id], named(days), figures))
        for sums in (
            totals.setdefault(campaign_id, store.empty_attempts()),
            per_day.setdefault(days, store.empty_attempts()),
            overall,
        ):
            for key, n in figures.items():
                sums[key] += n
    return {
        "rows": rows,
        "totals": [row(campaigns[cid], "", figures) for cid, figures in sorted(totals.items())],
        "by_day": [row(None, named(days), figures) for days, figures in sorted(per_day.items())],
        "overall": row(None, "", overall),
    }


def _open(states: dict[str, int]) -> int:
    return states.get("pending", 0) + states.get("dialing", 0)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
