"""Who works where, cached per database: every user with their roles and data scope, the site
tree and the departments.

Operator resolution, the data-scope check and SLA calendars need these on every workflow
step; reading every active user with their scope sites each time cost more than the step's
own writes. ``load(session)`` is cached (``ticketing.cached``): a change to a user, site or
department in this process is seen at once, one made by another process within a few seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.cached import Cache
from ticketing.models import Department, Site, User, user_sites
from ticketing.sites import serves_customers


@dataclasses.dataclass(frozen=True, slots=True)
class Person:
    """A user as workflow steps see them (what operator rules, handlers and reminders read)."""

    id: int
    staff_no: str
    name: str
    roles: tuple[str, ...]
    site_id: int | None
    department_id: int | None
    manager_id: int | None
    phone: str
    email: str
    active: bool
    scope: tuple[str, ...]  # the site paths granted to them

    def has_role(self, *roles: str) -> bool:
        # a loop, not any() over a generator: asked several times per order (scope, rules)
        mine = self.roles
        for role in roles:
            if role in mine:
                return True
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class SiteInfo:
    id: int
    code: str
    path: str
    timezone: str
    calendar: dict[str, Any] | None
    enabled: bool = True
    kind: str = "bureau"


@dataclasses.dataclass(frozen=True)
class Directory:
    people: dict[int, Person]  # every user, active or not
    active: tuple[Person, ...]  # active users by id
    sites: dict[int, SiteInfo]
    site_codes: dict[str, int]
    departments: dict[str, int]  # code → id
    department_managers: dict[int, int | None]  # id → manager's user id
    # Active users by role, by 工号 and by site, each in id order like ``active``: an operator
    # rule starts from the one it names instead of walking every user (a 500-seat centre's
    # every order walked 500 people, a third of creating it).
    active_by_role: dict[str, tuple[Person, ...]] = dataclasses.field(init=False)
    active_by_staff_no: dict[str, Person] = dataclasses.field(init=False)
    active_by_site: dict[int | None, tuple[Person, ...]] = dataclasses.field(init=False)
    closed_codes: frozenset[str] = dataclasses.field(init=False)  # the 停用 sites
    # the sites serving no customers (the HQ, where the agents sit: ``sites.serves_customers``)
    hq_codes: frozenset[str] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        by_role: dict[str, list[Person]] = {}
        by_site: dict[int | None, list[Person]] = {}
        for person in self.active:
            for role in dict.fromkeys(person.roles):
                by_role.setdefault(role, []).append(person)
            by_site.setdefault(person.site_id, []).append(person)
        object.__setattr__(self, "active_by_role", {r: tuple(ps) for r, ps in by_role.items()})
        object.__setattr__(self, "active_by_staff_no", {p.staff_no: p for p in self.active})
        object.__setattr__(self, "active_by_site", {s: tuple(ps) for s, ps in by_site.items()})
        object.__setattr__(
            self, "closed_codes", frozenset(s.code for s in self.sites.values() if not s.enabled)
        )
        object.__setattr__(
            self, "hq_codes", frozenset(s.code for s in self.sites.values() if not serves_customers(s.kind))
        )

    def with_roles(self, roles: list[str]) -> list[Person]:
        """Active users having any of ``roles``, in id order."""
        if len(roles) == 1:
            return list(self.active_by_role.get(roles[0], ()))
        return in_id_order(p for r in roles for p in self.active_by_role.get(r, ()))

    def closed_sites(self, keep: int | None = None, *, hq: bool = False) -> dict[str, str]:
        """The codes of the sites a site field (所属供电局) may not newly name, each with its
        problem: the 停用 ones (``field_site_disabled``), short of ``keep``: the site an order
        already has or takes over from the order it follows, which stays workable; and, unless
        ``hq``, those serving no customers (``field_not_order_site``: the HQ, whose 客户服务中心
        repairs no fault; the console never offers it). ``hq``: an order the system makes after
        another (a visit-back's complaint, a follow-up) takes that order's site, the HQ's too."""
        site = self.sites.get(keep) if keep is not None else None
        closed = self.closed_codes if site is None or site.enabled else self.closed_codes - {site.code}
        refused = dict.fromkeys(closed, "field_site_disabled")
        if not hq:
            refused |= dict.fromkeys(self.hq_codes, "field_not_order_site")
        return refused

    def site_path(self, site_id: int | None) -> str | None:
        site = self.sites.get(site_id) if site_id is not None else None
        return site.path if site is not None else None

    def lineage(self, site_id: int | None) -> tuple[int, ...]:
        """The site and the sites above it, nearest first (a 供电所, its 供电局, …, the root): the
        levels whose business categories its users are offered (``ticketing.categories``).
        Empty for no site or an unknown one."""
        path = self.site_path(site_id)
        if path is None:
            return ()
        return tuple(int(part) for part in reversed(path.strip("/").split("/")) if part)

    def serving_sites(self, code: str) -> frozenset[int]:
        """The sites whose staff serve orders at site ``code``: the site itself and the sites
        above it, short of the root. An outlet (供电所)'s orders go to its own handlers and
        to its bureau's (供电局), where the remote handlers sit; HQ's staff are no bureau's
        handlers (workflows fall back to them in a batch of their own)."""
        site_id = self.site_codes.get(code)
        site = self.sites.get(site_id) if site_id is not None else None
        if site is None:
            return frozenset()
        ids = [int(part) for part in site.path.strip("/").split("/") if part]
        return frozenset(ids[1:] or ids)

    def scope_paths(self, user_id: int) -> list[str] | None:
        """Site-path prefixes the user may see; None means everything (admin or HQ grant)."""
        person = self.people.get(user_id)
        if person is None:
            return []
        if person.has_role("admin"):
            return None
        if any(p.count("/") == 2 for p in person.scope):  # "/<id>/": a root site (HQ) sees all
            return None
        return list(person.scope)

    def covers(self, user_id: int, site_id: int | None) -> bool:
        """Whether the user's data scope covers an order at ``site_id``."""
        paths = self.scope_paths(user_id)
        if paths is None:
            return True
        site_path = self.site_path(site_id)
        return site_path is not None and any(site_path.startswith(p) for p in paths)


def in_id_order(people: Iterable[Person | None]) -> list[Person]:
    """``people`` without repeats or Nones, in id order (the order of ``Directory.active``)."""
    found = {p.id: p for p in people if p is not None}
    return [found[i] for i in sorted(found)]


async def _load(session: AsyncSession, _key: Any) -> Directory:
    sites = {
        row.id: SiteInfo(row.id, row.code, row.path, row.timezone, row.calendar, row.enabled, row.kind)
        for row in await session.execute(
            select(Site.id, Site.code, Site.path, Site.timezone, Site.calendar, Site.enabled, Site.kind)
        )
    }
    scope: dict[int, list[str]] = {}
    for user_id, site_id in await session.execute(select(user_sites.c.user_id, user_sites.c.site_id)):
        if site_id in sites:
            scope.setdefault(user_id, []).append(sites[site_id].path)
    people = {
        row.id: Person(
            row.id,
            row.staff_no,
            row.name,
            tuple(row.roles or ()),
            row.site_id,
            row.department_id,
            row.manager_id,
            row.phone,
            row.email,
            row.active,
            tuple(scope.get(row.id, ())),
        )
        for row in await session.execute(
            select(
                User.id,
                User.staff_no,
                User.name,
                User.roles,
                User.site_id,
                User.department_id,
                User.manager_id,
                User.phone,
                User.email,
                User.active,
            ).order_by(User.id)
        )
    }
    departments = list(await session.execute(select(Department.id, Department.code, Department.manager_id)))
    return Directory(
        people=people,
        active=tuple(p for p in people.values() if p.active),
        sites=sites,
        site_codes={s.code: s.id for s in sites.values()},
        departments={d.code: d.id for d in departments},
        department_managers={d.id: d.manager_id for d in departments},
    )


_directory: Cache[Directory] = Cache("directory", (User, Site, Department), _load)


async def load(session: AsyncSession) -> Directory:
    return await _directory.get(session)
