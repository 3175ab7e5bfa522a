"""Repair crews (抢修班组): the register, each crew picked for an order, and the seeded 故障报修's
crew picker at 派工.

At 派工 the dispatcher typed the crew by hand (抢修人员, 车辆), so the same crew was spelled three
ways and nobody could say which crew went where. ``crews`` is the register admins keep per
bureau or site (/admin/crews); ``crew_dispatches`` keeps each crew picked for an order as it was
then (name, leader, phone, vehicle), which is also what stops a crew with orders from being
deleted (停用 it instead).

The seed's 故障报修 now has ``抢修班组: {type: crew, fills: {name: 抢修人员, phone: 班组电话,
vehicle: 车辆}}`` and a 班组电话 (phone) field, editable at 派工 and shown at 外委处理, 到达现场
(and 班组电话 at 抢修完成). Seeds fill only a missing workflow key, so as 0022 and 0036 do
(``seeded_workflow.upgrade_seeded``): an installation whose 故障报修 in use the system stored
gets a new version with them, taken by new orders; running orders keep theirs; an admin's
version is left alone and the log tells the admin to import ``ticketing/seeds/fault_repair.yaml``
(docs/workflows.md). The change is written out here, not read from the seed. The new version is
not undone on downgrade (停用 it to go back); the tables are dropped.

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

from ticketing.migrations.seeded_workflow import upgrade_seeded

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

KEY = "fault_repair"
PICKER = "抢修班组"
PHONE = "班组电话"
PICKER_SPEC = {"type": "crew", "fills": {"name": "抢修人员", "phone": PHONE, "vehicle": "车辆"}}
#: step -> what it gets: the picker and the phone, editable at 派工, shown after
STEPS = {
    "dispatch": {PICKER: "editable", PHONE: "editable"},
    "outsource": {PICKER: "visible", PHONE: "visible"},
    "onsite": {PICKER: "visible", PHONE: "visible"},
    "repair": {PHONE: "visible"},
}


def _after(mapping: Mapping[str, Any], anchor: str, key: str, value: Any, *, before: bool = False) -> dict:
    """``mapping`` with ``key`` placed next to ``anchor`` (the form shows fields in this order)."""
    out: dict[str, Any] = {}
    for name, item in mapping.items():
        if name == anchor and before:
            out[key] = value
        out[name] = item
        if name == anchor and not before:
            out[key] = value
    return out


def with_crew_picker(body: Any) -> dict | None:
    """The body with the crew picker, or None when it has one already or is not the seed's
    shape (抢修人员 or 车辆 missing, a step missing or its fields not a mapping)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        return None
    fields = body["fields"]
    if PICKER in fields or PHONE in fields or "抢修人员" not in fields or "车辆" not in fields:
        return None
    changed = copy.deepcopy(dict(body))
    nodes = {n.get("id"): n for n in changed.get("nodes") or () if isinstance(n, dict)}
    if any(not isinstance((nodes.get(step) or {}).get("fields"), dict) for step in STEPS):
        return None
    changed["fields"] = _after(changed["fields"], "抢修人员", PICKER, copy.deepcopy(PICKER_SPEC), before=True)
    changed["fields"] = _after(changed["fields"], "抢修人员", PHONE, {"type": "phone"})
    for step, added in STEPS.items():
        # a step's own listing does not order the form (the workflow's fields do)
        for name, permission in added.items():
            nodes[step]["fields"].setdefault(name, permission)
    return changed


def upgrade() -> None:
    op.create_table(
        "crews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader", sa.String(length=64), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("vehicle", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_crews_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
        sa.UniqueConstraint("site_id", "name", name="uq_crews_site_name"),
    )
    op.create_table(
        "crew_dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("crew_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("vehicle", sa.String(length=64), nullable=False),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["crew_id"], ["crews.id"], name=op.f("fk_crew_dispatches_crew_id_crews")),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"], ["users.id"], name=op.f("fk_crew_dispatches_dispatched_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name=op.f("fk_crew_dispatches_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_dispatches")),
    )
    op.create_index("ix_crew_dispatches_crew", "crew_dispatches", ["crew_id"], unique=False)
    op.create_index(op.f("ix_crew_dispatches_order_id"), "crew_dispatches", ["order_id"], unique=False)
    upgrade_seeded(
        op.get_bind(),
        KEY,
        with_crew_picker,
        added="crew picker at 派工",
        not_for_admins="the 抢修班组 picker and 班组电话 are not added to an admin's version; import ticketing/seeds/fault_repair.yaml (docs/workflows.md)",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crew_dispatches_order_id"), table_name="crew_dispatches")
    op.drop_index("ix_crew_dispatches_crew", table_name="crew_dispatches")
    op.drop_table("crew_dispatches")
    op.drop_table("crews")
