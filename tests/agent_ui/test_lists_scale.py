"""The lists stay fast on many orders: every list page and the state bar's counts are
answered through indexes, never by reading the whole table (no timing here: a loaded machine
would make that flaky; what makes a list slow is a full scan, and that is what is checked)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

from sqlalchemy import event, insert, select

from tests.agent_ui.conftest import login
from ticketing.models import Site, WorkflowDefinition, WorkOrder

# enough that a full scan would show; the plans checked do not depend on the row count
# (no ANALYZE), so more rows only make the test slower (100,000 took 27 s)
ORDERS = 21_000


@contextlib.contextmanager
def statements(engine):
    """Every SELECT that reads work_orders while the block runs, with its parameters."""
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "work_orders" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)


def full_scans(path, seen) -> list[str]:
    """The statements SQLite would answer by reading all of work_orders (a bare "SCAN work_orders")."""
    found = []
    with contextlib.closing(sqlite3.connect(path)) as db:
        for statement, parameters in seen:
            plan = [row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + statement, parameters or ())]
            if any(step.startswith("SCAN work_orders") and "USING" not in step for step in plan):
                found.append(f"{statement}\n  {plan}")
    return found


async def test_lists_and_counts_on_21k_orders(client, world):
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
                "status_times": [],
                "disabled_nodes": [],
                "due_at": now - dt.timedelta(hours=1) if i % 7 == 0 else None,
                "caller_number": f"138{i:08d}",
            }
            for i in range(ORDERS)
        ]
        for k in range(0, ORDERS, 20_000):
            await db.execute(insert(WorkOrder), rows[k : k + 20_000])
    await login(client, "1001")
    engine = world.services.sessionmaker.kw["bind"]
    for params in (
        {"list": "search"},
        {"list": "search", "page": "500"},
        {"list": "search", "sort": "number", "dir": "asc", "page": "840"},
        {"list": "mine"},
        {"list": "overdue"},
        {"list": "search", "number": "zx00000042"},  # the start of a 工单号, in any case
        {"list": "search", "caller": "1380000424"},  # the start of a 联系电话
        {"list": "search", "number": "00000042"},  # without its ZX (each pattern's letters)
        {"list": "search", "number": "0042"},  # a 工单号's tail: within the last days' orders
        {"list": "search", "caller": "04242"},  # a 联系电话's tail (尾号), likewise
        {"list": "search", "caller": "13800004242"},
    ):
        with statements(engine) as seen:
            resp = await client.get("/api/orders", params=params)
            body = await resp.json()
        assert resp.status == 200 and body["items"], (params, body)
        assert seen and not full_scans(engine.url.database, seen), (
            params,
            full_scans(engine.url.database, seen),
        )
    assert body["total"] == 1
    with statements(engine) as seen:
        async with client.ws_connect("/ws") as ws:
            snap = (await ws.receive()).json()
    assert not full_scans(engine.url.database, seen)
    assert snap["work"]["mine"] == 700 and snap["work"]["overdue"] == 1000
