"""QA: every site picker and list was ordered by ``Site.path`` as text, so siblings came in
id-string order (南海区供电所 FS-2, id 10, before 禅城区供电所 FS-1, id 9; /1/12/ before /1/2/).
They now come each site after its parent, siblings by code as people count (FS-2 before FS-10),
by one ordering (``ticketing.sites.in_tree_order``): intake's and the order page's /api/sites,
账号管理, 单位管理, the reports' site filter, 业务类别, the notices' pickers, and the names a
refused 停用 lists."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing import knowledge
from ticketing.models import Site, User
from ticketing.sites import create_site

# created in this order: the ids (and the old text order of the paths) are not the codes' order
CREATED = [("ZQ", "肇庆供电局", "HQ"), ("FS", "佛山供电局", "HQ")] + [
    (f"FS-{n}", f"佛山{n}所", "FS") for n in (10, 2, 1, 3, 4, 5, 6, 7, 9, 8)
]
TREE = ["HQ", "FS", *(f"FS-{n}" for n in range(1, 11) if n != 10), "FS-10", "HD", "ZQ"]


async def _grow(world) -> dict[int, str]:
    """The sites of ``CREATED`` added (ids into two digits); every site's code by id."""
    async with world.services.sessionmaker.begin() as db:
        sites = {s.code: s for s in await db.scalars(select(Site))}
        for code, name, parent in CREATED:
            sites[code] = await create_site(db, code, name, parent=sites[parent], kind="outlet")
        return {s.id: code for code, s in sites.items()}


async def test_every_site_list_is_in_tree_order_by_code(client, world):
    codes = await _grow(world)
    assert max(codes) >= 10 and [codes[i] for i in sorted(codes)] != TREE

    await login(client, "9001")
    by_id = lambda rows: [codes[r["id"]] for r in rows]  # noqa: E731
    assert by_id((await (await client.get("/api/sites")).json())["sites"]) == TREE
    assert by_id((await (await client.get("/api/users")).json())["sites"]) == TREE
    assert [s["code"] for s in (await (await client.get("/api/admin/sites")).json())["items"]] == TREE
    assert by_id((await (await client.get("/api/reports")).json())["sites"]) == TREE
    assert by_id((await (await client.get("/api/admin/categories")).json())["sites"]) == TREE
    async with world.services.sessionmaker() as db:
        admin = await db.scalar(select(User).where(User.staff_no == "9001"))
        assert [codes[s["id"]] for s in await knowledge.notice_sites(db, admin)] == TREE

    # 停用 of a bureau with open 供电所: named in the same order
    token = await login(client, "9001")
    fs = next(i for i, c in codes.items() if c == "FS")
    resp = await client.patch(
        f"/api/admin/sites/{fs}", json={"enabled": False}, headers={"X-CSRF-Token": token}
    )
    body = await resp.json()
    assert (resp.status, body["error_id"]) == (409, "site_has_open_children")
    assert body["details"]["sites"] == [f"佛山{code[3:]}所" for code in TREE if code.startswith("FS-")]


async def test_a_scoped_list_keeps_the_order_without_the_sites_above(client, world):
    """A team leader granted only 佛山 sees it and its 供电所 in the same order (the ancestors'
    codes are read though they are not listed)."""
    codes = await _grow(world)
    async with world.services.sessionmaker.begin() as db:
        leader = await db.scalar(select(User).where(User.staff_no == "3001"))
        await db.refresh(leader, ["scope_sites"])
        leader.scope_sites = [await db.scalar(select(Site).where(Site.code == "FS"))]
    await login(client, "3001")
    sites = (await (await client.get("/api/reports")).json())["sites"]
    assert [codes[s["id"]] for s in sites] == [c for c in TREE if c.startswith("FS")]
