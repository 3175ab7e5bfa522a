"""The IVR's self-service hooks, answered from the ticketing database.

Bills live in the utility's billing system, which Hotline does not own; with no
``bill_lookup`` configured the IVR tells the caller the service is unavailable
and offers an agent, as the flow file says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr import Outage, SelfServiceHooks, TicketProgress
from ticketing.customers import ticket_progress
from ticketing.models import Site
from ticketing.models.knowledge import OutageNotice

ACTIVE = "发布中"


def ticketing_hooks(sessions: async_sessionmaker[AsyncSession]) -> SelfServiceHooks:
    async def outage_lookup(area: str) -> Sequence[Outage]:
        now = dt.datetime.now(dt.UTC)
        async with sessions() as session:
            site_ids = select(Site.id).where(Site.code == area)
            rows = await session.scalars(
                select(OutageNotice)
                .where(
                    OutageNotice.state == ACTIVE,
                    OutageNotice.ends_at >= now,
                    or_(OutageNotice.area.contains(area), OutageNotice.site_id.in_(site_ids)),
                )
                .order_by(OutageNotice.starts_at)
                .limit(5)
            )
            return [
                Outage(area=n.area, starts_at=_epoch(n.starts_at), ends_at=_epoch(n.ends_at), reason=n.reason)
                for n in rows
            ]

    async def ticket_status(number_or_phone: str) -> TicketProgress | None:
        async with sessions() as session:
            found = await ticket_progress(session, number_or_phone)
        if found is None:
            return None
        return TicketProgress(number=found["number"], status=found["status"], updated_at=found["updated_at"])

    return SelfServiceHooks(outage_lookup=outage_lookup, ticket_status=ticket_status)


def _epoch(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
