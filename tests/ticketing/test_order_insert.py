"""A new order's rows, written in one go (ticketing.workflow.insert), are the rows the ORM writes."""

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ticketing import create_order
from ticketing.models import Assignment, AuditLog, Comment, Timer, WorkOrder

NOON = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
FORM = {"故障地址": '中山路1号 "东"座', "所属供电局": "440100", "客户描述故障信息": "停电\n两小时"}


async def fault_order(s, seeded, now: dt.datetime = NOON):
    """A 故障报修 order 1001 registers for 广州 with FORM at ``now``."""
    return await create_order(
        s,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form=FORM,
        now=now,
    )


# Every JSON column a new order writes: (table, column, how the row points at its order)
JSON_COLUMNS = [
    ("work_orders", "form", "id"),
    ("work_orders", "status_times", "id"),
    ("work_orders", "disabled_nodes", "id"),
    ("comments", "extra", "order_id"),
    ("audit_log", "before", "entity = 'work_order' AND entity_id"),
    ("audit_log", "after", "entity = 'work_order' AND entity_id"),
    ("timers", "payload", "order_id"),
]


async def test_json_columns_hold_the_text_the_orm_writes(sm, seeded):
    """Each JSON value is stored as the column's own serializer writes it (json.dumps), the
    create step's empty 'before' as JSON null (not SQL NULL), times as given."""
    agent = seeded.users["1001"]
    async with sm.begin() as s:
        order = await create_order(
            s,
            agent,
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            form=FORM,
            now=NOON,
            opinion="好",
        )
    async with sm() as s:
        for table, column, key in JSON_COLUMNS:
            ref = str(order.id) if key.endswith("entity_id") else order.id
            stored = (
                (
                    await s.execute(
                        text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE {key} = :ref ORDER BY id"),
                        {"ref": ref},
                    )
                )
                .scalars()
                .all()
            )
            assert stored, (table, column)
            for raw in stored:
                assert raw is not None, (table, column)
                assert raw == json.dumps(json.loads(raw)), (table, column, raw)
        loaded = await s.get(WorkOrder, order.id)
        assert loaded.form == {**loaded.form, **FORM}
        audits = (
            await s.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "work_order", AuditLog.entity_id == str(order.id))
                .order_by(AuditLog.id)
            )
        ).all()
        assert [a.action for a in audits] == ["order.create", "order.submit"]
        assert audits[0].before is None and audits[0].after["form"] == loaded.form
        assert audits[1].before == audits[0].after and audits[1].after["node"] == loaded.current_node
        comments = (
            await s.scalars(select(Comment).where(Comment.order_id == order.id).order_by(Comment.id))
        ).all()
        assert [(c.action, c.text, c.extra) for c in comments] == [("create", "", {}), ("submit", "好", {})]
        assignments = (await s.scalars(select(Assignment).where(Assignment.order_id == order.id))).all()
        assert {a.assigned_at for a in assignments} == {NOON}
        created_at = comments[0].node  # the create node, which the creator's assignment completed
        assert [(a.user_id, a.state, a.acted_at) for a in assignments if a.node == created_at] == [
            (agent.id, "done", NOON)
        ]
        assert {(a.node, a.state, a.acted_at) for a in assignments if a.node != created_at} == {
            (loaded.current_node, "pending", None)
        }
        timers = (await s.scalars(select(Timer).where(Timer.order_id == order.id))).all()
        assert timers and all(t.due_at > NOON and t.state == "pending" for t in timers)
        assert max(t.due_at for t in timers) == loaded.due_at


async def test_a_refused_write_is_sqlalchemys_error_and_its_number_is_never_reused(
    db_url, sm, seeded, monkeypatch
):
    """An order the database refuses (its site deleted meanwhile) fails with SQLAlchemy's
    IntegrityError and leaves nothing behind. Its number is never handed out again: SQLite
    numbers in the order's transaction, so the rollback gives it back and the next order gets
    it; PostgreSQL took it in a transaction of its own, so the next order gets the one after.
    ``create_order`` refuses an unknown site itself first (a field error); the database is
    the last word when one goes between that check and the insert, which changing the site on
    the way into the insert stands for here."""
    from ticketing.workflow import engine

    real_insert = engine.insert_order
    gone: list[int] = []

    async def site_gone(session, order, *args, **kwargs):
        if gone:
            order.site_id = gone[0]
        return await real_insert(session, order, *args, **kwargs)

    monkeypatch.setattr(engine, "insert_order", site_gone)
    agent, site = seeded.users["1001"], seeded.sites["440100"].id

    async def create() -> str:
        async with sm.begin() as s:
            order = await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
            return order.number

    first = await create()
    gone.append(10**9)
    with pytest.raises(IntegrityError):
        await create()
    gone.clear()
    after = "GZ2026112500003" if db_url.startswith("postgres") else "GZ2026112500002"
    assert [first, await create()] == ["GZ2026112500001", after]
    async with sm() as s:
        assert await s.scalar(select(WorkOrder.number).where(WorkOrder.site_id == 10**9)) is None


async def test_an_open_order_does_not_hold_up_the_next_number(db_url, sm, seeded):
    """PostgreSQL: the number is committed before the order's own statement, so an order whose
    transaction is still open (an agent's form still saving, a slow commit) does not keep the
    counter row locked: another order of the same day is numbered and committed meanwhile."""
    if not db_url.startswith("postgres"):
        return  # SQLite has one writer at a time: the second order waits for the first anyway
    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    async with sm.begin() as first:
        held = await create_order(first, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
        async with asyncio.timeout(5), sm.begin() as second:
            other = await create_order(
                second, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON
            )
        assert (held.number, other.number) == ("GZ2026112500001", "GZ2026112500002")
    async with sm() as s:
        stored = await s.scalars(select(WorkOrder.number).order_by(WorkOrder.number))
        assert stored.all() == ["GZ2026112500001", "GZ2026112500002"]


async def test_a_connection_lost_under_the_insert_is_invalidated(db_url, sm, seeded):
    """PostgreSQL: the insert goes straight through asyncpg; a backend that dies under it still
    ends as SQLAlchemy's error with the connection invalidated, and the next order is fine (the
    lost order's number, taken before its insert, is not reused)."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    if not db_url.startswith("postgres"):
        return
    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    async with sm.begin() as s:  # the caches fill: the order below runs no statement before its insert
        await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
    async with sm() as s:
        pid = (await s.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(db_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)
        with pytest.raises(DBAPIError) as failed:
            await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
        assert failed.value.connection_invalidated
        await s.rollback()
    async with sm.begin() as s:
        order = await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
    assert order.number == "GZ2026112500003"


async def test_the_new_order_is_an_ordinary_persistent_object(sm, seeded):
    """Built without the ORM's bookkeeping and attached as loaded: a later change in the same
    transaction is flushed like any other, and a misspelt column is refused."""
    from sqlalchemy import inspect

    from ticketing.workflow.insert import new_order

    with pytest.raises(TypeError, match="titel"):
        new_order(titel="x")
    async with sm.begin() as s:
        order = await fault_order(s, seeded)
        assert inspect(order).persistent and not s.dirty
        assert await s.get(WorkOrder, order.id) is order  # in the identity map, under its id
        order.title = "改过的标题"
        assert list(s.dirty) == [order]
    async with sm() as s:
        assert await s.scalar(select(WorkOrder.title).where(WorkOrder.id == order.id)) == "改过的标题"


@pytest.mark.parametrize(
    "now",
    [NOON, dt.datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))],
    ids=["whole-second", "microseconds-at-+08"],
)
async def test_times_are_stored_as_the_text_the_orm_writes(sm, seeded, now):
    """A new order's times and its rows' go in as the ORM writes the same moment (naive UTC; on
    SQLite the DATETIME text with its microseconds even when they are 0), so reading, sorting and
    comparing them as text or as times is the same for every row."""
    async with sm.begin() as s:
        order = await fault_order(s, seeded, now)
        orm = AuditLog(at=now, action="test.time", entity="test", entity_id=str(order.id))
        s.add(orm)
    async with sm() as s:

        async def as_text(sql: str) -> set[str]:
            return set((await s.execute(text(sql), {"id": order.id, "ref": str(order.id)})).scalars())

        written = await as_text(
            "SELECT CAST(at AS TEXT) FROM audit_log WHERE entity = 'test' AND entity_id = :ref"
        )
        assert len(written) == 1
        for sql in (
            "SELECT CAST(created_at AS TEXT) FROM work_orders WHERE id = :id",
            "SELECT CAST(node_entered_at AS TEXT) FROM work_orders WHERE id = :id",
            "SELECT CAST(assigned_at AS TEXT) FROM assignments WHERE order_id = :id",
            "SELECT CAST(created_at AS TEXT) FROM notifications WHERE order_id = :id",
        ):
            assert await as_text(sql) == written, sql
        assert (await s.get(WorkOrder, order.id)).created_at == now


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_each_tables_encoder_gives_the_values_the_plan_gives(dialect_name):
    """The encoder written out per table gives, for a row with every column, with none and with
    every other one, the values a loop over the table's plan gives (defaults, bind processing)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ticketing.models.base import UtcDateTime
    from ticketing.workflow import insert

    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.asyncpg.dialect()}[dialect_name]
    at = dt.datetime(2026, 11, 25, 12, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for table in (insert.ORDERS, *(t for t, _ in insert.KINDS.values())):
        plan = insert._plan(dialect, table)
        columns = {c.key: c for c in insert._columns(table)}

        def sample(key: str, i: int, columns: dict = columns) -> object:
            column = columns[key]
            if isinstance(column.type, UtcDateTime):
                return at
            kind = column.type.python_type
            return {str: f"值{i}", int: i, bool: i % 2 == 0, dict: {"k": [i]}, list: [i]}.get(kind, None)

        full = {key: sample(key, i) for i, (key, *_rest) in enumerate(plan)}
        half = {key: value for i, (key, value) in enumerate(full.items()) if i % 2}
        timed = {i for i, (_key, make, *_rest) in enumerate(plan) if make is not None}  # utcnow and the like
        for row in (full, half, {}, dict(reversed(half.items()))):
            # the encoder written out for the row's own keys, kept, and the same one for its keys again
            encode = insert._encoder(dialect, table, row)
            assert insert._encoder(dialect, table, dict(row)) is encode
            got, expected = encode(row), insert._encode(plan, row)
            assert len(got) == len(expected) == len(plan), table.name
            for i, (a, b) in enumerate(zip(got, expected, strict=True)):
                if i in timed and plan[i][0] not in row:
                    assert type(a) is type(b), (table.name, plan[i][0])
                else:
                    assert a == b, (table.name, plan[i][0], row)


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_each_tables_record_encoder_gives_the_record_the_plan_gives(dialect_name):
    """The JSON document's record written out per table gives, for a row with every column, with
    none and with every other one, the record a loop over the table's record plan gives."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ticketing.models.base import UtcDateTime
    from ticketing.workflow import insert

    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.asyncpg.dialect()}[dialect_name]
    at = dt.datetime(2026, 11, 25, 12, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for table, order_key in insert.KINDS.values():
        plan = insert._record_plan(dialect, table, order_key)
        columns = {c.key: c for c in insert._columns(table)}

        def sample(key: str, i: int, columns: dict = columns) -> object:
            column = columns[key]
            if isinstance(column.type, UtcDateTime):
                return at
            kind = column.type.python_type
            return {str: f"值{i}", int: i, bool: i % 2 == 0, dict: {"k": [i]}, list: [i]}.get(kind, None)

        full = {key: sample(key, i) for i, (_name, key, *_rest) in enumerate(plan)}
        half = {key: value for i, (key, value) in enumerate(full.items()) if i % 2}
        timed = {name for name, key, make, *_rest in plan if make is not None}  # utcnow and the like
        for row in (full, half, {}):
            got, expected = (
                insert._record_encoder(dialect, table, order_key, row)(row),
                insert._record(plan, row),
            )
            assert list(got) == list(expected), table.name
            # a column the row does not give is left out where its default is None, and only then
            assert set(got) == {
                name
                for name, key, make, default, convert in plan
                if key in row or make is not None or (convert(default) if convert else default) is not None
            }, table.name
            for name, value in got.items():
                if name in timed and value != expected[name]:
                    assert type(value) is type(expected[name]), (table.name, name)
                else:
                    assert value == expected[name], (table.name, name, row)


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
@pytest.mark.parametrize("agent", ["1001", None])
def test_active_call_parameters_written_out_are_the_loops(dialect_name, agent):
    """The call lookup's parameters, written out once per dialect, are what the loop over its
    binds gives: the three given, bind-processed, and the query's constants."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ticketing.workflow import insert

    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.asyncpg.dialect()}[dialect_name]
    given = {"agent": agent, "since": NOON, "number": "13800000000"}
    got = insert._call_params(dialect, given)
    assert got == insert._call_params_loop(dialect, given)
    assert len(got) == len(insert._call_compiled(dialect)[1])


def test_utc_times_processed_again_give_what_the_type_gives():
    """A time processed again (the same object: a new order's ``now`` in most of its rows) gives
    the last result, and only for the same object processed the same way: interleaved with
    other times, None, naive ones, equal ones and both dialects' processing, every result is
    the one the column type's own bind processing gives (as text, for PostgreSQL's arrays)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ticketing.models.base import UtcDateTime
    from ticketing.workflow import insert

    shanghai = dt.timezone(dt.timedelta(hours=8))
    a = dt.datetime(2026, 11, 25, 12, 0, 0, 5, tzinfo=shanghai)
    b = dt.datetime(2026, 11, 25, 4, 0, 0, 5, tzinfo=dt.UTC)  # the same instant as a
    c = dt.datetime(2026, 11, 25, 4, 0, 0, 5)  # naive: taken as UTC
    d = dt.datetime(2026, 11, 25, 4, 0, 1, tzinfo=dt.UTC)
    e = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # the next day in UTC
    f = dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC)  # a short year, no microseconds
    values = [a, a, b, b, None, a, c, d, d, a, None, None, c, e, f, e]
    processors = []
    for dialect in (sqlite.dialect(), postgresql.asyncpg.dialect()):
        for table in (insert.ORDERS, *(t for t, _ in insert.KINDS.values())):
            for key, _make, _default, process in insert._plan(dialect, table):
                column = table.c[key]
                if isinstance(column.type, UtcDateTime):
                    own = column.type.dialect_impl(dialect).bind_processor(dialect)
                    processors.append((process, own or (lambda v: v)))
    assert len(processors) > 10
    pg_own = processors[-1][1]  # PostgreSQL's: a naive UTC datetime
    for value in values:
        for process, own in processors:
            assert process(value) == own(value), value
        if value is not None:
            assert insert._utc_text(value) == pg_own(value).isoformat()
        else:
            assert insert._utc_text(value) is None
    # the same object again: the last result itself, not worked out anew
    sqlite_process = processors[0][0]
    assert sqlite_process(a) is sqlite_process(a)
    assert insert._utc_text(d) is insert._utc_text(d)


def test_encoders_kept_per_keys_stop_at_their_limit():
    """Rows with ever new keys (not a new order's) are encoded right, by an encoder written for
    their keys, without keeping more than ``KEYED`` of them per table."""
    from sqlalchemy.dialects import sqlite

    from ticketing.workflow import insert

    dialect = sqlite.dialect()
    table = insert.KINDS["comments"][0]
    plan = insert._plan(dialect, table)
    keys = [key for key, *_rest in plan]
    rows = [{keys[i % len(keys)]: None, f"unknown{i}": i} for i in range(insert.KEYED + 10)]
    encoded = insert._encoded(dialect, table, rows)
    for row, values in zip(rows, encoded, strict=True):
        expected = insert._encode(plan, row)
        assert [v for i, v in enumerate(values) if plan[i][1] is None] == [
            v for i, v in enumerate(expected) if plan[i][1] is None
        ]
    assert len(insert._encoders(dialect, table)) <= insert.KEYED


async def test_reminder_rows_left_out_columns_are_stored_null(sm, seeded):
    """The 提醒 rows' records leave out the columns they do not give whose default is None: the
    rows are stored with those NULL and every other default as the model gives it."""
    from ticketing.models import Notification

    async with sm.begin() as s:
        order = await fault_order(s, seeded)
    async with sm() as s:
        rows = (await s.scalars(select(Notification).where(Notification.order_id == order.id))).all()
    assert rows
    for row in rows:
        assert (row.channel, row.state, row.sent_at, row.kind) == ("screen", "sent", NOON, "routed")
        assert row.subject.startswith("【新工单】" + order.number)
        assert (row.read_at, row.retry_at, row.resent_as, row.gateway_id, row.delivery_at) == (None,) * 5
        assert (row.error, row.attempts, row.pages, row.delivery, row.delivery_reason) == ("", 0, 0, "", "")


def test_postgres_statement_reads_each_kinds_rows_from_an_array_of_its_own():
    """PostgreSQL parses a ``json`` value's whole text again for each ``->`` into it: the
    order's statement takes each kind of row (assignments, comments, audit, timers, 提醒) as a
    JSON array parameter of its own, never as a field of one document (the document's five
    ``->`` were a fifth of the server's instructions per order)."""
    import re

    from sqlalchemy.dialects import postgresql

    from ticketing.workflow import insert

    sql = insert._postgres_sql(postgresql.asyncpg.dialect())
    assert "->" not in sql
    arrays = re.findall(r"json_to_recordset\((\$\d+)::json\)", sql)
    assert len(arrays) == len(set(arrays)) == len(insert.KINDS)


async def test_postgres_order_takes_its_number_with_its_begin(db_url, sm, seeded, monkeypatch):
    """PostgreSQL: a new order whose transaction no statement has begun costs three round
    trips, all on its own connection: its number with the BEGIN (one query, the number
    committed by itself), the order's statement, the COMMIT. The statement writes the number
    and the 提醒 rows' subject (a long title cut to the column) as numbering.format_number and
    sla.headline do."""
    import asyncio.selector_events

    from ticketing.models import Notification
    from ticketing.sla import headline

    if not db_url.startswith("postgres"):
        return
    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    for _ in range(2):  # the caches fill, and the connection prepares the number's statement
        async with sm.begin() as s:
            await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
    writes: list[object] = []
    real_write = asyncio.selector_events._SelectorSocketTransport.write

    def counted(transport, data):
        writes.append(transport)
        return real_write(transport, data)

    monkeypatch.setattr(asyncio.selector_events._SelectorSocketTransport, "write", counted)
    title = "停" * 200
    async with sm.begin() as s:
        order = await create_order(
            s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON, title=title
        )
    monkeypatch.undo()
    assert len(writes) == 3 and len(set(writes)) == 1
    assert order.number == "GZ2026112500003"
    async with sm() as s:
        assert await s.scalar(select(WorkOrder.number).where(WorkOrder.id == order.id)) == order.number
        subjects = await s.scalars(select(Notification.subject).where(Notification.order_id == order.id))
        assert subjects.all() == [headline("新工单", order.number, title)] * 2


async def test_postgres_number_key_is_quoted_in_the_begin(db_url, engine):
    """numbering.begin_sql writes the counter key into a query without parameters: a key with a
    quote and a backslash is the counter's key as it is, and its value is left for the order.
    Its statement is prepared once per connection, and again when the server forgot it."""
    from ticketing.db import postgres_begin
    from ticketing.numbering import BEGIN_PREPARE, BEGIN_STATEMENT, NUMBER_SETTING, begin_sql

    if not db_url.startswith("postgres"):
        return
    key = "O'B\\C''#"
    async with engine.connect() as conn:
        for expected in ("1", "2", "3"):
            assert await postgres_begin(conn, begin_sql(key), BEGIN_PREPARE)
            assert await postgres_begin(conn, begin_sql(key), BEGIN_PREPARE) is False  # begun already
            got = await conn.execute(text(f"SELECT current_setting('{NUMBER_SETTING}')"))
            assert got.scalar_one() == expected
            await conn.rollback()  # the order's transaction: the number was committed before it
            if expected == "2":
                await conn.exec_driver_sql(f"DEALLOCATE {BEGIN_STATEMENT}")
                await conn.commit()
        stored = await conn.execute(text("SELECT key, value FROM counters WHERE value > 0"))
        assert stored.all() == [(key, 3)]
        await conn.rollback()


async def test_postgres_connection_lost_at_the_begin_is_invalidated(db_url, sm, seeded, monkeypatch):
    """PostgreSQL: a backend that dies before the number and the BEGIN go out ends as
    SQLAlchemy's error with the connection invalidated; no number was taken, and the next order
    is fine."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    from ticketing.workflow import insert

    if not db_url.startswith("postgres"):
        return
    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    async with sm.begin() as s:  # the caches fill: the order below runs no statement before its insert
        await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
    real_begin = insert.postgres_begin

    async def dies_first(conn, sql, prepare):
        admin = await asyncpg.connect(db_url)
        try:
            pid = conn.sync_connection.connection.driver_connection.get_server_pid()
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)
        return await real_begin(conn, sql, prepare)

    monkeypatch.setattr(insert, "postgres_begin", dies_first)
    async with sm() as s:
        with pytest.raises(DBAPIError) as failed:
            await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
        assert failed.value.connection_invalidated
        await s.rollback()
    monkeypatch.undo()
    async with sm.begin() as s:
        order = await create_order(s, agent, workflow="fault_repair", site_id=site, form=FORM, now=NOON)
    assert order.number == "GZ2026112500002"
