"""Agent state intervals (登录, 就绪, 暂停 by reason, 通话, 话后处理) kept for the agent report.

One row per state an agent entered, from ``AgentStateChanged`` on the bus:
``ended_at`` is set when the next state begins (None while it lasts).
``(agent_id, started_at, state)`` is unique, so an event seen twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.models.base import Base, UtcDateTime


class AgentStateInterval(Base):
    __tablename__ = "agent_state_intervals"
    __table_args__ = (
        UniqueConstraint("agent_id", "started_at", "state", name="uq_agent_state_intervals_agent_start"),
        Index("ix_agent_state_intervals_started", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(32))  # 工号
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(32), default="")
    call_id: Mapped[str] = mapped_column(String(128), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)
