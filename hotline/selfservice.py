"""The IVR's self-service hooks, answered from the ticketing database.

Bills live in the utility's billing system, which Hotline does not own; with no
``bill_lookup`` configured the IVR does not offer the bill choice at all (its key is
refused like any other, and a warning at start names it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr import Outage, SelfServiceHooks, TicketProgress
from ticketing.customers import ticket_progress
from ticketing.knowledge import search_notices


def ticketing_hooks(sessions: async_sessionmaker[AsyncSession]) -> SelfServiceHooks:
    async def outage_lookup(area: str) -> Sequence[Outage]:
        # What the caller keyed in is a bureau's code or the code of an affected area the notice
        # names (a 台区编号, a district's 行政区划代码), tried in that order, each whole. Never a
        # search in the 停电范围 text or the areas' names: keyed digits are a code, and "1", "20"
        # or "200" inside "1-200号" would tell a caller of another area's outage (QA F2).
        # Only the published version of each notice (发布中) is told: a revision from the
        # console is what the next caller hears; an ended (OutageNotice.over_by, what the console
        # shows as 已结束 and will not send) or withdrawn outage is not told at all.
        now = dt.datetime.now(dt.UTC)
        until = now + dt.timedelta(days=3650)  # planned outages however far ahead
        async with sessions() as session:
            for by in ({"site_code": area}, {"area_code": area}):
                notices = await search_notices(session, start=now, end=until, ended=False, now=now, **by)
                if notices:
                    break
        return [
            Outage(area=n.area, starts_at=_epoch(n.starts_at), ends_at=_epoch(n.ends_at), reason=n.reason)
            for n in notices[:5]
        ]

    async def ticket_status(keyed: str, caller: str) -> Sequence[TicketProgress]:
        async with sessions() as session:
            found = await ticket_progress(session, keyed, caller)
        return [
            TicketProgress(
                number=f["number"], status=f["status"], updated_at=f["updated_at"], phones=tuple(f["phones"])
            )
            for f in found
        ]

    return SelfServiceHooks(outage_lookup=outage_lookup, ticket_status=ticket_status)


def _epoch(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
