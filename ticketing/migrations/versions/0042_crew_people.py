"""The seeded 故障报修's crew picker fills 抢修人员 with the crew's people, not its name.

0037's picker had ``fills: {name: 抢修人员, …}``: picking 天河抢修班 wrote 天河抢修班 into 抢修人员,
which asks who went out, and the crew's name is already the picker's own value. The seed now
fills it with ``people``: the crew's leader, then its members (杨班长、周伟、徐芳、孙娜; a crew that
names nobody, its name). As 0037 does (``seeded_workflow.upgrade_seeded``), an installation whose
故障报修 in use the system stored gets a new version with it, taken by new orders; running orders
keep theirs (and what their 抢修人员 holds); an admin's version is left alone and the log tells
the admin to change the picker's ``fills`` (docs/workflows.md, Repair crews). Written out here,
not read from the seed. Not undone on downgrade (停用 the version to go back).

Revision ID: 0042
Revises: 0041
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

KEY = "fault_repair"
PICKER = "抢修班组"
TARGET = "抢修人员"


def with_crew_people(body: Any) -> dict | None:
    """The body with the picker filling 抢修人员 from ``people`` instead of ``name``, or None when
    it does already or is not 0037's shape (no picker, or its ``name`` fills something else)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    picker = body["fields"].get(PICKER)
    fills = picker.get("fills") if isinstance(picker, Mapping) else None
    if not isinstance(fills, Mapping) or fills.get("name") != TARGET or "people" in fills:
        return None
    changed = copy.deepcopy(dict(body))
    # the same place in the mapping: people where name was
    changed["fields"][PICKER]["fills"] = {
        ("people" if part == "name" else part): target for part, target in fills.items()
    }
    return changed


def upgrade() -> None:
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_crew_people,
        added="crew picker fills 抢修人员 with the crew's people",
        not_for_admins="the 抢修班组 picker still fills 抢修人员 with the crew's name; set its fills to {people: 抢修人员, …} (docs/workflows.md)",
    )


def downgrade() -> None:
    pass  # the new version stays (停用 it to go back)
