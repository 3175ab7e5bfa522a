"""Every ticketing test runs on SQLite and on PostgreSQL.

SQLite: the schema is migrated once into a template file, copied per test.
PostgreSQL: one uniquely named database per test session (dropped at the end),
migrated once and emptied before each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ticketing import db
from ticketing.models import Base

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RESTART_OWNED_SEQUENCES = """
SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i')
"""


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    asyncio.run(db.migrate(f"sqlite:///{path}"))
    return str(path)


@pytest.fixture(scope="session")
def pg_database() -> AsyncIterator[str]:
    name = f"hotline_t_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:  # pragma: no cover - environment without PostgreSQL
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(db.migrate(url))
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_database")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_db_url(request, tmp_path) -> AsyncIterator[str]:
    """A database with no schema at all, for upgrading step by step."""
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


@contextlib.asynccontextmanager
async def later_columns_lent(engine: AsyncEngine) -> AsyncIterator[None]:
    """Today's seeding code on a schema of an older migration, for an upgrade test: the ORM
    selects every column today's models have, so the columns later migrations add to tables the
    old schema has are lent (nullable, nothing else) while the test writes its data, and dropped
    again before the upgrade under test adds them for real."""

    def missing(sync_conn) -> list[tuple[str, str, str]]:
        schema = inspect(sync_conn)
        present = set(schema.get_table_names())
        lent = []
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            have = {column["name"] for column in schema.get_columns(table.name)}
            lent += [
                (table.name, column.name, column.type.compile(dialect=sync_conn.dialect))
                for column in table.columns
                if column.name not in have
            ]
        return lent

    async with engine.begin() as conn:
        lent = await conn.run_sync(missing)
        for table, column, type_ in lent:
            await conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {type_}'))
    try:
        yield
    finally:
        async with engine.begin() as conn:
            for table, column, _ in lent:
                await conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
        await engine.dispose()  # no pooled connection keeps a statement that names them


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = db.create_engine(db_url)
    if eng.dialect.name == "postgresql":
        # What TRUNCATE ... RESTART IDENTITY did, in a tenth of its time (0.5 s a test on two
        # cores: it makes new files for every table and index). Replica mode skips the foreign
        # keys, so the order of the deletes does not matter (users and departments point at
        # each other); then every sequence a column owns starts again.
        async with eng.begin() as conn:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in Base.metadata.sorted_tables:
                await conn.execute(text(f'DELETE FROM "{table.name}"'))
            await conn.execute(text(RESTART_OWNED_SEQUENCES))
    yield eng
    await eng.dispose()


@pytest.fixture
def sm(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.sessionmaker(engine)


@pytest.fixture
async def session(sm: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sm() as s:
        yield s


@pytest.fixture
async def seeded(session: AsyncSession):
    """The seeded 95598 defaults plus demo sites, staff and 30 customers, committed."""
    from ticketing.demo import seed_demo
    from ticketing.seed import seed_defaults

    await seed_defaults(session)
    demo = await seed_demo(session, customers=30)
    await session.commit()
    session.expunge_all()  # detached, loaded users and sites: a test's rollback cannot expire them
    return demo


async def fault_on_business_hours(session: AsyncSession) -> None:
    """故障报修 as a new version whose limits count in business hours (the seeded one counts
    round the clock, as faults are repaired): for the stories about working time, holidays
    and a site's own hours. The onsite step keeps its own 24x7."""
    from ticketing.seed import workflow_source
    from ticketing.workflow.store import import_definition

    await import_definition(session, {**workflow_source("fault_repair"), "calendar": "business"})
    await session.commit()


async def gz_fault_order(session: AsyncSession, seeded, **create):
    """A 故障报修 order of 广州 (440100) on business hours, committed: at 接收确认 with its handlers
    5101 and 5102 (``create``: create_order's other keywords, e.g. ``now``)."""
    from ticketing import create_order

    await fault_on_business_hours(session)
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        **create,
    )
    await session.commit()
    return order
