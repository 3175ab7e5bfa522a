"""On PostgreSQL knowledge and outage-notice search (width folded, ``ticketing.widths``) are
served by trigram indexes on the folded text (migration 0029): the searches' own statements,
as they are sent, plan onto them. An index built on another expression than the query's (the
table of characters, the separator, a column) is not used and fails here."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, text

from ticketing.knowledge import search_articles, search_notices

T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    assert isinstance(value, str), value
    return "'" + value.replace("'", "''") + "'"


async def _plans(session, engine, search) -> list[str]:
    """The plans of the folded-text statements ``search`` runs, as sent (its parameters), with
    sequential scans priced out, each planned for its parameters and as a generic plan."""
    sent = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "translate(" in statement:
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        await search()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    assert sent
    connection = await session.connection()
    await connection.execute(text("SET LOCAL enable_seqscan = off"))
    await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    plans = []
    for n, (statement, parameters) in enumerate(sent):
        rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        plans.append("\n".join(r[0] for r in rows))
        # as asyncpg's cached statement may be planned once used a few times: for any parameters
        await connection.exec_driver_sql(f"PREPARE searched_{n} AS {statement}")
        args = ", ".join(_literal(value) for value in parameters)
        rows = await connection.exec_driver_sql(f"EXPLAIN EXECUTE searched_{n}({args})")
        plans.append("\n".join(r[0] for r in rows))
        await connection.exec_driver_sql(f"DEALLOCATE searched_{n}")
    return plans


async def test_folded_search_plans_onto_the_folded_trigram_indexes(session, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite searches its FTS5 table or the folded text (no expression index)")

    article_plans = await _plans(session, engine, lambda: search_articles(session, "９５５９８ APP"))
    assert all("ix_kb_articles_folded_trgm" in plan for plan in article_plans), article_plans

    notice_plans = await _plans(
        session,
        engine,
        lambda: search_notices(session, area="测试路１号", start=T0, end=T0 + dt.timedelta(days=1), now=T0),
    )
    for index in ("ix_outage_notices_area_folded_trgm", "ix_outage_notice_areas_name_folded_trgm"):
        assert all(index in plan for plan in notice_plans), notice_plans
