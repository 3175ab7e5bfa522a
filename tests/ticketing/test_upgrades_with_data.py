"""Upgrades of databases that hold data, on both databases: a migration that passes on an empty
schema can still fail on a running installation's rows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ticketing import db


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


async def test_knowledge_categories_with_articles_upgrade_to_managed_ones(empty_db_url):
    # 0014 once rebuilt kb_categories on SQLite, and dropping the old table failed on the
    # articles' foreign key: every installation with a knowledge base stopped at start-up.
    await db.migrate(empty_db_url, "0013")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO kb_categories (id, name, parent_id) VALUES (1, '电价', NULL)")
            )
            await conn.execute(
                text("INSERT INTO kb_categories (id, name, parent_id) VALUES (2, '阶梯电价', 1)")
            )
            await conn.execute(
                text(
                    "INSERT INTO kb_articles (id, category_id, title, body, kind, url, tags, enabled,"
                    " updated_at, created_at) VALUES (1, 2, '居民阶梯电价', '…', 'text', '', '', true,"
                    " '2026-10-01 00:00:00', '2026-10-01 00:00:00')"
                )
            )
        await db.migrate(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, sort, enabled FROM kb_categories ORDER BY id"))).all()
            article = (await conn.execute(text("SELECT category_id FROM kb_articles"))).scalar_one()
    finally:
        await engine.dispose()
    assert [(r.id, r.sort, bool(r.enabled)) for r in rows] == [(1, 1, True), (2, 2, True)]
    assert article == 2


async def test_upgrading_adds_the_seeded_number_limits_and_titles_older_orders(empty_db_url):
    """An installation seeded before the limits and derived titles: its seeded subcategories'
    number fields get the seeds' min/max (an admin's own limits and other fields untouched),
    and its untitled orders the title intake gives now."""
    await db.migrate(empty_db_url, "0017")
    engine = db.create_engine(empty_db_url)
    body = {
        "key": "service_application",
        "fields": {"用电地址": {"type": "text"}, "申请说明": {"type": "textarea"}},
    }
    categories = [  # id, code, name, parent, form schema
        (1, "service", "用电业务受理", None, {}),
        (2, "svc_lv_new", "低压新装", 1, {"户数": {"type": "number"}}),
        (
            3,
            "svc_hv_new",
            "高压新装",
            1,
            {"受电变压器容量": {"type": "number", "min": 10}, "用电性质": {"type": "text"}},
        ),
        (4, "svc_batch_new", "批量新装", 1, {"小区名称": {"type": "text"}}),  # the admin dropped 批量户数
        (5, "own_new", "自建新装", 1, {"户数": {"type": "number"}}),  # not a seeded subcategory
    ]
    orders = [  # id, title, subcategory, form
        (1, "", "svc_lv_new", {"用电地址": "天河路1号", "申请说明": "  三户 新装，\n请尽快  "}),
        (2, "已有标题", "svc_lv_new", {"申请说明": "不应改"}),
        (3, "", "", {"标题": "营业厅排队太久", "申请说明": "…"}),
        (4, " ", "", {}),
    ]
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO workflow_definitions (id, key, version, name, body, source, enabled, created_at)"
                    " VALUES (1, 'service_application', 1, '用电业务受理', :body, '', true, '2026-10-01 00:00:00')"
                ),
                {"body": json.dumps(body, ensure_ascii=False)},
            )
            for category_id, code, name, parent_id, schema in categories:
                await conn.execute(
                    text(
                        "INSERT INTO categories (id, code, name, parent_id, workflow_key, number_pattern,"
                        " form_schema, enabled, sort, created_at) VALUES (:id, :code, :name, :parent,"
                        " 'service_application', '', :schema, true, 0, '2026-10-01 00:00:00')"
                    ),
                    {
                        "id": category_id,
                        "code": code,
                        "name": name,
                        "parent": parent_id,
                        "schema": json.dumps(schema, ensure_ascii=False),
                    },
                )
            for order_id, title, subcategory, form in orders:
                await conn.execute(
                    text(
                        "INSERT INTO work_orders (id, number, category, subcategory, status, priority, severity,"
                        " title, caller_number, form, workflow_id, workflow_key, workflow_version, current_node,"
                        " updated_at, status_times, node_entered_at, is_open, category_locked, disabled_nodes,"
                        " created_at) VALUES (:id, :number, 'service', :sub, '已受理', 0, '', :title, '', :form, 1,"
                        " 'service_application', 1, 'accept', '2026-10-12 01:00:00', '[]', '2026-10-12 01:00:00',"
                        " true, false, '[]', '2026-10-08 08:00:00')"
                    ),
                    {
                        "id": order_id,
                        "number": f"YW{order_id}",
                        "sub": subcategory,
                        "title": title,
                        "form": json.dumps(form, ensure_ascii=False),
                    },
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            schemas = (await conn.execute(text("SELECT id, form_schema FROM categories ORDER BY id"))).all()
            titles = (await conn.execute(text("SELECT id, title FROM work_orders ORDER BY id"))).all()
    finally:
        await engine.dispose()
    upgraded = {category_id: json.loads(s) if isinstance(s, str) else s for category_id, s in schemas}
    assert upgraded[2] == {"户数": {"type": "number", "min": 1, "max": 10000}}
    assert upgraded[3] == categories[2][4]  # the admin's own limit stands
    assert upgraded[4] == categories[3][4]
    assert upgraded[5] == categories[4][4]
    assert dict(titles) == {1: "低压新装：三户 新装， 请尽快", 2: "已有标题", 3: "营业厅排队太久", 4: " "}


async def test_upgrading_keeps_each_orders_first_survey_and_refuses_a_second_one(empty_db_url):
    """Two submissions at once once stored two surveys of one order: the upgrade keeps the first
    (what the customer said), and from then on the database refuses a second."""
    await db.migrate(empty_db_url, "0018")
    engine = db.create_engine(empty_db_url)
    surveys = [  # id, order, satisfied: order 1 surveyed three times, order 2 once
        (1, 1, True),
        (2, 2, False),
        (3, 1, False),
        (4, 1, True),
    ]
    survey = (
        "INSERT INTO survey_results (id, order_id, answers, satisfied, remark, created_at)"
        " VALUES (:id, :order_id, '{}', :satisfied, '', '2026-10-12 01:00:00')"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO workflow_definitions (id, key, version, name, body, source, enabled, created_at)"
                    " VALUES (1, 'fault_repair', 1, '故障报修', '{}', '', true, '2026-10-01 00:00:00')"
                )
            )
            for order_id in (1, 2, 3):
                await conn.execute(
                    text(
                        "INSERT INTO work_orders (id, number, category, subcategory, status, priority, severity,"
                        " title, caller_number, form, workflow_id, workflow_key, workflow_version, current_node,"
                        " updated_at, status_times, node_entered_at, is_open, category_locked, disabled_nodes,"
                        " created_at) VALUES (:id, :number, 'fault', '', '已办结', 0, '', '', '', '{}', 1,"
                        " 'fault_repair', 1, 'end', '2026-10-12 01:00:00', '[]', '2026-10-12 01:00:00',"
                        " false, true, '[]', '2026-10-08 08:00:00')"
                    ),
                    {"id": order_id, "number": f"GZ{order_id}"},
                )
            for survey_id, order_id, satisfied in surveys:
                await conn.execute(
                    text(survey), {"id": survey_id, "order_id": order_id, "satisfied": satisfied}
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT id, order_id FROM survey_results ORDER BY id"))).all()
        async with engine.begin() as conn:
            await conn.execute(
                text(survey), {"id": 5, "order_id": 3, "satisfied": True}
            )  # a first one is fine
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text(survey), {"id": 6, "order_id": 2, "satisfied": True})
    finally:
        await engine.dispose()
    assert [tuple(r) for r in kept] == [(1, 1), (2, 2)]
