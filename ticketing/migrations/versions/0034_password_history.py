"""Users keep the argon2 hashes of their last passwords (``users.password_history``, newest
first): a password change may not go back to one of them (``ticketing.users.PASSWORD_HISTORY``).
Existing users start with none kept: only the current password is refused until they change it.

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a literal default: on SQLite a batch with an expression default
    # rebuilds ``users``, and dropping the old table fails on the rows that refer to its users.
    op.add_column("users", sa.Column("password_history", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_history")
