"""The lists stay fast on 100,000 orders: every list page and the state bar's counts answer
well inside a human's patience (measured here around 30-60 ms on SQLite)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import insert, select

from tests.agent_ui.conftest import login
from ticketing.models import Site, WorkflowDefinition, WorkOrder

ORDERS = 100_000
BUDGET = 0.5  # seconds per request, generous for a loaded 2-core CI machine


async def test_lists_and_counts_on_100k_orders(client, world):
    async with world.services.sessionmaker.begin() as db:
        wf = await db.scalar(select(WorkflowDefinition).where(WorkflowDefinition.key == "consult"))
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        me = world.people["1001"]
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "number": f"ZX{i:010d}",
                "category": "consult",
                "status": "已受理",
                "workflow_id": wf.id,
                "workflow_key": "consult",
                "workflow_version": wf.version,
                "current_node": "accept",
                "site_id": hq,
                "created_by_id": me if i % 10 == 0 else None,
                "created_at": now - dt.timedelta(minutes=i),
                "is_open": i % 3 == 0,
                "form": {},
                "status_times": {},
                "disabled_nodes": [],
                "due_at": now - dt.timedelta(hours=1) if i % 7 == 0 else None,
                "caller_number": f"138{i:08d}",
            }
            for i in range(ORDERS)
        ]
        for k in range(0, ORDERS, 20_000):
            await db.execute(insert(WorkOrder), rows[k : k + 20_000])
    await login(client, "1001")
    for params in (
        {"list": "search"},
        {"list": "search", "page": "2500"},
        {"list": "search", "sort": "number", "dir": "asc", "page": "4000"},
        {"list": "mine"},
        {"list": "overdue"},
        {"list": "search", "caller": "13800004242"},
    ):
        started = time.perf_counter()
        resp = await client.get("/api/orders", params=params)
        took = time.perf_counter() - started
        body = await resp.json()
        assert resp.status == 200 and body["items"], (params, body)
        assert took < BUDGET, (params, took)
    assert body["total"] == 1
    started = time.perf_counter()
    async with client.ws_connect("/ws") as ws:
        snap = (await ws.receive()).json()
    assert time.perf_counter() - started < BUDGET * 2
    assert snap["work"]["mine"] == 3334 and snap["work"]["overdue"] == 4762
