"""Everything that reached or left us: calls, recordings, faxes, SMS, voicemail, email, web messages.

One table: the common columns are typed (kind, number, times, who), the rest of
each kind's data sits in ``payload``. ``(kind, external_id)`` is unique so the
same CTI event seen twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.models.base import Base, Timestamped, UtcDateTime, utcnow

KINDS = ("call", "recording", "fax", "sms", "voicemail", "email", "web")
# kinds that are async events (异步事件) landing in an agent's inbox
ASYNC_KINDS = ("fax", "sms", "voicemail", "email", "web", "missed_call")
#: an async event's way through an inbox (the audit log names each: audit.event_status.*)
STATUSES = ("new", "assigned", "handled")


class Interaction(Base, Timestamped):
    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("kind", "external_id", name="uq_interactions_kind_external"),
        Index("ix_interactions_customer_time", "customer_id", "occurred_at"),
        Index("ix_interactions_number_time", "number", "occurred_at"),
        Index("ix_interactions_inbox", "assigned_to_id", "status"),
        # the call reports read one kind over a period
        Index("ix_interactions_kind_time", "kind", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    # a phone number, or an email's sender address (up to RFC 5321's 254 characters)
    number: Mapped[str] = mapped_column(String(254), default="")
    dnis: Mapped[str] = mapped_column(String(32), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    agent_id: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")  # one of STATUSES
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    duration: Mapped[float] = mapped_column(default=0.0)
    subject: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    file_path: Mapped[str] = mapped_column(String(500), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CallLeg(Base):
    """One agent's time on a call: the answer, then each agent who talks on it after (a
    transfer target, a conference member, an agent consulted: ``CallAnswered``); ``ended_at``
    comes when the agent leaves or the call ends (``CallEnded.legs``). Who was on a call, and for how long, is read here; an order an
    agent creates during or right after their leg is about that call (``calls.ACTIVE_CALL``), unless
    they were only consulted on it (``consult_from``)."""

    __tablename__ = "call_legs"
    __table_args__ = (
        UniqueConstraint("interaction_id", "agent_id", "answered_at", name="uq_call_legs_agent_time"),
        Index("ix_call_legs_agent_time", "agent_id", "answered_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    agent_id: Mapped[str] = mapped_column(String(32))  # 工号
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: the 工号 of the agent who consulted this one about the call (咨询转接, ``CallAnswered``'s
    #: ``consult_from``): a question about that agent's caller, not a call this agent took, so it
    #: links none of their orders; "" for a leg of their own, and once a completed transfer made it one
    consult_from: Mapped[str] = mapped_column(String(32), default="", server_default="")


order_interactions = Table(
    "order_interactions",
    Base.metadata,
    Column("order_id", ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True),
    Column("interaction_id", ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("linked_at", UtcDateTime(), default=utcnow),
    Column("linked_by_id", ForeignKey("users.id"), nullable=True),
)
