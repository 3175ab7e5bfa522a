"""The schema migrates on both databases and stores times as UTC."""

import datetime as dt

from sqlalchemy import select

from ticketing.models import Customer, CustomerPhone, Site


async def test_round_trip_with_aware_utc_times(session):
    site = Site(code="GZ", name="广州供电局", kind="bureau", path="/")
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
    # the search index lives outside the models on purpose (FTS5 shadow tables / a pg_trgm expression index)
    ignored = ("kb_fts", "ix_kb_articles_trgm", "alembic_version")
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
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the closed socket reaches the pooled connection
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
