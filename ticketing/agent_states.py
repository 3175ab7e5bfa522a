"""Agent state intervals from ``AgentStateChanged``: what the agent report adds up.

``AgentStateRecorder`` consumes the bus (its own group, so it sees every
change even beside ``CallLinker``), one short transaction per event. A change
opens a row for the new state and closes the agent's row before it. Events
may come twice (Redis redelivery, a replay after restart) or late: the row is
keyed on (agent, start, state), and ``ended_at`` is always the start of the
next row, so the same set of events gives the same rows in any order.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.bus import Bus, Subscription
from cti.call_events import AgentStateChanged
from cti.events import Event
from ticketing.models import AgentStateInterval

log = logging.getLogger(__name__)
GROUP = "ticketing.agent_states"


def _at(event: AgentStateChanged) -> dt.datetime:
    return dt.datetime.fromtimestamp(event.at or event.ts, dt.UTC)


async def record_state(session: AsyncSession, event: AgentStateChanged) -> bool:
    """Store one change; False when it was already stored."""
    at = _at(event)
    exists = await session.scalar(
        select(AgentStateInterval.id).where(
            AgentStateInterval.agent_id == event.agent_id,
            AgentStateInterval.started_at == at,
            AgentStateInterval.state == event.state,
        )
    )
    if exists is not None:
        return False
    next_start = await session.scalar(
        select(AgentStateInterval.started_at)
        .where(AgentStateInterval.agent_id == event.agent_id, AgentStateInterval.started_at > at)
        .order_by(AgentStateInterval.started_at)
        .limit(1)
    )
    # the row this change ends: the agent's latest one that started before it
    previous = await session.scalar(
        select(AgentStateInterval.id)
        .where(AgentStateInterval.agent_id == event.agent_id, AgentStateInterval.started_at <= at)
        .order_by(AgentStateInterval.started_at.desc(), AgentStateInterval.id.desc())
        .limit(1)
    )
    if previous is not None:
        await session.execute(
            update(AgentStateInterval).where(AgentStateInterval.id == previous).values(ended_at=at)
        )
    session.add(
        AgentStateInterval(
            agent_id=event.agent_id,
            state=event.state,
            reason=event.reason,
            call_id=event.call_id,
            started_at=at,
            ended_at=next_start,
        )
    )
    await session.flush()
    return True


class AgentStateRecorder:
    """Bus consumer writing ``agent_state_intervals``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> Subscription:
        self._subscription = bus.subscribe(self.handle, types=[AgentStateChanged], group=GROUP)
        return self._subscription

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    async def handle(self, event: Event) -> None:
        if not isinstance(event, AgentStateChanged):
            return
        try:
            async with self.sessionmaker.begin() as session:
                await record_state(session, event)
        except IntegrityError:
            # the same change stored by another consumer a moment ago
            log.debug("agent state %s/%s already stored", event.agent_id, event.state)
