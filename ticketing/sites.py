"""Sites (the scope tree) and departments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record
from ticketing.errors import NotFound
from ticketing.ids import fetch, whole
from ticketing.models import Department, Site, User


async def create_site(
    session: AsyncSession,
    code: str,
    name: str,
    *,
    parent: Site | None = None,
    kind: str = "branch",
    calendar: dict | None = None,
    actor: User | None = None,
) -> Site:
    site = Site(code=code, name=name, kind=kind, parent_id=parent.id if parent else None, calendar=calendar)
    session.add(site)
    await session.flush()
    site.path = f"{parent.path if parent else '/'}{site.id}/"
    await record(session, actor, "site.create", "site", site.id, after={"code": code, "path": site.path})
    await session.flush()
    return site


def code_key(code: str) -> tuple[str | int, ...]:
    """A site code as people count: FS-2 before FS-10 (each run of digits by its value), letters
    regardless of case. The pieces alternate text and number, so two keys always compare."""
    return tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(re.split(r"(\d+)", code)))


class _OnPath(Protocol):
    @property
    def path(self) -> str: ...


_Row = TypeVar("_Row", bound=_OnPath)


async def in_tree_order(session: AsyncSession, rows: Iterable[_Row]) -> list[_Row]:
    """``rows`` (sites, or rows selected with a site's ``path``) as every site picker and list
    shows them: each site after its parent, siblings by code (``code_key``: 越秀区供电所 440104
    before 天河区供电所 440106; FS-2 after FS-1, and FS-10 after both). ``order_by(Site.path)``
    sorted the ids as text, so /1/8/10/ came before /1/8/9/. The ancestors need not be among
    ``rows`` (a scoped list): their codes are read here."""
    codes: dict[int, str] = dict((await session.execute(select(Site.id, Site.code))).all())

    def key(row: _Row) -> tuple[tuple[tuple[str | int, ...], int], ...]:
        ids = [int(i) for i in row.path.strip("/").split("/") if i]
        return tuple((code_key(codes.get(i, "")), i) for i in ids)

    return sorted(rows, key=key)


async def site_by_code(session: AsyncSession, code: str) -> Site:
    site = await session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"no site {code!r}", entity="site", key=code)
    return site


async def create_department(
    session: AsyncSession, code: str, name: str, *, site: Site | None = None, manager: User | None = None
) -> Department:
    dept = Department(
        code=code, name=name, site_id=site.id if site else None, manager_id=manager.id if manager else None
    )
    session.add(dept)
    await session.flush()
    return dept


def serves_customers(kind: str) -> bool:
    """Whether customers belong to a site of ``kind``: a 供电局, 供电所 or 分公司 serves addresses;
    the ``hq`` (省电力客户服务中心, where the agents sit) serves none. A customer's 所属单位 and an
    order's 所属供电局 (a workflow's ``site`` field) are such a site: naming the HQ routed a fault
    to the call centre, where nobody repairs it (QA 2026-11-29 #23)."""
    return kind != "hq"


async def customer_site_problem(session: AsyncSession, site_id: object) -> str | None:
    """What is wrong with ``site_id`` as a new customer's 所属单位 (``site_problem``, and a site
    that serves customers: ``serves_customers``), or None."""
    problem = await site_problem(session, site_id)
    if problem is None and not serves_customers((await fetch(session, Site, site_id)).kind):
        return "field_not_customer_site"
    return problem


async def site_problem(session: AsyncSession, site_id: object, kept: int | None = None) -> str | None:
    """What is wrong with ``site_id`` as a site a record newly names (its id, the site, and not
    停用: a 停用 site takes nothing new, ticketing.site_admin), or None; ``kept``, the site the
    record already names, stays allowed while 停用."""
    if not whole(site_id):
        return "field_not_number"
    site = await fetch(session, Site, site_id)
    if site is None:
        return "field_unknown_site"
    if not site.enabled and site.id != kept:
        return "field_site_disabled"
    return None
