"""Business categories (业务大类别 / 小类别), configurable per site; never deleted, only disabled."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record
from ticketing.errors import ActionRefused, NotFound, require_admin
from ticketing.models import Category, User, WorkOrder
from ticketing.numbering import validate_new_pattern


async def category_tree(session: AsyncSession, site_id: int | None = None) -> list[dict[str, Any]]:
    """Enabled top categories with their children; a site's own category replaces the global one of the same code."""
    rows = list(
        await session.scalars(
            select(Category)
            .where(Category.enabled.is_(True), or_(Category.site_id.is_(None), Category.site_id == site_id))
            .order_by(Category.sort, Category.id)
        )
    )
    chosen: dict[str, Category] = {}
    for row in rows:
        if row.code not in chosen or row.site_id is not None:
            chosen[row.code] = row
    ids = {c.id for c in chosen.values()}
    tops = [c for c in chosen.values() if c.parent_id is None or c.parent_id not in ids]
    return [
        {
            "code": top.code,
            "name": top.name,
            "workflow": top.workflow_key,
            "children": [
                {"code": c.code, "name": c.name, "form": c.form_schema}
                for c in chosen.values()
                if c.parent_id == top.id
            ],
        }
        for top in tops
        if top.parent_id is None
    ]


async def add_category(
    session: AsyncSession,
    actor: User,
    code: str,
    name: str,
    *,
    parent_code: str | None = None,
    site_id: int | None = None,
    workflow_key: str = "",
    number_pattern: str = "",
    form_schema: dict[str, Any] | None = None,
) -> Category:
    require_admin(actor, "configure categories")
    if number_pattern:
        validate_new_pattern(number_pattern)
        from ticketing.workflow.store import number_clashes  # the store lists categories itself

        clashing = await number_clashes(session, number_pattern, category=code)
        if clashing:
            raise ActionRefused("number_pattern_clash", clashing[0][1], pattern=number_pattern)
    clash = await session.scalar(
        select(Category.id).where(
            Category.code == code,
            Category.site_id.is_(None) if site_id is None else Category.site_id == site_id,
        )
    )
    if clash:
        raise ActionRefused("category_exists", f"category {code!r} already exists here")
    parent = None
    if parent_code:
        parent = await session.scalar(select(Category).where(Category.code == parent_code).limit(1))
        if parent is None:
            raise NotFound(f"no category {parent_code!r}", entity="category", key=parent_code)
    row = Category(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        site_id=site_id,
        workflow_key=workflow_key or (parent.workflow_key if parent else ""),
        number_pattern=number_pattern,
        form_schema=form_schema or {},
    )
    session.add(row)
    await session.flush()
    await record(session, actor, "category.add", "category", row.id, after={"code": code, "site_id": site_id})
    return row


async def disable_category(session: AsyncSession, actor: User, category: Category) -> None:
    """停用: orders and reports keep referring to it, so it is never deleted."""
    require_admin(actor, "configure categories")
    category.enabled = False
    await record(session, actor, "category.disable", "category", category.id, after={"enabled": False})


# -- what an order's per-category configuration is looked up by ------------------------------
# An order keeps the 业务大类别 the agent picked (协调单 → coordination, 用户信息查询 → query), and
# several categories share a workflow (coordination runs on fault_repair, whose own category is
# fault). Templates, contractors' categories, survey dimensions and print templates are mostly
# set up for the workflow's category only, so each lookup falls back to it: the picked
# category's own setting wins, the workflow's applies where the category has none. Orders
# converted by 派工超时转协调单 (coordination on the fault flow) fall back alike.
#
# What "has none" means depends on the setting:
# * automatic and manual message templates (SMS, email, fax letters; a contractor's): per step,
#   channel and audience, the category's own if it has any there, else the workflow's
#   (``own_first`` over rows of ``config_categories``);
# * survey dimensions (one coherent questionnaire): the first category that has any;
# * contractors: a contractor serving either category may take the order (a register entry
#   names the categories it serves; a 协调单 is the fault flow's work either way);
# * print templates: ranked subcategory, category, the workflow's category, then any category.


class _Categorised(Protocol):
    @property
    def category(self) -> str: ...


T = TypeVar("T", bound=_Categorised)


async def config_categories(session: AsyncSession, order: WorkOrder) -> tuple[str, ...]:
    """The category codes ``order``'s configuration is looked up by, most specific first: its
    own category, then its workflow's category when that differs (协调单: coordination, fault).
    Cached: the workflow definition comes from ``store.definition_for``'s per-database cache,
    so on a step's hot path this costs no query once the definition was read."""
    from ticketing.workflow import store  # the store lists the category tree from here

    definition = await store.definition_for(session, order.workflow_id)
    return tuple(dict.fromkeys(c for c in (order.category, definition.category) if c))


def own_first(rows: Iterable[T], keys: Sequence[str], group: Callable[[T], Hashable]) -> list[T]:
    """Of ``rows`` (each with a ``category`` among ``keys``), those of the most specific category
    that has any in each ``group`` (e.g. a template's step, channel and audience), in their order:
    a category's own template replaces its workflow's for that step and channel, and the
    workflow's still applies to the others."""
    rows = list(rows)
    rank = {key: i for i, key in enumerate(keys)}
    best: dict[Hashable, int] = {}
    for row in rows:
        g = group(row)
        best[g] = min(best.get(g, len(keys)), rank.get(row.category, len(keys)))
    return [r for r in rows if rank.get(r.category, len(keys)) == best[group(r)]]
