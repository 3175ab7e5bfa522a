"""Search folds full-width into ASCII on the stored text (``ticketing.widths``, 9df9f64), so on
PostgreSQL the trigram index on the text as typed no longer serves it: trigram indexes on the
folded expressions search reads (``knowledge.ARTICLE_TEXT``, a notice's 停电范围 and its affected
areas' names), built from the same SQLAlchemy expressions as the queries so the two cannot
drift; the unused index on the unfolded text goes. SQLite: nothing (its FTS5 table serves terms
without a character that has a full-width form, the rest is a scan of the folded text).

Revision ID: 0029
Revises: 0028
"""

from alembic import op

from ticketing.knowledge import ARTICLE_TEXT
from ticketing.models import OutageNotice, OutageNoticeArea
from ticketing.widths import folded, trigram_index

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_kb_articles_folded_trgm": ("kb_articles", folded(ARTICLE_TEXT)),
    "ix_outage_notices_area_folded_trgm": ("outage_notices", folded(OutageNotice.area)),
    "ix_outage_notice_areas_name_folded_trgm": ("outage_notice_areas", folded(OutageNoticeArea.name)),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_kb_articles_trgm")
    for name, (table, expression) in INDEXES.items():
        trigram_index(bind, name, table, expression)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(
        "CREATE INDEX ix_kb_articles_trgm ON kb_articles "
        "USING gin ((title || ' ' || body || ' ' || tags) gin_trgm_ops)"
    )
