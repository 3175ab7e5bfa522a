"""Migration 0051 on SQLite: the knowledge base's FTS5 table (``kb_fts``, migration 0002) and its
triggers go, since the search reads them no more (030cdd8); articles are written and found as
before. Going back down builds the table again from the articles, and its triggers keep it in
step. On PostgreSQL there was no such table: the migration changes nothing there."""

from __future__ import annotations

from sqlalchemy import text

from tests.ticketing.seeded_upgrade import downgrade
from ticketing import db

ARTICLE = (
    "INSERT INTO kb_articles (id, title, body, kind, url, tags, enabled, created_at, updated_at)"
    " VALUES (:id, :title, '', 'text', '', '', true, '2026-11-20 08:00:00', '2026-11-20 08:00:00')"
)
FTS_OBJECTS = "SELECT name FROM sqlite_master WHERE name LIKE 'kb_fts%' ORDER BY name"


async def test_the_unread_search_table_goes_and_comes_back_down(empty_db_url):
    await db.migrate(empty_db_url, "0050")
    engine = db.create_engine(empty_db_url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        async with engine.begin() as conn:
            await conn.execute(text(ARTICLE), {"id": 1, "title": "电费缴纳方式"})
            if sqlite:
                assert "kb_fts" in (await conn.execute(text(FTS_OBJECTS))).scalars().all()
        await db.migrate(engine)
        async with engine.begin() as conn:
            if sqlite:
                assert (await conn.execute(text(FTS_OBJECTS))).scalars().all() == []
            # written without the triggers' table behind them
            await conn.execute(text(ARTICLE), {"id": 2, "title": "家中停电自查指引"})
            titles = (await conn.execute(text("SELECT title FROM kb_articles ORDER BY id"))).scalars().all()
            assert titles == ["电费缴纳方式", "家中停电自查指引"]
        if not sqlite:
            return
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, "0050")
        async with engine.begin() as conn:
            await conn.execute(text(ARTICLE), {"id": 3, "title": "营业厅地址查询"})
            found = await conn.execute(
                text("SELECT rowid FROM kb_fts WHERE kb_fts MATCH :q ORDER BY rowid"), {"q": "title:停电自查"}
            )
            assert found.scalars().all() == [2]  # rebuilt from the articles written meanwhile
            found = await conn.execute(
                text("SELECT rowid FROM kb_fts WHERE kb_fts MATCH :q"), {"q": "营业厅"}
            )
            assert found.scalars().all() == [3]  # and kept in step by its triggers again
    finally:
        await engine.dispose()
