"""The audit trail names its actor without a foreign key: ``audit_log.user_id`` keeps the user's id
as it was, beside ``actor`` (the staff number then, or ``system``), and no longer refers to
``users``. An audit row is a record of what happened, written once and never changed: it must
not stop a user's row from being removed or merged, and must not be refused or cascaded by a
change to ``users``. Creating an order wrote two audit rows, so two foreign-key checks, each
locking the acting agent's ``users`` row (shared with every other order that agent's seat makes
at once). docs/decisions/0008-audit-trail-without-foreign-keys.md says why this one and not the
order's other references to users.

Downgrade puts the constraint back; it refuses while an audit row names a user that is gone.

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

NAME = "fk_audit_log_user_id_users"


def _present() -> bool:
    return NAME in {fk["name"] for fk in sa.inspect(op.get_bind()).get_foreign_keys("audit_log")}


def upgrade() -> None:
    if not _present():
        return
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a constraint: the batch copies the table without it (nothing refers
        # to audit_log, so dropping the old table is not refused)
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.drop_constraint(NAME, type_="foreignkey")
    else:
        op.drop_constraint(NAME, "audit_log", type_="foreignkey")


def downgrade() -> None:
    if _present():
        return
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("audit_log", recreate="always") as batch:
            batch.create_foreign_key(NAME, "users", ["user_id"], ["id"])
    else:
        op.create_foreign_key(NAME, "audit_log", "users", ["user_id"], ["id"])
