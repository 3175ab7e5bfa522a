"""One visit-back survey per order, enforced by the database.

``ticketing.surveys.record_survey`` refused a second survey of an order only by reading first,
so two submissions at once (a double click, two tabs) could both pass the read and both be
stored, and the satisfaction reports counted the customer twice. ``survey_results.order_id``
becomes unique.

An installation may already hold such pairs. The first survey of an order (the lowest id) is
kept, as ``record_survey`` keeps the first answer; the later ones are deleted. Nothing else is
lost with them: their answers stay in the audit log (``survey.record``), and a complaint a later
one opened stays an order linked to the surveyed one (``follow_up_complaint``). Nothing refers
to a survey row.

Downgrade makes the index plain again; the deleted duplicates are not brought back.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SURVEYS = sa.table("survey_results", sa.column("id", sa.Integer), sa.column("order_id", sa.Integer))


def upgrade() -> None:
    first = sa.select(sa.func.min(_SURVEYS.c.id)).group_by(_SURVEYS.c.order_id)
    op.get_bind().execute(_SURVEYS.delete().where(_SURVEYS.c.id.not_in(first)))
    # the index is replaced, not altered: neither database can make an index unique in place
    op.drop_index("ix_survey_results_order_id", table_name="survey_results")
    op.create_index("ix_survey_results_order_id", "survey_results", ["order_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_survey_results_order_id", table_name="survey_results")
    op.create_index("ix_survey_results_order_id", "survey_results", ["order_id"], unique=False)
