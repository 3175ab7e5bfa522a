"""协调单 is made by 派工超时转协调单, not picked at intake (``categories.at_intake``, 0035): an
installation upgraded keeps every category offered but the seeded 协调单's rows; the seeds say so
for a new one. On both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from ticketing import db
from ticketing.categories import offered
from ticketing.models import Category


async def test_upgrading_turns_off_intake_for_the_seeded_coordination_only(empty_db_url):
    await db.migrate(empty_db_url, "0034")
    engine = db.create_engine(empty_db_url)
    now = dt.datetime(2026, 11, 27, 8, 0)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO categories (id, code, name, parent_id, site_id, workflow_key, number_pattern,"
                    " form_schema, enabled, sort, created_at) VALUES"
                    " (1, 'fault', '故障报修', NULL, NULL, 'fault_repair', '', '{}', :on, 0, :now),"
                    " (2, 'fault_lv', '低压故障', 1, NULL, 'fault_repair', '', '{}', :on, 0, :now),"
                    " (3, 'coordination', '协调单', NULL, NULL, 'fault_repair', '', '{}', :on, 1, :now)"
                ),
                {"now": now, "on": True},
            )
        await db.migrate(engine)
        async with engine.begin() as conn:
            found = dict(
                (await conn.execute(text("SELECT code, at_intake FROM categories ORDER BY id"))).all()
            )
        assert {k: bool(v) for k, v in found.items()} == {
            "fault": True,
            "fault_lv": True,
            "coordination": False,
        }
    finally:
        await engine.dispose()


async def test_the_seeds_keep_coordination_out_of_intake_but_the_registers_list_it(session, seeded):
    rows = {c.code: c.at_intake for c in await session.scalars(select(Category))}
    assert rows["coordination"] is False and rows["fault"] is True
    gz = seeded.sites["440100"].id
    assert "coordination" not in [o.top.code for o in await offered(session, gz)]
    assert "coordination" in [o.top.code for o in await offered(session, gz, intake=False)]
