"""Installations seeded before the number limits and derived titles get both.

Subcategory forms live in ``categories.form_schema``, seeded once into an empty table, so the
min/max the seeds gained (541f5a5) never reached a running installation: 户数 took −5 and 10⁹.
The seeded subcategories' number fields get those limits where the field is still there and
has none yet (an admin's own limits, or a field they removed, are left alone). The limits are
written out here, not read from ticketing/seeds: a migration must do the same thing whenever
it runs, whatever the seeds say later.

Orders taken before titles were derived (1d77c2a) kept an empty 标题 in lists, search and
reports; they get the title intake now gives, by the same rule
(``ticketing.workflow.titles.title_from``, imported: it reads only the mappings it is given,
no session and no models).

Neither is undone on downgrade: the older schema takes the limits and titles as they are.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

from ticketing.workflow.titles import title_from

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: ticketing/seeds/categories.yaml as of 541f5a5: subcategory code -> field -> its limits
SEEDED_LIMITS: dict[str, dict[str, dict[str, int]]] = {
    "svc_hv_new": {"受电变压器容量": {"min": 1, "max": 100000}},
    "svc_lv_new": {"户数": {"min": 1, "max": 10000}},
    "svc_batch_new": {"批量户数": {"min": 1, "max": 100000}},
}

_CATEGORIES = sa.table(
    "categories",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("form_schema", sa.JSON),
)
_ORDERS = sa.table(
    "work_orders",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("subcategory", sa.String),
    sa.column("form", sa.JSON),
    sa.column("workflow_id", sa.Integer),
)
_WORKFLOWS = sa.table("workflow_definitions", sa.column("id", sa.Integer), sa.column("body", sa.JSON))


def _with_limits(form_schema: Any, limits: Mapping[str, Mapping[str, int]]) -> dict | None:
    """The schema with the limits added, or None when there is nothing to add."""
    if not isinstance(form_schema, Mapping):
        return None
    changed = dict(form_schema)
    for field, bounds in limits.items():
        spec = changed.get(field)
        if (
            isinstance(spec, Mapping)
            and spec.get("type") == "number"
            and "min" not in spec
            and "max" not in spec
        ):
            changed[field] = {**spec, **bounds}
    return changed if changed != dict(form_schema) else None


def _add_limits(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(_CATEGORIES.c.id, _CATEGORIES.c.code, _CATEGORIES.c.form_schema).where(
            _CATEGORIES.c.parent_id.is_not(None), _CATEGORIES.c.code.in_(list(SEEDED_LIMITS))
        )
    ).all()
    for category_id, code, form_schema in rows:
        changed = _with_limits(form_schema, SEEDED_LIMITS[code])
        if changed is not None:
            conn.execute(
                _CATEGORIES.update().where(_CATEGORIES.c.id == category_id).values(form_schema=changed)
            )


def _add_titles(conn: sa.Connection) -> None:
    untitled = conn.execute(
        sa.select(_ORDERS.c.id, _ORDERS.c.subcategory, _ORDERS.c.form, _ORDERS.c.workflow_id).where(
            sa.or_(_ORDERS.c.title.is_(None), sa.func.trim(_ORDERS.c.title) == "")
        )
    ).all()
    if not untitled:
        return
    fields_of = {
        workflow_id: (body or {}).get("fields") or {}
        for workflow_id, body in conn.execute(sa.select(_WORKFLOWS.c.id, _WORKFLOWS.c.body)).all()
    }
    subcategories: dict[str, tuple[str, Mapping]] = {}  # code -> (name, form schema); the first row wins
    for code, name, form_schema in conn.execute(
        sa.select(_CATEGORIES.c.code, _CATEGORIES.c.name, _CATEGORIES.c.form_schema).order_by(
            _CATEGORIES.c.id
        )
    ).all():
        subcategories.setdefault(code, (name, form_schema if isinstance(form_schema, Mapping) else {}))
    for order_id, subcategory, form, workflow_id in untitled:
        name, extra = subcategories.get(subcategory, ("", {})) if subcategory else ("", {})
        fields = {**fields_of.get(workflow_id, {}), **extra}  # as intake sees them (with_subtype_fields)
        title = title_from(fields, form if isinstance(form, Mapping) else {}, name)
        if title:
            conn.execute(_ORDERS.update().where(_ORDERS.c.id == order_id).values(title=title))


def upgrade() -> None:
    conn = op.get_bind()
    _add_limits(conn)
    _add_titles(conn)


def downgrade() -> None:
    pass
