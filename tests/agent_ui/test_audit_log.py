"""审计日志: an admin reads back who did what (GET /api/audit, /admin/audit); nobody else may.
A bad filter is a 400 naming the field (request.invalid), an unknown order number a 404."""

from __future__ import annotations

import datetime as dt

from tests.agent_ui.conftest import login


async def _order(client) -> dict:
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    order = await resp.json()
    await client.delete("/api/session", headers=headers)
    return order


async def test_only_admins_read_the_audit_log(client):
    await login(client, "3001")
    assert (await client.get("/api/audit")).status == 403
    assert (await client.get("/admin/audit", allow_redirects=False)).status == 403


async def test_an_admin_finds_who_did_what_to_an_order(client):
    order = await _order(client)
    await login(client, "9001")
    page = await client.get("/admin/audit")
    assert page.status == 200 and "/static/js/admin_audit.js" in await page.text()

    rows = (await (await client.get(f"/api/audit?order={order['number']}")).json())["items"]
    created = [r for r in rows if r["action"] == "order.create"]
    assert len(created) == 1, rows
    assert (created[0]["actor"], created[0]["entity"], created[0]["order_number"]) == (
        "1001",
        "work_order",
        order["number"],
    )
    assert created[0]["actor_name"]  # the 工号's name, as people know them

    by_actor = (await (await client.get("/api/audit?actor=1001&action=order.")).json())["items"]
    assert by_actor and all(r["actor"] == "1001" and r["action"].startswith("order.") for r in by_actor)
    # a LIKE wildcard is a character, not a pattern
    assert (await (await client.get("/api/audit?action=%25")).json())["items"] == []

    # a page at a time, newest first, each page going on where the last ended
    first = await (await client.get("/api/audit?size=1")).json()
    second = await (await client.get(f"/api/audit?size=1&before={first['next']}")).json()
    assert first["next"] is not None and second["items"][0]["id"] < first["items"][0]["id"]

    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert (await (await client.get(f"/api/audit?from={tomorrow}")).json())["items"] == []


async def test_bad_filters_are_refused_in_words(client):
    await login(client, "9001")
    for query, status, field in (
        ("before=abc", 400, "before"),
        ("size=0", 400, "size"),
        ("from=2026-13-01", 400, "from"),
        ("from=0001-01-01", 400, "from"),  # its start in the site's zone is before year 1 in UTC
        ("to=9999-12-31", 400, "to"),  # the day after it is no date
        ("actor=" + "9" * 65, 400, "actor"),
        ("order=NOSUCH", 404, "order"),
    ):
        resp = await client.get(f"/api/audit?{query}")
        body = await resp.json()
        assert (resp.status, body["details"].get("field")) == (status, field), (query, body)


async def test_a_report_of_a_day_at_the_calendar_edge_is_refused_not_a_500(client):
    """date_param is every search's (reports, lists, notices, the audit log): the same bounds."""
    await login(client, "3001")
    for query in ("from=0001-01-01", "to=9999-12-31"):
        resp = await client.get(f"/api/reports/queues?{query}")
        assert resp.status == 400 and (await resp.json())["error_id"] == "request.invalid", query


async def test_an_orders_category_reads_by_its_name(client):
    # 类别: — → 故障报修, not — → fault (the page shows the labels the rows' values are called)
    order = await _order(client)
    await login(client, "9001")
    page = await (await client.get(f"/api/audit?order={order['number']}")).json()
    codes = {
        side["category"]
        for row in page["items"]
        for side in (row["before"] or {}, row["after"] or {})
        if isinstance(side, dict) and side.get("category")
    }
    assert codes, page["items"]
    assert all(page["labels"]["category"].get(code) not in (None, "", code) for code in codes), page["labels"]


async def test_every_category_code_the_seeds_write_reads_by_its_name(world):
    # every (sub)category an order can be written with has words on the audit page
    from types import SimpleNamespace

    from agent_ui.audit_log import _labels
    from ticketing.seed import load_seed

    codes = set()
    for top in load_seed("categories.yaml"):
        codes.add(top["code"])
        codes |= {child["code"] for child in top.get("children") or ()}
    rows = [SimpleNamespace(before={"subcategory": c}, after={"category": c}) for c in sorted(codes)]
    async with world.services.sessionmaker() as db:
        labels = await _labels(db, rows, [])
    assert {c for c in codes if labels["category"].get(c) in (None, "", c)} == set(), labels["category"]
    assert labels["subcategory"] == labels["category"]
