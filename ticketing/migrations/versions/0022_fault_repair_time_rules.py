"""The seeded 故障报修 gets the time rules on its crew times as a new version.

The fault workflow's 派工时间, 到达时间 and 完成时间 declare when they can plausibly be
(ecc2f40: not before the order was created nor before the earlier time, not ahead of the clock;
they feed the arrival and repair KPIs). Seeds fill only a missing workflow key, so an
installation seeded before kept a version without them, and every crew time was taken.

An installation whose 故障报修 in use (its highest enabled version) is the seeded one, never
edited, gets the rules without an admin: a new version, the same flow plus the rules, stored
by the system (``workflow.import`` audited as ``system``) and taken by new orders. Orders
already running keep their version, and any time, as every new version leaves them. A version
an admin imported (their own edit; its audit row names them) is never touched, nor is one that
has such rules of its own or lacks one of the three datetime fields: the admin adds the rules by
importing a version with them (docs/workflows.md), and the upgrade's log says so.

The rules are written out here, not read from ticketing/seeds: a migration must do the same
thing whenever it runs. Not undone on downgrade: the new version is an ordinary one (停用 it to
go back).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

KEY = "fault_repair"
#: ticketing/seeds/fault_repair.yaml as of ecc2f40: field -> its time rules
TIME_RULES: dict[str, dict[str, Any]] = {
    "派工时间": {"not_before": "created", "not_after": "now"},
    "到达时间": {"not_before": ["created", "派工时间"], "not_after": "now"},
    "完成时间": {"not_before": ["created", "到达时间"], "not_after": "now"},
}
RULE_KEYS = ("not_before", "not_after")


def with_time_rules(body: Any) -> dict | None:
    """The body with the rules on the three crew times, or None when it cannot take them as the
    seed has them: a field missing or not a datetime, or rules of its own on any of them."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    fields = body["fields"]
    for name in TIME_RULES:
        spec = fields.get(name)
        if not isinstance(spec, Mapping) or spec.get("type") != "datetime":
            return None
        if any(k in spec for k in RULE_KEYS):
            return None
    changed = copy.deepcopy(dict(body))
    for name, rules in TIME_RULES.items():
        changed["fields"][name] = {**changed["fields"][name], **copy.deepcopy(rules)}
    return changed


def upgrade() -> None:
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_time_rules,
        added="crew times' time rules",
        not_for_admins="the crew times' time rules are not added to an admin's version; import a version with them (docs/workflows.md)",
    )


def downgrade() -> None:
    pass
