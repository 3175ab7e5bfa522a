"""The seeded 故障报修's 派工时间 starts at the time the 派工 page opens (``default: now``).

派工时间 is required at 派工 and may not be ahead of the clock, yet its input was empty: the
dispatcher typed the current time by hand on every order. A datetime field may now say
``default: now`` (docs/workflows.md, Fields): the page fills an empty editable one with the
site's current wall time, which the dispatcher may change. As 0037 does
(``seeded_workflow.upgrade_seeded``), an installation whose 故障报修 in use the system stored
gets a new version with it, taken by new orders; an admin's version is left alone and the log
says what to add. Written out here, not read from the seed. Not undone on downgrade.

Revision ID: 0041
Revises: 0040
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

KEY = "fault_repair"
FIELD = "派工时间"


def with_dispatch_time_default(body: Any) -> dict | None:
    """The body with ``default: now`` on 派工时间, or None when it has a default already or is
    not the seed's shape (no 派工时间, or not a datetime field)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    spec = body["fields"].get(FIELD)
    if not isinstance(spec, Mapping) or spec.get("type") != "datetime" or "default" in spec:
        return None
    changed = copy.deepcopy(dict(body))
    changed["fields"][FIELD] = {**spec, "default": "now"}
    return changed


def upgrade() -> None:
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_dispatch_time_default,
        added="派工时间 starts at now",
        not_for_admins="派工时间 is not given default: now in an admin's version; add it to the field (docs/workflows.md)",
    )


def downgrade() -> None:
    pass  # the new version stays (停用 it to go back)
