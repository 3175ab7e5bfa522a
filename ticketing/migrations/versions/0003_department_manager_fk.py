"""departments.manager_id → users.id on PostgreSQL.

0001 declared this foreign key with use_alter (departments and users refer to
each other), and create_table leaves such a constraint to a later ALTER that
0001 never ran; SQLite got it inline. tests/ticketing/test_db.py compares the
migrated schema with the models on both databases.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = "fk_departments_manager_id_users"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    names = {fk["name"] for fk in sa.inspect(bind).get_foreign_keys("departments")}
    if NAME not in names:
        op.create_foreign_key(NAME, "departments", "users", ["manager_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(NAME, "departments", type_="foreignkey")
