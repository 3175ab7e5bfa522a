"""SQLite: drop the knowledge base's FTS5 table ``kb_fts`` and the three triggers that fed it.

The search matches a caller's question by its words, two-character ones included (030cdd8,
``ticketing.knowledge.query_terms``), which FTS5's trigram tokenizer cannot find; nothing reads
the table since, while every article written still paid its triggers and doubled its text on
disk. PostgreSQL has no such table (its trigram indexes, migration 0029, are read): nothing to do
there.

Downgrade builds the table again from the articles, with its triggers (as migration 0002 made it).

Revision ID: 0051
Revises: 0050
"""

from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None

TRIGGERS = ("kb_fts_ai", "kb_fts_ad", "kb_fts_au")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS kb_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE kb_fts USING fts5(title, body, tags, content='kb_articles', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute("INSERT INTO kb_fts(kb_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER kb_fts_ai AFTER INSERT ON kb_articles BEGIN "
        "INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END"
    )
    op.execute(
        "CREATE TRIGGER kb_fts_ad AFTER DELETE ON kb_articles BEGIN "
        "INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags); END"
    )
    op.execute(
        "CREATE TRIGGER kb_fts_au AFTER UPDATE ON kb_articles BEGIN "
        "INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags); "
        "INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END"
    )
