"""The schema migrates on both databases and stores times as UTC."""

import datetime as dt

from sqlalchemy import select

from ticketing.models import Customer, CustomerPhone, Site, WorkOrder


async def test_round_trip_with_aware_utc_times(session):
    site = Site(code="440100", name="广州供电局", kind="bureau", path="/")
    session.add(site)
    await session.flush()
    local = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    customer = Customer(account_no="0100000001", name="张三", site_id=site.id, created_at=local)
    customer.phones = [CustomerPhone(number="13800138000")]
    session.add(customer)
    await session.commit()
    session.expunge_all()
    got = (await session.execute(select(Customer).where(Customer.account_no == "0100000001"))).scalar_one()
    assert got.created_at == local
    assert got.created_at.tzinfo is dt.UTC


async def test_migrations_match_the_models(engine):
    """Alembic owns the schema: a model change without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ticketing.models import Base

    def diff(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    # the search indexes live outside the models on purpose (pg_trgm expression indexes, all named
    # *_trgm)
    ignored = ("_trgm", "alembic_version")
    real = [c for c in changes if not any(name in repr(c) for name in ignored)]
    assert real == []


async def test_a_connection_the_server_closed_is_replaced_at_checkout(engine):
    """Without a pre-ping round trip: a pooled connection whose backend was terminated (as in
    a PostgreSQL restart) is not handed out again."""
    import asyncio

    import asyncpg
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return  # SQLite has no server to lose
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    admin = await asyncpg.connect(
        engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        # pg_terminate_backend only signals: on a loaded machine the backend can take longer
        # than any fixed sleep to exit and close its socket (CI once saw it still open)
        for _ in range(100):
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"backend {pid} still running 5 s after pg_terminate_backend")
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the closed socket reaches the pooled connection
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid


def _write_lock_is_free(db_url: str) -> bool:
    """Whether another connection could start writing right now (without waiting)."""
    import sqlite3

    probe = sqlite3.connect(db_url.split("///", 1)[1], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        probe.close()


async def test_sqlite_write_lock_is_held_from_the_first_statement_to_commit(db_url, sm):
    """BEGIN IMMEDIATE goes out with the transaction's first statement: checking out a
    connection takes nothing, a statement takes the write lock, COMMIT releases it."""
    from ticketing.models import Counter

    if not db_url.startswith("sqlite"):
        return
    async with sm.begin() as s:
        await s.connection()
        assert _write_lock_is_free(db_url)
        await s.scalar(select(Counter.value).where(Counter.key == "none"))  # a read takes it too
        assert not _write_lock_is_free(db_url)
    assert _write_lock_is_free(db_url)
    async with sm() as s:
        s.add(Counter(key="rolled-back", value=1))
        await s.flush()
        assert not _write_lock_is_free(db_url)
        await s.rollback()
        assert _write_lock_is_free(db_url)
    async with sm() as s:
        assert await s.scalar(select(Counter).where(Counter.key == "rolled-back")) is None


async def test_sqlite_connection_back_in_the_pool_is_rolled_back_only_when_in_a_transaction(
    db_url, engine, sm, monkeypatch
):
    """After a commit the pool does not roll back again (it was one more hop per transaction);
    a connection that comes back still in a transaction is rolled back."""
    import aiosqlite

    from ticketing.db import SqliteConnection
    from ticketing.models import Counter

    if not db_url.startswith("sqlite"):
        return
    async with sm.begin() as s:  # the pool's first connection (SQLAlchemy rolls back a new one)
        await s.connection()
    rollbacks = []
    real_rollback = aiosqlite.Connection.rollback

    async def counted(self):
        rollbacks.append(self)
        await real_rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    async with sm.begin() as s:
        s.add(Counter(key="committed", value=1))
    assert rollbacks == []
    async with engine.connect() as conn:  # a transaction SQLAlchemy does not know about
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, SqliteConnection)
        await driver.execute("BEGIN IMMEDIATE")
        await driver.execute("INSERT INTO counters (key, value) VALUES ('raw', 1)")
    assert rollbacks == [driver]
    assert _write_lock_is_free(db_url)
    async with sm() as s:
        assert await s.scalar(select(Counter.key).where(Counter.key == "raw")) is None
        assert await s.scalar(select(Counter.key).where(Counter.key == "committed")) == "committed"


async def test_sqlite_order_is_created_in_two_thread_hops(db_url, sm, seeded, monkeypatch):
    """On SQLite a new order costs two hops into aiosqlite's thread: BEGIN IMMEDIATE with
    all the writes (its customer's check among them), then COMMIT."""
    import aiosqlite

    from ticketing import create_order
    from ticketing.models import Customer

    if not db_url.startswith("sqlite"):
        return
    agent, site = seeded.users["1001"], seeded.sites["440100"].id
    form = {"故障地址": "中山路1号", "所属供电局": "440100"}
    async with sm.begin() as s:  # the caches fill
        await create_order(s, agent, workflow="fault_repair", site_id=site, form=form)
        customer = await s.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    hops = []
    real_execute = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        hops.append(fn)
        return await real_execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    async with sm.begin() as s:
        order = await create_order(
            s, agent, workflow="fault_repair", site_id=site, form=form, customer_id=customer
        )
    monkeypatch.undo()
    assert len(hops) == 2
    assert order.customer_id == customer
    async with sm() as s:
        assert await s.scalar(select(WorkOrder.number).where(WorkOrder.id == order.id)) == order.number


async def test_upgrading_to_call_legs_gives_each_answered_call_its_agents_leg(tmp_path):
    """Migration 0012: the answered calls already stored get one leg each, so an agent's last
    call is found the same way across the upgrade; unanswered calls and other kinds get none."""
    from sqlalchemy import text

    from ticketing import db

    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    await db.migrate(url, "0011")
    engine = db.create_engine(url)
    rows = [
        # kind, external id, agent, status, duration, ended
        ("call", "answered-ended", "1001", "ended", 60.0, "2026-11-26 08:02:10"),
        ("call", "talking-now", "1002", "answered", 0.0, None),
        ("call", "abandoned", "", "ended", 0.0, "2026-11-26 08:10:03"),
        ("call", "agent-missed", "1003", "ended", 0.0, "2026-11-26 08:20:00"),
        ("recording", "answered-ended", "1001", "new", 60.0, None),
    ]
    try:
        async with engine.begin() as conn:
            for kind, external_id, agent, status, duration, ended in rows:
                await conn.execute(
                    text(
                        "INSERT INTO interactions (kind, external_id, direction, number, dnis, agent_id,"
                        " status, occurred_at, ended_at, duration, subject, content, file_path, payload,"
                        " created_at) VALUES (:kind, :ext, 'inbound', '', '', :agent, :status,"
                        " '2026-11-26 08:00:00', :ended, :duration, '', '', '', '{}', '2026-11-26 08:00:00')"
                    ),
                    {
                        "kind": kind,
                        "ext": external_id,
                        "agent": agent,
                        "status": status,
                        "ended": ended,
                        "duration": duration,
                    },
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            legs = (
                await conn.execute(
                    text(
                        "SELECT i.external_id, l.agent_id, l.ended_at IS NULL FROM call_legs l"
                        " JOIN interactions i ON i.id = l.interaction_id ORDER BY i.id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in legs] == [("answered-ended", "1001", 0), ("talking-now", "1002", 1)]


async def test_upgrading_moves_the_seeded_complaint_handle_email_to_the_handler(tmp_path):
    """Migration 0016: seeds fill only an empty template table, so an installation seeded
    before ``audience: handler`` mailed its complaint handlers' notice to the customer."""
    from sqlalchemy import text

    from ticketing import db

    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    await db.migrate(url, "0015")
    engine = db.create_engine(url)
    rows = [
        ("complaint", "handle", "email", "投诉工单 {{ order.number }} 已分派给您处理。"),
        (
            "complaint",
            "handle",
            "sms",
            "您的投诉 {{ order.number }} 正在处理。",
        ),  # an admin's, for the customer
        ("fault", "dispatch", "sms", "【95598】您报修的故障已受理"),
    ]
    try:
        async with engine.begin() as conn:
            for category, node, channel, body in rows:
                await conn.execute(
                    text(
                        "INSERT INTO notification_templates (category, node, channel, subject, body, auto_send,"
                        " enabled, audience) VALUES (:category, :node, :channel, '', :body, 1, 1, 'customer')"
                    ),
                    {"category": category, "node": node, "channel": channel, "body": body},
                )
        await db.migrate(engine)
        async with engine.connect() as conn:
            audiences = (
                await conn.execute(
                    text("SELECT category, channel, audience FROM notification_templates ORDER BY id")
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in audiences] == [
        ("complaint", "email", "handler"),
        ("complaint", "sms", "customer"),
        ("fault", "sms", "customer"),
    ]
