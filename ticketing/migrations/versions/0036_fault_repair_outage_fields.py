"""The seeded 故障报修 gets the outage's fields at the crew's steps and 故障范围's required_when.

QA on the demo: after 接收确认 the dispatcher never saw 大面积停电, 故障范围 or 地点分类 (派工,
外委处理 and 到达现场 did not show them); a 大面积停电 was saved with 故障范围 empty; and 派工
showed a read-only 处理意见 beside its own 意见 box and a 客户满意 before anyone was on site.
The seed now has those three read-only at the crew's steps, ``故障范围: {required_when: {field:
大面积停电, eq: true}}`` at 受理, and no 处理意见 / 客户满意 at 派工 (docs/workflows.md). Seeds
fill only a missing workflow key, so an installation seeded before kept the old flow.

As 0022: an installation whose 故障报修 in use (its highest enabled version) is one the system
stored (the seed's, or 0022's), never an admin's, gets a new version with these changes, stored
by the system (``workflow.import`` audited as ``system``) and taken by new orders; orders already
running keep theirs. A version an admin imported is never touched (the upgrade's log says so:
the admin imports ``ticketing/seeds/fault_repair.yaml`` in 流程配置), nor one lacking the steps
or fields named. The changes are written out here, not read from ticketing/seeds. Not undone on
downgrade: the new version is an ordinary one (停用 it to go back).

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

KEY = "fault_repair"
OUTAGE = ("地点分类", "大面积停电", "故障范围")
CREW_STEPS = ("dispatch", "outsource", "onsite")
NOT_AT_DISPATCH = ("处理意见", "客户满意")
EXTENT_RULE = {"required_when": {"field": "大面积停电", "eq": True}}


def with_outage_fields(body: Any) -> dict | None:
    """The body with the seed's changes, or None when it cannot take them (a field or step
    missing, a step's fields not a mapping) or has them all already."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    if any(name not in body["fields"] for name in OUTAGE):
        return None
    changed = copy.deepcopy(dict(body))
    nodes = {n.get("id"): n for n in changed.get("nodes") or () if isinstance(n, dict)}
    if any(not isinstance((nodes.get(i) or {}).get("fields"), dict) for i in ("accept", *CREW_STEPS)):
        return None
    accept = nodes["accept"]["fields"]
    if accept.get("故障范围") == "editable" and accept.get("大面积停电") in ("editable", "required"):
        accept["故障范围"] = copy.deepcopy(EXTENT_RULE)
    for step in CREW_STEPS:
        fields = nodes[step]["fields"]
        for name in OUTAGE:
            fields.setdefault(name, "visible")
    dispatch = nodes["dispatch"]["fields"]
    for name in NOT_AT_DISPATCH:
        if dispatch.get(name) == "visible":
            del dispatch[name]
    return None if changed == dict(body) else changed


def upgrade() -> None:
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_outage_fields,
        added="outage fields at the crew's steps",
        not_for_admins="the outage fields at 派工/外委处理/到达现场 and 故障范围's required_when are not added to an admin's version; import ticketing/seeds/fault_repair.yaml (docs/workflows.md)",
    )


def downgrade() -> None:
    pass
