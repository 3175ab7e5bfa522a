"""Outsourced contractors (外委单位), the orders dispatched to them, and print templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.models.base import Base, Timestamped, utcnow


class Contractor(Base, Timestamped):
    """An outside company a step can dispatch to. It has no login: an internal user records
    its reply. Once an order was dispatched to it, it can be disabled (停用) but not deleted."""

    __tablename__ = "contractors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    contact_person: Mapped[str] = mapped_column(String(64), default="")
    phones: Mapped[list[Any]] = mapped_column(default=list)  # normalized numbers; mobiles get SMS
    email: Mapped[str] = mapped_column(String(128), default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))  # service area
    categories: Mapped[list[Any]] = mapped_column(default=list)  # category codes it serves; empty = all
    active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContractorDispatch(Base):
    """One dispatch of an order's step to a contractor, and the reply an internal user recorded."""

    __tablename__ = "contractor_dispatches"
    __table_args__ = (Index("ix_contractor_dispatches_contractor", "contractor_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    node: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | replied | cancelled
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    result: Mapped[str] = mapped_column(String(16), default="")  # done | failed | partial
    reply: Mapped[str] = mapped_column(Text, default="")


class PrintTemplate(Base, Timestamped):
    """An admin's jinja2 HTML for printing an order at a step (打印模板).

    ``node`` empty: every step of the workflow; ``category`` empty: every category, else the
    order's category or subcategory code. The most specific enabled template wins.
    """

    __tablename__ = "print_templates"
    __table_args__ = (UniqueConstraint("workflow_key", "node", "category", name="uq_print_templates_step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    workflow_key: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[str] = mapped_column(String(32), default="")
    body: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
