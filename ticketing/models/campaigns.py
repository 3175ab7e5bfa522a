"""Outbound campaigns (回访 / 回呼): who to call, when, and what came of each call.

The ``campaigns`` package runs them; the tables live here because ticketing owns
the database and its migrations. A contact's ``(campaign_id, source_key)`` is
unique, so a source that offers the same callback twice adds it once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Select, String, Text, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.models.base import Base, Timestamped, utcnow

CAMPAIGN_KINDS = ("callback", "visit_back", "missed_call", "list")
CAMPAIGN_MODES = ("preview", "progressive", "predictive")
CAMPAIGN_STATUSES = ("draft", "running", "paused", "finished")
#: pending: waits for its turn (or its retry time); dialing: a call is in flight;
#: done: reached (answered); failed: attempts used up; dnc: on the do-not-call list;
#: skipped: an agent skipped it in preview, or it was cancelled; expired: not reached
#: before its deadline (a visit-back 3 days after the order closed), never dialed again
#: surveyed: a visit-back whose order's survey was recorded meanwhile, never dialed
CONTACT_STATES = ("pending", "dialing", "done", "failed", "dnc", "skipped", "expired", "surveyed")


class Campaign(Base, Timestamped):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="list")
    mode: Mapped[str] = mapped_column(String(16), default="progressive")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: the queue (skill) whose agents work the campaign
    queue: Mapped[str] = mapped_column(String(64))
    #: calling windows: "HH:MM-HH:MM" periods on working days of the working-time calendar
    windows: Mapped[list[Any]] = mapped_column(default=list)
    #: the windows apply on every day, rest days and holidays too (a 24×7 line's queue callbacks),
    #: not only on the working days of the calendar
    every_day: Mapped[bool] = mapped_column(default=False, server_default=false())
    max_attempts: Mapped[int] = mapped_column(default=3)
    #: minutes to wait before the next attempt, per outcome (busy / no_answer / failed)
    retry_minutes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_in_flight: Mapped[int] = mapped_column(default=5)
    calls_per_second: Mapped[float] = mapped_column(default=1.0)
    #: seconds the customer's phone may ring before the attempt counts as no_answer
    ring_seconds: Mapped[int] = mapped_column(default=30, server_default="30")
    #: minutes a preview offer nobody dials or skips stays with its agent before going back
    offer_minutes: Mapped[int] = mapped_column(default=5, server_default="5")
    script: Mapped[str] = mapped_column(Text, default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


#: the source key of a callback the caller asked for (IVR 9, at the menu or while queued):
#: ``callback:<call id>``, given by ``campaigns.sources.add_callback``; the call reports and the
#: screen-pop find a call's callback by it, among the contacts of ``callback_campaigns()``
REQUESTED_CALLBACK = "callback:"


def callback_campaigns() -> Select[tuple[int]]:
    """The ids of the queue callback campaigns, where a requested callback's contact is: asked
    with the contact's ``source_key``, the pair leads the unique (campaign_id, source_key) index."""
    return select(Campaign.id).where(Campaign.kind == "callback")


class CampaignContact(Base, Timestamped):
    __tablename__ = "campaign_contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "source_key", name="uq_campaign_contacts_source"),
        Index("ix_campaign_contacts_due", "campaign_id", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    #: where it came from, unique per campaign (call id of a callback, order number, CSV row …)
    source_key: Mapped[str] = mapped_column(String(128))
    #: dial order: callbacks by the time the call first arrived, so the caller keeps their place
    priority_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: not dialed after this (visit-backs: 3 days after the order closed); None: no deadline
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_outcome: Mapped[str] = mapped_column(String(16), default="")
    last_call_id: Mapped[str] = mapped_column(String(64), default="")
    agent_id: Mapped[str] = mapped_column(String(32), default="")
    #: a preview offer out on ``agent_id``'s card: when its hold began (the countdown runs from
    #: it); None once the card was told it is over. A dialer that starts takes over or withdraws
    #: what its predecessor left out (``Dialer._start``, migration 0045).
    offered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    disposition: Mapped[str] = mapped_column(String(32), default="")  # 结果代码
    notes: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # extra columns of an imported row


class CampaignAttempt(Base):
    """One call placed for a contact, and how it ended.

    The predictive abandon cap (at most 3 % of live answers) is counted over the
    campaign's recent attempts, so it holds across a restart of the dialer.
    """

    __tablename__ = "campaign_attempts"
    __table_args__ = (Index("ix_campaign_attempts_recent", "campaign_id", "mode", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("campaign_contacts.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    #: the agent it was placed for (preview, progressive), or who took it (predictive)
    agent_id: Mapped[str] = mapped_column(String(32), default="")
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: "" while the call is on; "interrupted" when the dialer stopped before it ended
    outcome: Mapped[str] = mapped_column(String(16), default="")
    #: predictive: answered by an agent only after CONNECT_WITHIN (counts as abandoned)
    late: Mapped[bool] = mapped_column(default=False)


class DncNumber(Base, Timestamped):
    """Numbers never dialed (免打扰), normalised with ``cti.phones.normalize``."""

    __tablename__ = "dnc_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(String(255), default="")


class Disposition(Base):
    """结果代码: what the agent records after a campaign call."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    #: whether the contact is finished with this result (False: call again later)
    final: Mapped[bool] = mapped_column(default=True)
    #: only a customer who answered gives it (满意, 不满意…): refused after a call that found
    #: nobody (无人接听, 忙, 呼叫失败), which 号码错误 or 稍后再打 fit (migration 0050)
    needs_answer: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
