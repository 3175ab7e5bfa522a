"""Repair crews (抢修班组): the register a dispatcher picks from at 派工, and each pick on an order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.models.base import Base, Timestamped, utcnow


class Crew(Base, Timestamped):
    """A field crew of a bureau or one of its sites. It has no login: the dispatcher phones its
    leader. Once an order was dispatched to it, it can be disabled (停用) but not deleted."""

    __tablename__ = "crews"
    # two bureaus may each have a 抢修一班; one site may not have two
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_crews_site_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    leader: Mapped[str] = mapped_column(String(64), default="")
    phones: Mapped[list[Any]] = mapped_column(default=list)  # normalized; the first is the leader's
    members: Mapped[list[Any]] = mapped_column(default=list)  # names
    vehicle: Mapped[str] = mapped_column(String(64), default="")  # 车辆/车牌
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CrewDispatch(Base):
    """A crew picked for an order at a step, with what the crew was then (name, leader, phone,
    vehicle): the order's history says who went, whatever the register says later."""

    __tablename__ = "crew_dispatches"
    __table_args__ = (Index("ix_crew_dispatches_crew", "crew_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    crew_id: Mapped[int] = mapped_column(ForeignKey("crews.id"))
    field: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    leader: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    vehicle: Mapped[str] = mapped_column(String(64), default="")
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
