"""Customers: create with normalised phones, find them, and what routing and the IVR ask.

The screen-pop lookup itself (``lookup_for_screen_pop``, ``screen_pop_hook``) lives in
``ticketing.screen_pop`` and is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from cti.phones import InvalidPhoneNumber, is_mobile, normalize
from ticketing.audit import record
from ticketing.db import read_sessionmaker
from ticketing.errors import TicketingError
from ticketing.models import TIERS, Customer, CustomerPhone, User, WorkOrder, utcnow
from ticketing.screen_pop import (  # noqa: F401 (the customer book's public surface)
    customer_json,
    interaction_json,
    lookup_for_screen_pop,
    order_json,
    screen_pop_hook,
)


class InvalidCustomer(TicketingError):
    error_id = "customer_invalid"


async def create_customer(
    session: AsyncSession,
    account_no: str,
    name: str,
    *,
    phones: Iterable[str] = (),
    address: str = "",
    tier: str = "普通",
    site_id: int | None = None,
    default_area_code: str = "",
    actor: User | None = None,
) -> Customer:
    if not account_no.strip() or not name.strip():
        raise InvalidCustomer("户号 and 户名 are required")
    if tier not in TIERS:
        raise InvalidCustomer(f"tier must be one of {TIERS}", field="tier")
    if await session.scalar(select(Customer.id).where(Customer.account_no == account_no)):
        raise InvalidCustomer(f"户号 {account_no} already exists", field="account_no")
    customer = Customer(account_no=account_no, name=name, address=address, tier=tier, site_id=site_id)
    numbers = []
    for raw in phones:
        try:
            number = normalize(raw, default_area_code)
        except InvalidPhoneNumber as exc:
            raise InvalidCustomer(str(exc), field="phones") from exc
        numbers.append(
            CustomerPhone(number=number, raw=raw, kind="mobile" if is_mobile(number) else "landline")
        )
    customer.phones = numbers
    customer.contacts = []
    session.add(customer)
    await session.flush()
    await record(session, actor, "customer.create", "customer", customer.id, after={"account_no": account_no})
    return customer


async def customers_by_phone(session: AsyncSession, number: str) -> list[Customer]:
    rows = await session.scalars(
        select(Customer)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.number == number)
        .options(selectinload(Customer.phones))
        .order_by(Customer.id)
        .limit(10)
    )
    return list(rows.unique())


async def find_customers(session: AsyncSession, query: str, *, limit: int = 20) -> list[Customer]:
    """By 户号, by any phone number, or by a work-order number (the customer of that order)."""
    query = query.strip()
    if not query:
        return []
    found = list(
        await session.scalars(
            select(Customer)
            .where(Customer.account_no == query)
            .options(selectinload(Customer.phones))
            .limit(limit)
        )
    )
    if not found:
        order_customer = await session.scalar(select(WorkOrder.customer_id).where(WorkOrder.number == query))
        if order_customer:
            found = list(
                await session.scalars(
                    select(Customer)
                    .where(Customer.id == order_customer)
                    .options(selectinload(Customer.phones))
                )
            )
    if not found:
        try:
            found = await customers_by_phone(session, normalize(query))
        except InvalidPhoneNumber:
            found = []
    if not found:
        found = list(
            await session.scalars(
                select(Customer)
                .where(Customer.name == query)
                .options(selectinload(Customer.phones))
                .limit(limit)
            )
        )
    return found


def _reader(sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    bind = sessionmaker.kw.get("bind")
    return read_sessionmaker(bind) if isinstance(bind, AsyncEngine) else sessionmaker


async def caller_profile(
    session: AsyncSession, phone: str, *, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    """What routing wants to know (VIP, an open fault order in the last 24 h); see cti.routing.CallerProfile."""
    try:
        number = normalize(phone)
    except InvalidPhoneNumber:
        return None
    since = (now or utcnow()) - dt.timedelta(hours=24)
    customers = await customers_by_phone(session, number)
    ids = [c.id for c in customers]
    cond = WorkOrder.caller_number == number
    if ids:
        cond = or_(cond, WorkOrder.customer_id.in_(ids))
    recent_fault = await session.scalar(
        select(WorkOrder.id)
        .where(
            cond,
            WorkOrder.is_open.is_(True),
            WorkOrder.category.in_(("fault", "coordination")),
            WorkOrder.created_at >= since,
        )
        .limit(1)
    )
    if not customers and recent_fault is None:
        return None
    first = customers[0] if customers else None
    return {
        "vip": any(c.tier == "VIP" for c in customers),
        "open_fault_within_24h": recent_fault is not None,
        "customer_id": str(first.id) if first else "",
        "name": first.name if first else "",
        "account_no": first.account_no if first else "",
    }


def caller_profile_hook(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[str], Awaitable[Any]]:
    """The IVR's ``profile_lookup``: returns ``cti.routing.CallerProfile`` (or None)."""
    from cti.routing import CallerProfile

    reader = _reader(sessionmaker)

    async def lookup(number: str) -> CallerProfile | None:
        async with reader() as session:
            profile = await caller_profile(session, number)
        return CallerProfile(**profile) if profile else None

    return lookup


async def ticket_progress(session: AsyncSession, number_or_phone: str) -> dict[str, Any] | None:
    """For IVR self-service: an order by number, or the latest open order of a phone number."""
    wanted = number_or_phone.strip()
    order = await session.scalar(select(WorkOrder).where(WorkOrder.number == wanted))
    if order is None and wanted.isdigit() and len(wanted) >= 8:
        # A keypad has no letters: "20260923001" stands for "GZ20260923001". Order
        # numbers are a letter prefix + digits, so match on the digits at the end.
        candidates = list(
            await session.scalars(select(WorkOrder).where(WorkOrder.number.endswith(wanted)).limit(2))
        )
        order = next((o for o in candidates if o.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == wanted), None)
    if order is None:
        pop = await lookup_for_screen_pop(session, number_or_phone, orders=1, interactions=0)
        if not pop or not pop["open_orders"]:
            return None
        order = await session.get(WorkOrder, pop["open_orders"][0]["id"])
    assert order is not None
    return {
        "number": order.number,
        "status": order.status,
        "node": order.current_node,
        "updated_at": order.updated_at.timestamp(),
        "is_open": order.is_open,
    }
