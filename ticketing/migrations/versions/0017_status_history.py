"""Work orders keep every status change, not the last time of each status.

``work_orders.status_times`` was a mapping status -> time, so a re-dispatch loop (客户满意 =
不满意 → 派工 again) overwrote the first 接收确认, 已派工… times. It becomes the list of
changes in order, ``[{"status", "at"}]``; the times already stored are kept, sorted by time
(what was overwritten before this upgrade cannot be recovered).

Revision ID: 0017
Revises: 0016
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ORDERS = sa.table("work_orders", sa.column("id", sa.Integer), sa.column("status_times", sa.JSON))


def _convert(convert) -> None:
    conn = op.get_bind()
    for order_id, times in conn.execute(sa.select(_ORDERS.c.id, _ORDERS.c.status_times)).all():
        converted = convert(times)
        if converted is not None:
            conn.execute(_ORDERS.update().where(_ORDERS.c.id == order_id).values(status_times=converted))


def _to_list(times):
    if not isinstance(times, dict):
        return None  # already a list
    return [{"status": status, "at": at} for status, at in sorted(times.items(), key=_when)]


def _when(change: tuple[str, str]) -> dt.datetime:
    return dt.datetime.fromisoformat(change[1])


def _to_mapping(times):
    if not isinstance(times, list):
        return None
    return {change["status"]: change["at"] for change in times}  # the latest time of each status


def upgrade() -> None:
    _convert(_to_list)


def downgrade() -> None:
    _convert(_to_mapping)
