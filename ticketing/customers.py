"""Customers: create with normalised phones, find them, and what routing and the IVR ask.

The screen-pop lookup itself (``lookup_for_screen_pop``, ``screen_pop_hook``) lives in
``ticketing.screen_pop`` and is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from cti.phones import InvalidPhoneNumber, ascii_digits, checked, is_mobile, normalize
from ticketing.audit import record
from ticketing.blanks import trim
from ticketing.db import read_sessionmaker
from ticketing.errors import FieldErrors, clean_texts
from ticketing.models import (
    TIERS,
    Customer,
    CustomerPhone,
    Interaction,
    Site,
    User,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.screen_pop import (  # noqa: F401 (the customer book's public surface)
    A_CALLER_CONTACT,
    A_CONTACT,
    customer_json,
    interaction_json,
    lookup_for_screen_pop,
    order_json,
    screen_pop_hook,
)
from ticketing.sites import customer_site_problem
from ticketing.users import covers_site, order_scope_clause, scope_paths, site_scope_clause

#: what a customer's text columns hold (ticketing.models.customers): longer is a field error,
#: never a silent cut (SQLite) nor a database error (PostgreSQL)
_LIMITS = {name: Customer.__table__.c[name].type.length for name in ("account_no", "name", "address")}
_RAW_PHONE = CustomerPhone.__table__.c.raw.type.length
#: what a new customer must have (the console's 新建客户 form marks these, from ``form_rules``)
REQUIRED = ("account_no", "name")


def form_rules() -> dict[str, object]:
    """The rule ``create_customer`` holds a new customer to, for a form to show: the fields it
    requires and each text's longest length."""
    return {"required": list(REQUIRED), "limits": dict(_LIMITS)}


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
    """A new customer, or ``FieldErrors`` naming each bad field (``phone`` for the numbers).
    ``actor``: who adds it, whose data scope its 所属单位 must be in (None: the system)."""
    problems: dict[str, str] = {}
    # 户号 typed with a Chinese input method: ASCII digits
    values = {"account_no": ascii_digits(account_no), "name": name, "address": address}
    texts = clean_texts(values, _LIMITS, problems)
    account_no, name = texts.get("account_no", ""), texts.get("name", "")
    for field in REQUIRED:
        if field not in problems and not texts[field]:
            problems[field] = "field_required"
    if account_no and not (account_no.isascii() and account_no.isdigit()):
        problems["account_no"] = "field_bad_account_no"
    if tier not in TIERS:
        problems["tier"] = "field_bad_option"
    # 所属单位: where the customer's address is served, or none (not known yet); never the agent's own,
    # nor a site outside the creator's data scope (a bureau's agent adding another bureau's customer)
    if site_id is not None and (problem := await customer_site_problem(session, site_id)):
        problems["site_id"] = problem
    elif site_id is not None and actor is not None and not await covers_site(session, actor, site_id):
        problems["site_id"] = "field_out_of_scope"
    numbers = []
    for raw in phones:
        raw = trim(raw)
        try:  # a contact number (cti.phones.checked): no mobile a digit short, no 110 or 95598
            number = checked(raw, default_area_code)
        except InvalidPhoneNumber as bad:
            problems["phone"] = bad.problem
            continue
        if len(raw) > _RAW_PHONE:  # 20 digits at most, but as many separators as one likes
            problems["phone"] = "field_too_long"
            continue
        numbers.append(
            CustomerPhone(number=number, raw=raw, kind="mobile" if is_mobile(number) else "landline")
        )
    if "account_no" not in problems and await session.scalar(
        select(Customer.id).where(Customer.account_no == account_no)
    ):
        problems["account_no"] = "field_duplicate"
    if problems:
        raise FieldErrors(problems)
    customer = Customer(
        account_no=account_no, name=name, address=texts.get("address", ""), tier=tier, site_id=site_id
    )
    customer.phones = numbers
    customer.contacts = []
    session.add(customer)
    await session.flush()
    await record(session, actor, "customer.create", "customer", customer.id, after={"account_no": account_no})
    return customer


async def with_site_names(session: AsyncSession, customers: Iterable[Customer]) -> list[dict[str, Any]]:
    """``customer_json`` of each, its site named (``site``: 天河区供电所; "" for a customer of none),
    as the screen-pop names it."""
    customers = list(customers)
    ids = {c.site_id for c in customers if c.site_id is not None}
    names = (
        dict((await session.execute(select(Site.id, Site.name).where(Site.id.in_(ids)))).all()) if ids else {}
    )
    return [customer_json(c, [p.number for p in c.phones], names.get(c.site_id, "")) for c in customers]


async def customers_by_phone(
    session: AsyncSession, number: str, in_scope: ColumnElement[bool] | None = None
) -> list[Customer]:
    rows = await session.scalars(
        select(Customer)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.number == number, true() if in_scope is None else in_scope)
        .options(selectinload(Customer.phones))
        .order_by(Customer.id)
        .limit(10)
    )
    return list(rows.unique())


async def customer_scope_clause(session: AsyncSession, user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting customers to the user's sites, as ``order_scope_clause`` limits
    orders: HQ (and admins) every customer, a bureau's handler those of the bureau and its
    outlets; a customer of no site is no bureau's, so only for those who see everything."""
    paths = await scope_paths(session, user)
    if paths is None:
        return true()
    return Customer.site_id.in_(select(Site.id).where(site_scope_clause(paths)))


async def find_customers(
    session: AsyncSession, query: str, *, limit: int = 20, viewer: User | None = None
) -> list[Customer]:
    """By 户号, by any phone number, or by a work-order number (the customer of that order).

    ``viewer``: only the customers (and orders) inside their data scope; None is the system."""
    query = ascii_digits(query.strip())  # ０１００… as typed with a Chinese input method
    if not query:
        return []
    in_scope = await customer_scope_clause(session, viewer) if viewer is not None else true()
    orders_in_scope = await order_scope_clause(session, viewer) if viewer is not None else true()
    found = list(
        await session.scalars(
            select(Customer)
            .where(Customer.account_no == query, in_scope)
            .options(selectinload(Customer.phones))
            .limit(limit)
        )
    )
    if not found:
        # an order outside the scope is not there, not even to name its customer
        order_customer = await session.scalar(
            select(WorkOrder.customer_id).where(WorkOrder.number == query, orders_in_scope)
        )
        if order_customer:
            found = list(
                await session.scalars(
                    select(Customer)
                    .where(Customer.id == order_customer, in_scope)
                    .options(selectinload(Customer.phones))
                )
            )
    if not found:
        try:
            found = await customers_by_phone(session, normalize(query), in_scope)
        except InvalidPhoneNumber:
            found = []
    if not found:
        found = list(
            await session.scalars(
                select(Customer)
                .where(Customer.name == query, in_scope)
                .options(selectinload(Customer.phones))
                .limit(limit)
            )
        )
    return found


async def lookup_for(
    session: AsyncSession, user: User, phone: str, *, orders: int = 10, interactions: int = 10
) -> dict[str, Any] | None:
    """``lookup_for_screen_pop`` as ``user`` may see it, for a number typed into the console.

    Whoever sees every site (the hotline's agents at HQ, admins) gets the pop itself. Anyone
    else gets the customers of their sites, the open orders of their sites (the customers' or
    called in from the number), and the history of those customers; with none of theirs, only
    the number's interactions that joined one of their orders. The pop of a call offered to a
    seat stays whole: that caller is on the line with the agent."""
    paths = await scope_paths(session, user)
    if paths is None:
        return await lookup_for_screen_pop(session, phone, orders=orders, interactions=interactions)
    try:
        number = normalize(phone)
    except InvalidPhoneNumber:
        return None
    having_number = select(CustomerPhone.customer_id).where(CustomerPhone.number == number)
    customers = list(
        await session.scalars(
            select(Customer)
            .where(Customer.id.in_(having_number), await customer_scope_clause(session, user))
            .options(selectinload(Customer.phones))
            .order_by(Customer.id)
            .limit(10)
        )
    )
    orders_in_scope = await order_scope_clause(session, user)
    open_orders = list(
        await session.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.is_open.is_(True),
                or_(WorkOrder.customer_id.in_(having_number), WorkOrder.caller_number == number),
                orders_in_scope,
            )
            .order_by(WorkOrder.created_at.desc())
            .limit(orders)
        )
    )
    # one line a contact, as the pop lists them (a call given up in the queue: its 未接来电 alone)
    contact = A_CALLER_CONTACT
    if customers:
        history_of = Interaction.customer_id.in_([c.id for c in customers])
    else:
        joined_theirs = (
            select(order_interactions.c.interaction_id)
            .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
            .where(orders_in_scope)
        )
        history_of = and_(Interaction.number == number, Interaction.id.in_(joined_theirs))
        # only what joined their orders, all of it: a call that joined one is listed, though its
        # 未接来电 (not theirs) would stand for it elsewhere
        contact = A_CONTACT
    history = list(
        await session.scalars(
            select(Interaction)
            .where(history_of, contact)
            .order_by(Interaction.occurred_at.desc())
            .limit(interactions)
        )
    )
    if not customers and not open_orders and not history:
        return None
    site_ids = {c.site_id for c in customers if c.site_id is not None}
    site_names = {
        site_id: name
        for site_id, name in await session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))
    }
    matches = [
        customer_json(
            c, [p.number for p in sorted(c.phones, key=lambda p: p.id)], site_names.get(c.site_id, "")
        )
        for c in customers
    ]
    return {
        "number": number,
        "customer": matches[0] if matches else None,
        "matches": matches,
        "open_orders": [order_json(o) for o in open_orders],
        "interactions": [interaction_json(i) for i in history],
    }


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


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


async def ticket_progress(session: AsyncSession, keyed: str, caller: str) -> list[dict[str, Any]]:
    """For IVR self-service: the order whose number the caller keyed in (``keyed``), or with
    nothing keyed ("#" alone) the latest open order linked to the number they call from.

    Keyed digits are only ever an order number: looked up as a phone number they would read
    out whoever has that phone's order (QA F1). An order number is a date and a sequence, easily
    guessed: each order comes with the numbers registered on it (``phones``: its 联系电话, then
    its customer's phones, normalised), and the IVR reads its status only to a caller ringing
    from one of them or keying in the last four digits of one (ivr.selfservice).

    A keypad has no letters, and categories number alike (GZ2026112800001, ZX2026112800001):
    when the digits are more than one order's, the caller's own (by ``caller``) are kept; more
    than one left is returned as they are, each with its numbers, for the IVR to tell apart by
    the last four digits of one (or say it cannot), never to pick one and read a stranger the
    wrong order's status (QA F10)."""
    wanted = keyed.strip()
    if not wanted:
        pop = await lookup_for_screen_pop(session, caller, orders=1, interactions=0) if caller else None
        if not pop or not pop["open_orders"]:
            return []
        orders = [await session.get(WorkOrder, pop["open_orders"][0]["id"])]
    else:
        orders = list(await session.scalars(select(WorkOrder).where(WorkOrder.number == wanted)))
        if not orders and wanted.isdigit() and len(wanted) >= 8:
            # "20260923001" stands for "GZ20260923001": order numbers are a letter prefix
            # + digits, so match on the digits at the end.
            candidates = await session.scalars(
                select(WorkOrder).where(WorkOrder.number.endswith(wanted)).order_by(WorkOrder.id)
            )
            orders = [o for o in candidates if o.number.lstrip(_LETTERS) == wanted]
        if len(orders) > 1:
            orders = await _linked_to_caller(session, orders, caller) or orders
    orders = [order for order in orders if order is not None]
    customer_ids = {order.customer_id for order in orders if order.customer_id}
    phones_of: dict[int, list[str]] = {}
    if customer_ids:
        rows = await session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.number)
            .where(CustomerPhone.customer_id.in_(customer_ids))
            .order_by(CustomerPhone.id)
        )
        for customer_id, number in rows:
            phones_of.setdefault(customer_id, []).append(number)
    return [
        {
            "number": order.number,
            "status": order.status,
            "node": order.current_node,
            "updated_at": order.updated_at.timestamp(),
            "is_open": order.is_open,
            "phones": _order_phones(order, phones_of.get(order.customer_id or 0, [])),
        }
        for order in orders
    ]


def _order_phones(order: WorkOrder, customer_phones: list[str]) -> list[str]:
    """The numbers registered on ``order``, normalised: its 联系电话, then its customer's phones."""
    found: list[str] = []
    for raw in [order.caller_number, *customer_phones]:
        try:
            number = normalize(raw) if raw and raw.strip() else ""
        except InvalidPhoneNumber:
            number = ""
        if number and number not in found:
            found.append(number)
    return found


async def _linked_to_caller(session: AsyncSession, orders: list[WorkOrder], caller: str) -> list[WorkOrder]:
    """The orders called in from ``caller`` or of a customer with that phone (as routing's
    ``caller_profile`` links them)."""
    try:
        number = normalize(caller)
    except InvalidPhoneNumber:
        return []
    customers = set(
        await session.scalars(select(CustomerPhone.customer_id).where(CustomerPhone.number == number))
    )
    return [o for o in orders if o.caller_number == number or o.customer_id in customers]
