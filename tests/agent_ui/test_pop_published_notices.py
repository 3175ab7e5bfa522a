"""QA finding 12: the screen-pop tells the agent of the outages published for the caller's site.

GET /api/notices/published?site_id= (the popped customer's site) lists the 发布中 notices of
outages not over yet that cover it, by the rule of the 供电局 search and the IVR: a 供电所's own
notice, and its 局's unless that names coded areas elsewhere; not a neighbour's, not one withdrawn
or over."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import Site
from ticketing.sites import create_site

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _publish(client, headers, site_id: int, area: str, *, hours: tuple[int, int], **extra) -> dict:
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": site_id,
        "area": area,
        "reason": "10kV线路检修",
        "starts_at": _local(now + dt.timedelta(hours=hours[0])),
        "ends_at": _local(now + dt.timedelta(hours=hours[1])),
        **extra,
    }
    resp = await client.post("/api/notices", json=body, headers=headers)
    notice = await resp.json()
    assert resp.status == 201, notice
    return notice


async def test_published_notices_covering_a_customers_site(client, world):
    async with world.services.sessionmaker() as db, db.begin():
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        outlet = await create_site(db, "HD-1", "中关村供电所", parent=hd, kind="outlet")
        neighbour = await create_site(db, "HD-2", "学院路供电所", parent=hd, kind="outlet")
        ids = {"HD": hd.id, "HD-1": outlet.id, "HD-2": neighbour.id}
    headers = {"X-CSRF-Token": await login(client, "3001")}
    own = await _publish(client, headers, ids["HD-1"], "中关村大街一带", hours=(-1, 3))
    bureau = await _publish(client, headers, ids["HD"], "海淀全区", hours=(20, 26))
    await _publish(client, headers, ids["HD-2"], "学院路一带", hours=(-1, 3))  # a neighbour's
    await _publish(client, headers, ids["HD"], "别处台区", hours=(-1, 3),
                   affected_areas=[{"kind": "district", "name": "学院路", "code": "HD-2"}])  # fmt: skip
    withdrawn = await _publish(client, headers, ids["HD-1"], "录错的片区", hours=(-1, 3))
    resp = await client.post(
        f"/api/notices/{withdrawn['key']}/withdraw", json={"remark": "录入有误"}, headers=headers
    )
    assert resp.status in (200, 201), await resp.text()

    await client.delete("/api/session", headers=headers)
    await login(client, "1001")  # an agent on the pop
    resp = await client.get("/api/notices/published", params={"site_id": ids["HD-1"]})
    assert resp.status == 200, await resp.text()
    items = (await resp.json())["items"]
    assert [(n["key"], n["area"], n["reason"]) for n in items] == [
        (own["key"], "中关村大街一带", "10kV线路检修"),
        (bureau["key"], "海淀全区", "10kV线路检修"),
    ]
    assert items[0]["starts_at"] == own["starts_at"] and items[0]["ends_at"] == own["ends_at"]

    # the neighbour hears of its own and the 局's notice naming it
    neighbours = await (await client.get("/api/notices/published", params={"site_id": ids["HD-2"]})).json()
    assert [n["area"] for n in neighbours["items"]] == ["学院路一带", "别处台区", "海淀全区"]

    assert (await client.get("/api/notices/published")).status == 400
