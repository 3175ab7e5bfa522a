"""Migrations 0030 and 0031 on a database that holds categories and notifications: one shared
category a code is held by the database (``uq_categories_code_shared``; ``uq_categories_code_site``
lets NULL site_ids through), while sites keep overriding a shared code; a database already
holding two shared rows of a code is not upgraded, with a message naming them; notifications get
their index by order. And two admins creating one code at the same moment: the second is
``field_duplicate``, not a second row."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from ticketing import category_admin, db
from ticketing.errors import FieldErrors
from ticketing.models import Category

NOW = dt.datetime(2026, 11, 28, 1, 0)


async def _at_0029(url: str, categories: list[tuple[int, str, str, int | None, int | None]]):
    """The schema of 0029 holding sites HQ and 440100 (广州) and ``categories`` (id, code, name, parent_id, site_id)."""
    await db.migrate(url, "0029")
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO sites (id, code, name, kind, parent_id, path, timezone, created_at, enabled)"
                " VALUES (1, 'HQ', '总部', 'hq', NULL, '/1/', 'Asia/Shanghai', :now, :on),"
                " (2, '440100', '广州供电局', 'bureau', 1, '/1/2/', 'Asia/Shanghai', :now, :on)"
            ),
            {"now": NOW, "on": True},
        )
        for row_id, code, name, parent_id, site_id in categories:
            await conn.execute(
                text(
                    "INSERT INTO categories (id, code, name, parent_id, site_id, workflow_key,"
                    " number_pattern, form_schema, enabled, sort, created_at) VALUES (:id, :code,"
                    " :name, :parent, :site, '', '', '{}', :on, 0, :now)"
                ),
                {
                    "id": row_id,
                    "code": code,
                    "name": name,
                    "parent": parent_id,
                    "site": site_id,
                    "now": NOW,
                    "on": True,
                },
            )
    return engine


async def _version(engine) -> str:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()


async def _indexes(engine, table: str) -> dict[str, dict]:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda sync: inspect(sync).get_indexes(table))
    return {i["name"]: i for i in found}


async def _insert(engine, row_id: int, code: str, site_id: int | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO categories (id, code, name, parent_id, site_id, workflow_key, number_pattern,"
                " form_schema, enabled, sort, created_at) VALUES (:id, :code, '又一个', NULL, :site, '', '',"
                " '{}', :on, 0, :now)"
            ),
            {"id": row_id, "code": code, "site": site_id, "now": NOW, "on": True},
        )


async def test_upgrading_holds_one_shared_row_a_code_and_sites_keep_their_overrides(empty_db_url):
    engine = await _at_0029(
        empty_db_url,
        [
            (1, "fault", "故障报修", None, None),
            (2, "fault_meter", "计量装置故障", 1, None),
            (3, "fault", "广州故障报修", None, 2),  # 广州's override
            (4, "fault_meter", "广州计量", 1, 2),
        ],
    )
    try:
        # before: the constraint on (code, site_id) lets a second shared 'fault' in
        await _insert(engine, 5, "fault", None)
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM categories WHERE id = 5"))
        await db.migrate(engine)
        assert await _version(engine) >= "0031"
        with pytest.raises(IntegrityError):
            await _insert(engine, 5, "fault", None)
        with pytest.raises(IntegrityError):
            await _insert(engine, 5, "fault", 2)  # uq_categories_code_site, as before
        await _insert(engine, 5, "fault_new", None)
        await _insert(engine, 6, "fault_new", 2)  # a site's override of a shared code: still fine
        shared = (await _indexes(engine, "categories"))["uq_categories_code_shared"]
        assert shared["column_names"] == ["code"] and shared["unique"]
        assert (await _indexes(engine, "notifications"))["ix_notifications_order"]["column_names"] == [
            "order_id"
        ]
    finally:
        await engine.dispose()


async def test_a_database_holding_two_shared_rows_of_a_code_is_not_upgraded(empty_db_url):
    engine = await _at_0029(
        empty_db_url,
        [
            (1, "fault", "故障报修", None, None),
            (2, "billing", "电费争议", None, None),
            (3, "billing", "电费纠纷", None, None),  # two admins at the same moment
            (4, "billing_meter", "表计争议", 3, None),
            (5, "fault", "广州故障报修", None, 2),
        ],
    )
    try:
        with pytest.raises(RuntimeError, match="migration 0030 stopped") as refused:
            await db.migrate(engine)
        message = str(refused.value)
        assert "billing: id 2 (电费争议), id 3 (电费纠纷)" in message
        assert "fault" not in message.split("name alone: ")[1].split(". Keep")[0]
        assert "DELETE FROM categories WHERE id = <other id>" in message
        assert await _version(engine) == "0029"  # nothing of it applied
        assert "uq_categories_code_shared" not in await _indexes(engine, "categories")
        # the admin keeps one, as the message says, and upgrades again
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE categories SET parent_id = 2 WHERE parent_id = 3"))
            await conn.execute(text("DELETE FROM categories WHERE id = 3"))
        await db.migrate(engine)
        assert "uq_categories_code_shared" in await _indexes(engine, "categories")
    finally:
        await engine.dispose()


async def test_two_admins_creating_one_code_at_the_same_moment_make_one_row(sm, seeded):
    admin = seeded.users["9001"]
    async with sm() as first, sm() as second:
        await category_admin.create(first, admin, {"code": "billing", "name": "电费争议"})
        # the second admin's check ran before the first committed: it saw no 'billing'
        racing = asyncio.create_task(
            category_admin.create(second, admin, {"code": "billing", "name": "电费纠纷"})
        )
        await asyncio.sleep(0.3)
        await first.commit()
        with pytest.raises(FieldErrors) as refused:
            await racing
        assert refused.value.problems == {"code": "field_duplicate"}
        await second.rollback()
    async with sm() as check:
        rows = list(await check.scalars(select(Category.name).where(Category.code == "billing")))
    assert rows == ["电费争议"]


async def test_an_orders_notifications_are_found_by_its_index(engine, session, seeded):
    """``screen_alerts.shut_out`` (an order moved to another site) reads the order's rows by the
    index (0031), not by a scan of the 90 days' outbox."""
    from sqlalchemy import event

    from ticketing import screen_alerts

    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM notifications" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        await screen_alerts.shut_out(session, 1, seeded.sites["440100"].id)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    [(statement, parameters)] = seen
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SET enable_seqscan = off"))  # a test's few rows: a scan is cheaper
            plan = await raw.driver_connection.fetch("EXPLAIN " + statement, *parameters)
            lines = [row[0] for row in plan]
        else:
            cursor = await raw.driver_connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            lines = [row[-1] for row in await cursor.fetchall()]
    assert any("ix_notifications_order" in line for line in lines), lines


async def test_two_adds_of_one_code_at_the_same_moment_make_one_row(sm, seeded):
    """``categories.add_category`` (seeds, scripts) as the page: the second of two racing adds is
    refused ``category_exists``, not an IntegrityError out of the caller's transaction."""
    from ticketing.categories import add_category
    from ticketing.errors import ActionRefused

    admin = seeded.users["9001"]
    async with sm() as first, sm() as second:
        await add_category(first, admin, "billing", "电费争议")
        racing = asyncio.create_task(add_category(second, admin, "billing", "电费纠纷"))
        await asyncio.sleep(0.3)
        await first.commit()
        with pytest.raises(ActionRefused) as refused:
            await racing
        assert refused.value.error_id == "category_exists"
        await second.rollback()
    async with sm() as check:
        rows = list(await check.scalars(select(Category.name).where(Category.code == "billing")))
    assert rows == ["电费争议"]
