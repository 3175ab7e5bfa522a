"""Sites (the scope tree) and departments."""

from __future__ import annotations

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
