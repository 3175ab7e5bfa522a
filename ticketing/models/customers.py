"""Customers (户号, 户名, address, tier), their phone numbers and contacts."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.models.base import Base, Timestamped

TIERS = ("普通", "VIP")


class Customer(Base, Timestamped):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    tier: Mapped[str] = mapped_column(String(8), default="普通")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    remark: Mapped[str] = mapped_column(String(500), default="")

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", lazy="raise", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[Contact]] = relationship(lazy="raise", cascade="all, delete-orphan")


class CustomerPhone(Base):
    """One normalised number (cti.phones.normalize) of a customer: the screen-pop key."""

    __tablename__ = "customer_phones"
    __table_args__ = (Index("ix_customer_phones_number", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16), default="mobile")

    customer: Mapped[Customer] = relationship(back_populates="phones", lazy="raise")


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    email: Mapped[str] = mapped_column(String(128), default="")
