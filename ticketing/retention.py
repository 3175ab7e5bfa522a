"""What the recordings' retention must keep: the files of calls that open work orders rely on.

A recording, voicemail or fax is named by its call id (Asterisk's linkedid) and
its interaction row carries the same id as ``external_id``. While an order that
links it is open (a complaint under investigation, a repair in progress), the
file is evidence and must outlive the usual retention period.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import Interaction, WorkOrder, order_interactions


async def call_ids_of_open_orders(session: AsyncSession) -> set[str]:
    """Call ids of every interaction linked to a work order that is still open."""
    rows = await session.scalars(
        select(Interaction.external_id)
        .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
        .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
        .where(WorkOrder.is_open.is_(True))
        .distinct()
    )
    return set(rows)
