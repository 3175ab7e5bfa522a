"""The seeded 故障报修's 到达时间 and 完成时间 start at the time their step's page opens
(``default: now``), as 派工时间 does since 0041.

Both are required at their step (到达现场, 抢修完成) and may not be ahead of the clock, yet their
inputs were empty: the crew's handler typed the current time by hand for every arrival and every
finish. With ``default: now`` (docs/workflows.md, Fields) the page fills an empty editable one
with the site's current wall time, which the handler may change. As 0041 does
(``seeded_workflow.upgrade_seeded``), an installation whose 故障报修 in use the system stored gets
a new version with them, taken by new orders; an admin's version is left alone and the log says
what to add. Written out here, not read from the seed. Not undone on downgrade.

Revision ID: 0043
Revises: 0042
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

KEY = "fault_repair"
FIELDS = ("到达时间", "完成时间")


def with_crew_times_default(body: Any) -> dict | None:
    """The body with ``default: now`` on 到达时间 and 完成时间, each that is a datetime field
    without a default; None when neither is (both have one already, or not the seed's shape)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    fields = body["fields"]
    wanting = [
        name
        for name in FIELDS
        if isinstance(fields.get(name), Mapping)
        and fields[name].get("type") == "datetime"
        and "default" not in fields[name]
    ]
    if not wanting:
        return None
    changed = copy.deepcopy(dict(body))
    for name in wanting:
        changed["fields"][name] = {**fields[name], "default": "now"}
    return changed


def upgrade() -> None:
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_crew_times_default,
        added="到达时间 and 完成时间 start at now",
        not_for_admins="到达时间 and 完成时间 are not given default: now in an admin's version; add it to the fields (docs/workflows.md)",
    )


def downgrade() -> None:
    pass  # the new version stays (停用 it to go back)
