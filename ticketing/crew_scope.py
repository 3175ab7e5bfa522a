"""The 抢修班组 register as a user may read it: as far as their data scope reaches, as their
orders do.

A crew's leader, phones, members and vehicle are a bureau's own: a handler of 深圳 who may not
open a 广州 order (``engine.load_order``: 403) may not list 广州's crews either. The rule is the
orders' (``users.scope_paths``): an admin, or whoever sees every site (the 95598 centre's agents
at HQ, who take calls for every bureau), reads every crew; anyone else the crews that may take
an order their scope covers, by the register's own rule (``crews``: a crew takes the orders of
its bureau, the level below the root; a crew of the root serves every bureau): those of their
bureaus, their 供电所's and the other 所's of the same bureau (dispatched on request, 本局全部班组),
and the root's.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import crews, directory, users
from ticketing.models import Crew, User


def _bureau(path: str) -> str:
    """The bureau a site path lies in, its first two levels (``/1/2/5/`` → ``/1/2/``), as
    ``crews`` compares an order's with a crew's."""
    return "/" + "/".join([p for p in path.split("/") if p][:2]) + "/"


def serves(crew_path: str | None, bureaus: set[str]) -> bool:
    """Whether a crew at ``crew_path`` takes orders of one of ``bureaus``: a crew of the root
    (``/<id>/``) serves every bureau, any other its own."""
    if crew_path is None:
        return False
    return crew_path.count("/") == 2 or _bureau(crew_path) in bureaus


async def visible(session: AsyncSession, user: User, *, active_only: bool = False) -> list[Crew]:
    """The register in display order (``crews.listing``) as ``user`` may read it."""
    paths = await users.scope_paths(session, user)
    rows = await crews.listing(session, active_only=active_only)
    if paths is None:
        return rows
    known_sites = await directory.load(session)
    bureaus = {_bureau(p) for p in paths}
    return [c for c in rows if serves(known_sites.site_path(c.site_id), bureaus)]
