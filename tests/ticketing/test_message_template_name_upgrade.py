"""Migration 0044 on SQLite and PostgreSQL: the message templates stored before get a name derived
from their category's name, their step's name, the channel and whom they go to (not the
customer); a 停用 predecessor's is told apart with （2）; a category or step no longer known reads
as its code. A template cannot be stored without a name afterwards, and going back down drops only
the column."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.ticketing.conftest import later_columns_lent
from tests.ticketing.seeded_upgrade import column_names, downgrade
from ticketing import db
from ticketing.models import NotificationTemplate
from ticketing.seed import seed_defaults

NOW = dt.datetime(2026, 11, 29, 9, 0)
COMPLAINT = {
    "key": "complaint",
    "category": "complaint",
    "nodes": [{"id": "register", "name": "登记"}, {"id": "handle", "name": "处理"}],
}
TEMPLATE = (
    "INSERT INTO notification_templates (id, category, node, channel, subject, body, auto_send, enabled,"
    " audience) VALUES (:id, :category, :node, :channel, '', 'x', :off, :enabled, :audience)"
)


async def test_stored_templates_get_names_from_their_category_step_channel_and_audience(empty_db_url):
    await db.migrate(empty_db_url, "0043")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO sites (id, code, name, kind, path, timezone, created_at)"
                    " VALUES (1, '440100', '广州供电局', 'bureau', '/1/', 'Asia/Shanghai', :now)"
                ),
                {"now": NOW},
            )
            # the shared 投诉 and 广州's own name for it: the shared one names the templates
            await conn.execute(
                text(
                    "INSERT INTO categories (id, code, name, parent_id, site_id, workflow_key, number_pattern,"
                    " form_schema, enabled, sort, created_at) VALUES"
                    " (1, 'complaint', '投诉', NULL, NULL, 'complaint', '', '{}', :on, 0, :now),"
                    " (2, 'complaint', '广州投诉', NULL, 1, 'complaint', '', '{}', :on, 0, :now)"
                ),
                {"now": NOW, "on": True},
            )
            for version, nodes in ((1, COMPLAINT["nodes"][:1]), (2, COMPLAINT["nodes"])):
                await conn.execute(
                    text(
                        "INSERT INTO workflow_definitions (id, key, version, name, body, source, enabled,"
                        " created_at) VALUES (:id, 'complaint', :id, '投诉', :body, '', :on, :now)"
                    ),
                    {
                        "id": version,
                        "body": json.dumps({**COMPLAINT, "nodes": nodes}),
                        "on": True,
                        "now": NOW,
                    },
                )
            rows = [
                (1, "complaint", "register", "sms", True, "customer"),
                (2, "complaint", "handle", "email", False, "handler"),  # 停用, replaced by 3
                (3, "complaint", "handle", "email", True, "handler"),
                (4, "retired", "outsource", "fax", True, "contractor"),  # no such category any more
            ]
            for row_id, category, node, channel, enabled, audience in rows:
                await conn.execute(
                    text(TEMPLATE),
                    {
                        "id": row_id,
                        "category": category,
                        "node": node,
                        "channel": channel,
                        "off": False,
                        "enabled": enabled,
                        "audience": audience,
                    },
                )
        await db.migrate(engine)
        async with engine.begin() as conn:
            names = (
                await conn.execute(text("SELECT id, name FROM notification_templates ORDER BY id"))
            ).all()
            assert [tuple(r) for r in names] == [
                (1, "投诉·登记·短信"),
                (2, "投诉·处理·邮件（发给处理人）"),
                (3, "投诉·处理·邮件（发给处理人）（2）"),
                (4, "retired·outsource·传真（发给外委单位）"),
            ]
        with pytest.raises(IntegrityError):  # a new one comes with its name
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO notification_templates (category, node, channel, subject, body, auto_send,"
                        " enabled, audience) VALUES ('complaint', 'handle', 'sms', '', 'y', :off, :on, 'handler')"
                    ),
                    {"off": False, "on": True},
                )
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, "0043")
        async with engine.connect() as conn:
            assert "name" not in await conn.run_sync(column_names("notification_templates"))
            assert (await conn.execute(text("SELECT count(*) FROM notification_templates"))).scalar() == 4
    finally:
        await engine.dispose()


async def test_a_seeded_installation_gets_a_name_for_every_template(empty_db_url):
    await db.migrate(empty_db_url, "0043")
    engine = db.create_engine(empty_db_url)
    async with later_columns_lent(engine):
        async with db.sessionmaker(engine).begin() as s:
            await seed_defaults(s)  # as seeded before 0044: the names are lent, and dropped again
    engine = db.create_engine(empty_db_url)
    try:
        await db.migrate(engine)
        async with db.sessionmaker(engine)() as s:
            rows = list(await s.scalars(select(NotificationTemplate).order_by(NotificationTemplate.id)))
        names = {(t.category, t.node, t.channel): t.name for t in rows}
        assert len(rows) > 1 and len({t.name for t in rows}) == len(rows)
        assert names[("fault", "dispatch", "sms")] == "故障报修·派工·短信"
        assert names[("complaint", "handle", "email")] == "投诉举报建议·处理·邮件（发给处理人）"
    finally:
        await engine.dispose()
