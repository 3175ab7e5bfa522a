"""Migration 0017: the status times stored as a mapping (the last time of each status) become
the list of status changes, in time order, on both databases."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from tests.ticketing.conftest import PG_ADMIN
from ticketing import db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    name = f"hotline_m_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:  # pragma: no cover - environment without PostgreSQL
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def test_upgrading_turns_status_times_into_the_list_of_changes(empty_db_url):
    await db.migrate(empty_db_url, "0016")
    engine = db.create_engine(empty_db_url)
    stored = {  # as the old code wrote it: insertion order is not time order after a re-dispatch
        "已受理": "2026-10-08T08:00:00+00:00",
        "接收确认": "2026-10-10T09:10:00+00:00",
        "已流转": "2026-10-08T08:00:00.500000+00:00",
        "已派工": "2026-10-12T01:00:00+00:00",
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO workflow_definitions (id, key, version, name, body, source, enabled, created_at)"
                    " VALUES (1, 'fault_repair', 1, '故障报修', '{}', '', true, '2026-10-01 00:00:00')"
                )
            )
            for order_id, times in ((1, stored), (2, {})):
                await conn.execute(
                    text(
                        "INSERT INTO work_orders (id, number, category, subcategory, status, priority, severity,"
                        " title, caller_number, form, workflow_id, workflow_key, workflow_version, current_node,"
                        " updated_at, status_times, node_entered_at, is_open, category_locked, disabled_nodes,"
                        " created_at) VALUES (:id, :number, 'fault', '', '已派工', 0, '', '', '', '{}', 1,"
                        " 'fault_repair', 1, 'onsite', '2026-10-12 01:00:00', :times, '2026-10-12 01:00:00',"
                        " true, true, '[]', '2026-10-08 08:00:00')"
                    ),
                    {
                        "id": order_id,
                        "number": f"GZ{order_id}",
                        "times": json.dumps(times, ensure_ascii=False),
                    },
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, status_times FROM work_orders ORDER BY id"))).all()
    finally:
        await engine.dispose()
    converted = {order_id: json.loads(t) if isinstance(t, str) else t for order_id, t in rows}
    assert converted == {
        1: [
            {"status": "已受理", "at": "2026-10-08T08:00:00+00:00"},
            {"status": "已流转", "at": "2026-10-08T08:00:00.500000+00:00"},
            {"status": "接收确认", "at": "2026-10-10T09:10:00+00:00"},
            {"status": "已派工", "at": "2026-10-12T01:00:00+00:00"},
        ],
        2: [],
    }
