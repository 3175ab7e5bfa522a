"""GET /api/crews as far as the user's data scope reaches, as their orders do: a bureau's handler
lists the crews of their bureau (and the root's, which serve every bureau), never another
bureau's leaders, phones and vehicles; the 95598 centre's agents (at HQ, seeing every site's
orders) and admins list every crew; ``?order=`` of an order outside the scope is refused."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import FAULT, Session, chaoyang_bureau, new_crew, new_order, sign_in, site_ids
from ticketing.models import Site
from ticketing.sites import create_site


async def test_each_user_lists_the_crews_of_the_sites_they_see(aiohttp_client, client, world):
    await chaoyang_bureau(world)
    async with world.services.sessionmaker.begin() as db:
        haidian = await db.scalar(select(Site).where(Site.code == "HD"))
        await create_site(db, "HD-1", "中关村供电所", parent=haidian, kind="outlet")
    admin = await Session.signed_in(client, "9001")
    sites = await site_ids(admin)
    await new_crew(admin, "总部应急班", sites["HQ"], sort=1)
    await new_crew(admin, "海淀抢修一队", sites["HD"], leader="赵强", phones="13800001111", sort=2)
    await new_crew(admin, "中关村抢修班", sites["HD-1"], sort=3)
    await new_crew(admin, "朝阳抢修一队", sites["CY"], leader="钱勇", phones="13900002222", sort=4)
    stopped = await new_crew(admin, "朝阳备用班", sites["CY"], sort=5)
    await admin.call("POST", f"/api/crews/{stopped['id']}/disable")

    async def names(who: Session, query: str = "") -> list[str]:
        status, body = await who.call("GET", f"/api/crews{query}")
        assert status == 200, body
        return [c["name"] for c in body["items"]]

    everyone = ["总部应急班", "海淀抢修一队", "中关村抢修班", "朝阳抢修一队"]
    # an admin: the whole register, the disabled crew too
    assert await names(admin) == [*everyone, "朝阳备用班"]
    # an agent of the 95598 centre (HQ) takes calls for every bureau and sees every order: every
    # active crew
    agent = await sign_in(aiohttp_client, client, "1001")
    assert await names(agent) == everyone
    # a bureau's handler: their bureau's crews (its 供电所's too) and the root's, no other bureau's
    haidian_handler = await sign_in(aiohttp_client, client, "2001")
    assert await names(haidian_handler) == ["总部应急班", "海淀抢修一队", "中关村抢修班"]
    chaoyang_handler = await sign_in(aiohttp_client, client, "2101")
    listed = await names(chaoyang_handler)
    assert listed == ["总部应急班", "朝阳抢修一队"]
    status, body = await chaoyang_handler.call("GET", "/api/crews")
    assert "13800001111" not in str(body) and "赵强" not in str(body)

    # ?order=: an order of another bureau is refused as the order itself is, nothing listed
    order = await new_order(agent, form=FAULT)
    status, body = await chaoyang_handler.call("GET", f"/api/crews?order={order['number']}")
    assert status == 403 and "items" not in body
    status, _ = await chaoyang_handler.call("GET", f"/api/orders/{order['number']}")
    assert status == 403
    assert await names(haidian_handler, f"?order={order['number']}&all=1") == [
        "总部应急班",
        "海淀抢修一队",
        "中关村抢修班",
    ]
