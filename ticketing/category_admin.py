"""业务类别管理: the admins' register of business categories (业务大类别 / 小类别), the workflow
each top category starts orders on, and its visit-back (满意度回访) scoring dimensions.

* A category's ``code`` is what orders, reports, templates, contractors and survey dimensions
  keep (``work_orders.category`` / ``subcategory``): it is set at creation and never changes
  (``field_category_code_fixed``); the ``name`` may be changed at any time.
* Categories are never deleted (orders and reports keep naming them): they are 停用
  (``enabled`` false, ``category.disable``) and 启用 again (``category.enable``). A site's
  override is a version of a farther level's row, not a category of its own: 停用 it hides the
  category at that site and below; removing it (``remove_override``, 恢复上级设置,
  ``category.remove_override``) makes them follow the farther row again. A 停用 top
  category and its subcategories leave intake; its orders stay as they are, workable.
* Only a top category (大类别) is attached to a workflow (``workflow_key``): its subcategories
  (小类别) take orders on their parent's (``field_subcategory_workflow``), and follow it when it
  changes. Only a workflow with an enabled version may be attached (``field_workflow_disabled``).
* One workflow may serve several categories (the seed: 信息咨询 and 用户信息查询 on consult,
  协调单 on 故障报修's): attaching one that already serves other enabled top categories is
  refused as ``category_workflow_shared`` naming them, unless the admin confirmed it
  (``confirm``), so the admin always sees where else it is used.
* Visit-back dimensions are bound per site × top category (``survey_dimensions``): the shared
  set (every site's default) or a site's own, which replaces the default for that site's
  orders and the sites' below it that have none of their own (a 供电所 uses its 供电局's:
  ``ticketing.surveys.dimensions_for``); saving one replaces that set. Recorded surveys
  keep their answers by dimension name, so they are unaffected.
* A category is created shared by every site (no ``site_id``) or as an enabled site's own
  (``site_id``), which the sites below it inherit (a 供电局's is its 供电所's): a code no
  shared row nor a site above has is that site's (and its subtree's) only; the code of a
  shared one, or of one a site above it has, makes it that site's override of the nearest
  such (its name and workflow there and below, in the overridden one's place; it starts with
  that one's form; the listing's ``overrides_site_id`` says whose, null: the shared one's), of
  the same level (a 大类别's, or a 小类别's under the same 大类别:
  ``field_category_override_parent``). A code is the shared one's or one branch's own, never
  two unrelated sites' own unless a shared one has it (``field_category_code_other_site``). A
  小类别 hangs under a shared 大类别, its site's own or a site's above it
  (``field_category_parent_site``). Intake (``GET /api/intake``) offers each user the shared
  categories and those of their site and the sites above it, the nearest level's row of a code
  winning, a 停用 one hiding it there and below (``ticketing.categories.offered``). One shared row a code is also what the database holds
  to (``uq_categories_code_shared``, migration 0030): the second of two admins creating it at
  the same moment is ``field_duplicate``.

Every change is audited (entity ``category``; ``category.survey`` for the dimensions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record, record_change
from ticketing.categories import lineage
from ticketing.errors import ActionRefused, FieldErrors, clean_texts, require_admin
from ticketing.ids import is_id, known
from ticketing.models import Category, Site, SurveyDimension, User, WorkflowDefinition, WorkOrder
from ticketing.sites import in_tree_order

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_CREATE = ("code", "name", "parent_id", "site_id", "workflow_key", "confirm")
_UPDATE = ("name", "enabled", "workflow_key", "at_intake", "confirm")
#: at most this many dimensions per category and options per dimension
MAX_DIMENSIONS = 20
MAX_OPTIONS = 10


def view(row: Category) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "parent_id": row.parent_id,
        "site_id": row.site_id,
        "workflow_key": row.workflow_key or "",
        "enabled": row.enabled is not False,  # None: a new row before its flush
        # false: intake does not offer it, only the system makes it (协调单: 派工超时转协调单)
        "at_intake": row.at_intake is not False,
        "sort": row.sort or 0,
    }


def _dimension_view(row: SurveyDimension) -> dict[str, Any]:
    return {
        "name": row.name,
        "options": [
            {"label": str(o.get("label", "")), "satisfied": bool(o.get("satisfied"))}
            for o in row.options or ()
        ],
    }


async def get(session: AsyncSession, category_id: int) -> Category:
    return await known(session, Category, category_id, "category", "category")


async def listing(session: AsyncSession) -> dict[str, Any]:
    """Every category (tops by sort, each followed by its subcategories), with its workflow's
    name, the orders naming it and (tops) its visit-back dimensions; every workflow with the
    enabled top categories attached to it; and the sites a category may be of."""
    rows = list(await session.scalars(select(Category).order_by(Category.sort, Category.id)))
    names: dict[str, str] = {}
    enabled: set[str] = set()
    flow_category: dict[str, str] = {}  # the orders' category of the workflow's version in use
    for key, name, on, body in await session.execute(
        select(
            WorkflowDefinition.key,
            WorkflowDefinition.name,
            WorkflowDefinition.enabled,
            WorkflowDefinition.body,
        ).order_by(WorkflowDefinition.key, WorkflowDefinition.version)
    ):
        if on or key not in enabled:
            names[key] = name
            flow_category[key] = str((body or {}).get("category") or key)
        if on:
            enabled.add(key)
    used: dict[str, int] = {}
    for column in (WorkOrder.category, WorkOrder.subcategory):
        for code, count in await session.execute(select(column, func.count()).group_by(column)):
            if code:
                used[code] = used.get(code, 0) + count
    dims: dict[tuple[int | None, str], list[SurveyDimension]] = {}
    for dim in await session.scalars(
        select(SurveyDimension).order_by(SurveyDimension.sort, SurveyDimension.id)
    ):
        dims.setdefault((dim.site_id, dim.category), []).append(dim)
    attached: dict[str, list[str]] = {}
    for row in rows:
        if row.parent_id is None and row.enabled and row.workflow_key:
            attached.setdefault(row.workflow_key, []).append(row.name)
    items: list[dict[str, Any]] = []
    tops = [r for r in rows if r.parent_id is None]
    children = [r for r in rows if r.parent_id is not None]
    top_ids = {r.id for r in tops}
    top_names: dict[str, str] = {}
    for top in tops:
        top_names.setdefault(top.code, top.name)
    for top in tops:
        own = _listed(top, names, enabled, used, dims)
        items.append(own)
        items.extend(_listed(c, names, enabled, used, dims) for c in children if c.parent_id == top.id)
        wf_category = flow_category.get(top.workflow_key, "")
        if not own["dimensions"] and wf_category and wf_category != top.code:
            # a category without dimensions of its own is visited back with its workflow's
            # category's (协调单 with 故障报修's: ticketing.surveys.order_dimensions)
            inherited = dims.get((top.site_id, wf_category)) or dims.get((None, wf_category)) or []
            if inherited:
                own["dimensions_from"] = top_names.get(wf_category) or names.get(
                    top.workflow_key, wf_category
                )
                own["inherited_dimensions"] = [_dimension_view(d) for d in inherited]
    items.extend(_listed(c, names, enabled, used, dims) for c in children if c.parent_id not in top_ids)
    site_rows = await in_tree_order(session, await session.scalars(select(Site)))
    levels = {s.id: tuple(int(p) for p in reversed(s.path.strip("/").split("/")) if p) for s in site_rows}
    by_code: dict[str, list[Category]] = {}
    for r in rows:
        by_code.setdefault(r.code, []).append(r)
    for item in items:
        # a site's own row of a code the shared rows or a site above it has is its override
        # there (and below it), of the nearest one: from where the site would inherit it
        above = (
            overridden(by_code[item["code"]], levels.get(item["site_id"], (item["site_id"],)))
            if item["site_id"] is not None
            else None
        )
        item["overrides"] = above is not None
        item["overrides_site_id"] = above.site_id if above is not None else None
    sites = [
        {"id": s.id, "code": s.code, "name": s.name, "enabled": s.enabled, "parent_id": s.parent_id}
        for s in site_rows
    ]
    workflows = [
        {"key": key, "name": names[key], "enabled": key in enabled, "categories": attached.get(key, [])}
        for key in sorted(names)
    ]
    return {"items": items, "workflows": workflows, "sites": sites}


def overridden(rows: list[Category], levels: tuple[int, ...]) -> Category | None:
    """Of ``rows`` (one code's), the one a row at ``levels[0]`` overrides: the nearest above it
    (``levels``: the site and the sites above it), else the shared one; None: it overrides none."""
    rank = {site: i for i, site in enumerate(levels)}
    above = [r for r in rows if r.site_id is None or rank.get(r.site_id, 0) > 0]
    return min(above, key=lambda r: rank.get(r.site_id, len(levels)), default=None)


def _listed(
    row: Category,
    names: Mapping[str, str],
    enabled: set[str],
    used: Mapping[str, int],
    dims: Mapping[tuple[int | None, str], list[SurveyDimension]],
) -> dict[str, Any]:
    out = view(row)
    out["workflow_name"] = names.get(row.workflow_key, row.workflow_key) if row.workflow_key else ""
    out["workflow_enabled"] = bool(row.workflow_key) and row.workflow_key in enabled
    out["orders"] = used.get(row.code, 0)
    if row.parent_id is None:
        out["dimensions"] = [_dimension_view(d) for d in dims.get((row.site_id, row.code), [])]
        if row.site_id is None:  # the sites with a set of their own, replacing this one there
            out["site_dimensions"] = [
                {"site_id": site, "dimensions": [_dimension_view(d) for d in rows]}
                for (site, code), rows in sorted(dims.items(), key=lambda kv: kv[0][0] or 0)
                if code == row.code and site is not None
            ]
    return out


async def _workflow(
    session: AsyncSession, values: Mapping[str, Any], problems: dict[str, str], *, top: bool
) -> str | None:
    """The workflow key ``values`` attach (None: not given), checked; problems go to ``problems``."""
    if "workflow_key" not in values:
        return None
    key = values["workflow_key"]
    if key is None:
        key = ""
    if not isinstance(key, str):
        problems["workflow_key"] = "field_not_text"
        return None
    key = key.strip()
    if not top:  # a 小类别 takes orders on its 大类别's workflow: none of its own ("" says so)
        if key:
            problems["workflow_key"] = "field_subcategory_workflow"
        return None
    if not key:
        return ""
    if not await session.scalar(select(WorkflowDefinition.id).where(WorkflowDefinition.key == key).limit(1)):
        problems["workflow_key"] = "field_unknown_workflow"
        return None
    if not await session.scalar(
        select(WorkflowDefinition.id)
        .where(WorkflowDefinition.key == key, WorkflowDefinition.enabled.is_(True))
        .limit(1)
    ):
        problems["workflow_key"] = "field_workflow_disabled"
        return None
    return key


def _confirmed(values: Mapping[str, Any], problems: dict[str, str]) -> bool:
    confirm = values.get("confirm", False)
    if not isinstance(confirm, bool):
        problems["confirm"] = "field_not_boolean"
        return False
    return confirm


async def _refuse_shared(session: AsyncSession, key: str, row_id: int | None, code: str) -> None:
    """``category_workflow_shared`` naming the other enabled top categories on ``key``, if any
    (rows of ``code``, the shared one and sites' overrides of it, are the same category)."""
    query = select(Category.name).where(
        Category.parent_id.is_(None),
        Category.enabled.is_(True),
        Category.workflow_key == key,
        Category.code != code,
    )
    if row_id is not None:
        query = query.where(Category.id != row_id)
    others = list(dict.fromkeys(await session.scalars(query.order_by(Category.sort, Category.id))))
    if others:
        raise ActionRefused(
            "category_workflow_shared",
            f"workflow {key!r} already serves {'、'.join(others)}; send confirm to attach it here too",
            key=key,
            categories=others,
        )


async def _site(session: AsyncSession, values: Mapping[str, Any], problems: dict[str, str]) -> int | None:
    """The enabled site ``values`` name (None: shared by every site); problems to ``problems``."""
    site_id = values.get("site_id")
    if site_id in (None, ""):
        return None
    if not is_id(site_id):
        problems["site_id"] = "field_not_number"
        return None
    site = await session.get(Site, site_id)
    if site is None:
        problems["site_id"] = "field_unknown_site"
    elif not site.enabled:
        problems["site_id"] = "field_site_disabled"
    return site_id


async def create(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> Category:
    """A new 大类别 (no ``parent_id``) or 小类别 (under the top category ``parent_id``), shared by
    every site or an enabled site's own (``site_id``; the code of a shared one: its override
    there); a top one may be attached to a workflow."""
    require_admin(actor, "configure categories")
    problems: dict[str, str] = {name: "field_unknown" for name in set(values) - set(_CREATE)}
    out = clean_texts(dict(values), {"code": 32, "name": 64}, problems)
    code, name = out.get("code", ""), out.get("name", "")
    if "code" not in problems:
        if not code:
            problems["code"] = "field_required"
        elif not _CODE.match(code):
            problems["code"] = "field_bad_category_code"
    if "name" not in problems and not name:
        problems["name"] = "field_required"
    site_id = await _site(session, values, problems)
    parent: Category | None = None
    parent_id = values.get("parent_id")
    if parent_id not in (None, ""):
        if not is_id(parent_id):
            problems["parent_id"] = "field_not_number"
        else:
            parent = await session.get(Category, parent_id)
            if parent is None:
                problems["parent_id"] = "field_unknown_category_parent"
            elif parent.parent_id is not None:
                problems["parent_id"] = "field_category_too_deep"  # two levels: 大类别 / 小类别
            elif (
                parent.site_id is not None
                and parent.site_id not in await lineage(session, site_id)
                and "site_id" not in problems
            ):
                # a shared 小类别 under a site's own, or one under another branch's: intake would
                # offer it to that site alone, or to none (a 供电所's under its 供电局's is fine)
                problems["parent_id"] = "field_category_parent_site"
    key = await _workflow(session, values, problems, top=parent is None and "parent_id" not in problems)
    confirm = _confirmed(values, problems)
    shared: Category | None = None  # the row a site's own row of its code overrides
    if "code" not in problems and "site_id" not in problems:
        # orders, reports and templates name a category by its code alone: one code, one
        # category, whose site may have its own version of it (an override of the shared one,
        # or of the one a site above it has: its nearest)
        same = list(await session.scalars(select(Category).where(Category.code == code)))
        shared = overridden(same, await lineage(session, site_id)) if site_id is not None else None
        if site_id is None:
            if same:
                problems["code"] = "field_duplicate"
        elif any(r.site_id == site_id for r in same):
            problems["code"] = "field_duplicate"
        elif shared is None and same:
            problems["code"] = "field_category_code_other_site"
        elif shared is not None and "parent_id" not in problems:
            shared_parent = await session.get(Category, shared.parent_id) if shared.parent_id else None
            if (shared_parent is None) != (parent is None) or (
                parent is not None and shared_parent is not None and parent.code != shared_parent.code
            ):
                problems["parent_id"] = "field_category_override_parent"
    if problems:
        raise FieldErrors(problems)
    if key and not confirm:
        await _refuse_shared(session, key, None, code)
    siblings = select(func.max(Category.sort)).where(
        Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id
    )
    row = Category(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        site_id=site_id,
        workflow_key=(parent.workflow_key if parent else key) or "",
        number_pattern="",
        form_schema=dict(shared.form_schema or {}) if shared is not None else {},
        enabled=True,
        sort=((await session.scalar(siblings)) or 0) + 1,
    )
    try:
        # a savepoint: a refusal leaves the caller's transaction usable
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # another admin created this code (here) between the check above and this insert:
        # uq_categories_code_site, or uq_categories_code_shared for a shared one
        raise FieldErrors({"code": "field_duplicate"}) from None
    await record(session, actor, "category.create", "category", row.id, after=view(row))
    return row


async def update(
    session: AsyncSession, actor: User | None, category_id: int, values: Mapping[str, Any]
) -> Category:
    """Rename (``name``), 停用 / 启用 (``enabled``), attach a top category to a workflow
    (``workflow_key``; "" detaches it: intake no longer offers it), offer a top category at
    intake or not (``at_intake``; false: only the system makes its orders, as 派工超时转协调单
    makes 协调单). The code never changes."""
    require_admin(actor, "configure categories")
    row = await get(session, category_id)
    problems: dict[str, str] = {}
    for name in set(values) - set(_UPDATE):
        problems[name] = "field_category_code_fixed" if name == "code" else "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), {"name": 64}, problems)
    if "name" in values and "name" not in problems and not out.get("name"):
        problems["name"] = "field_required"
    if "enabled" in values:
        if not isinstance(values["enabled"], bool):
            problems["enabled"] = "field_not_boolean"
        else:
            out["enabled"] = values["enabled"]
    if "at_intake" in values:
        if not isinstance(values["at_intake"], bool):
            problems["at_intake"] = "field_not_boolean"
        elif row.parent_id is not None:
            problems["at_intake"] = "field_not_editable"  # a 小类别 goes with its 大类别
        else:
            out["at_intake"] = values["at_intake"]
    key = await _workflow(session, values, problems, top=row.parent_id is None)
    confirm = _confirmed(values, problems)
    if problems:
        raise FieldErrors(problems)
    if key is not None and key != row.workflow_key:
        out["workflow_key"] = key
    will_offer = out.get("enabled", row.enabled)
    attaching = out.get("workflow_key", row.workflow_key)
    if row.parent_id is None and will_offer and attaching and not confirm:
        if "workflow_key" in out or (out.get("enabled") and not row.enabled):
            await _refuse_shared(session, attaching, row.id, row.code)
    action = "category.update"
    if "enabled" in out and out["enabled"] != row.enabled:
        action = "category.enable" if out["enabled"] else "category.disable"
    elif "workflow_key" in out:
        action = "category.attach"
    await record_change(session, actor, row, out, view, action, "category")
    if "workflow_key" in out and row.parent_id is None:
        # 小类别 take orders on their 大类别's workflow
        for child in await session.scalars(select(Category).where(Category.parent_id == row.id)):
            child.workflow_key = out["workflow_key"]
        await session.flush()
    return row


async def remove_override(session: AsyncSession, actor: User | None, category_id: int) -> Category:
    """恢复上级设置: delete a site's override of a category (a row whose code a farther level
    has: the shared one or a site's above), so the site and the sites below it follow that row
    again (its name, workflow, 启用/停用). 停用 an override hides the category there instead.
    Refused, nothing changed:

    * ``category_not_an_override``: a shared row, or a site's own code no farther level has
      (that is the category itself: 停用 it);
    * ``category_override_has_children``: 小类别 hang under it (``parent_id``: a site's own
      小类别 or overrides of the shared ones would lose their 大类别), named in ``names``;
    * ``category_override_in_use``: open orders of its code at the site or below run on its
      workflow while the row it would follow is on another (``orders``: how many), so the
      site's category would no longer be the one they are worked on.

    Audited ``category.remove_override`` with the row removed and the one followed. Returns the
    row followed."""
    require_admin(actor, "configure categories")
    row = await get(session, category_id)
    same = list(await session.scalars(select(Category).where(Category.code == row.code)))
    levels = await lineage(session, row.site_id) if row.site_id is not None else ()
    follows = overridden(same, levels) if row.site_id is not None else None
    if follows is None:
        raise ActionRefused(
            "category_not_an_override",
            f"{row.name} ({row.code}) overrides no shared or higher site's category: 停用 it instead",
            name=row.name,
            code=row.code,
        )
    children = list(
        await session.scalars(select(Category).where(Category.parent_id == row.id).order_by(Category.id))
    )
    if children:
        raise ActionRefused(
            "category_override_has_children",
            f"小类别 hang under {row.name} ({row.code}): {', '.join(c.code for c in children)}",
            name=row.name,
            code=row.code,
            names="、".join(c.name for c in children),
        )
    if (follows.workflow_key or "") != (row.workflow_key or ""):
        site = await session.get(Site, row.site_id)
        column = WorkOrder.category if row.parent_id is None else WorkOrder.subcategory
        running = await session.scalar(
            select(func.count())
            .select_from(WorkOrder)
            .join(Site, Site.id == WorkOrder.site_id)
            .where(
                column == row.code,
                WorkOrder.is_open.is_(True),
                WorkOrder.workflow_key == (row.workflow_key or ""),
                Site.path.startswith(site.path) if site is not None else Site.id == row.site_id,
            )
        )
        if running:
            raise ActionRefused(
                "category_override_in_use",
                f"{running} open orders of {row.code} run on {row.workflow_key}, the override's workflow",
                name=row.name,
                code=row.code,
                orders=running,
            )
    before = view(row)
    await session.delete(row)
    await session.flush()
    await record(
        session,
        actor,
        "category.remove_override",
        "category",
        category_id,
        before=before,
        after={"follows": follows.id, "follows_site_id": follows.site_id, "name": follows.name},
    )
    return follows


def _of(row: Category, site_id: int | None) -> Any:
    """The survey_dimensions rows of ``row``'s code for ``site_id`` (None: the shared set)."""
    return (
        SurveyDimension.category == row.code,
        SurveyDimension.site_id.is_(None) if site_id is None else SurveyDimension.site_id == site_id,
    )


async def dimensions(session: AsyncSession, row: Category, site_id: int | None) -> list[SurveyDimension]:
    return list(
        await session.scalars(
            select(SurveyDimension)
            .where(*_of(row, site_id))
            .order_by(SurveyDimension.sort, SurveyDimension.id)
        )
    )


def _clean_dimensions(raw: Any) -> list[dict[str, Any]]:
    """``[{name, options: [{label, satisfied}]}]`` checked: a name (64) each, unique; 2 to
    MAX_OPTIONS options each, labels (32) unique in the dimension, at least one satisfied and
    one not (a dissatisfied answer is what opens the follow-up complaint)."""
    if not isinstance(raw, list):
        raise FieldErrors({"dimensions": "field_bad_dimensions"})
    if len(raw) > MAX_DIMENSIONS:
        raise FieldErrors({"dimensions": "field_too_many_dimensions"})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, dim in enumerate(raw, start=1):

        def refuse(problem: str, row: int = i) -> FieldErrors:
            return FieldErrors({"dimensions": problem}, rows={"dimensions": row})

        if not isinstance(dim, Mapping) or set(dim) - {"name", "options"}:
            raise refuse("field_bad_dimensions")
        name = dim.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 64:
            raise refuse("field_dimension_name")
        if name in seen:
            raise refuse("field_dimension_duplicate")
        seen.add(name)
        options = dim.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise refuse("field_dimension_options")
        labels: list[dict[str, Any]] = []
        for option in options:
            if not isinstance(option, Mapping) or not isinstance(option.get("satisfied"), bool):
                raise refuse("field_dimension_options")
            label = option.get("label")
            label = label.strip() if isinstance(label, str) else ""
            if not label or len(label) > 32:
                raise refuse("field_dimension_options")
            if any(o["label"] == label for o in labels):
                raise refuse("field_dimension_option_duplicate")
            labels.append({"label": label, "satisfied": option["satisfied"]})
        if all(o["satisfied"] for o in labels) or not any(o["satisfied"] for o in labels):
            raise refuse("field_dimension_no_dissatisfied")
        out.append({"name": name, "options": labels})
    return out


_SHARED = object()  # the set_dimensions default: the category's own set (the shared one)


async def set_dimensions(
    session: AsyncSession, actor: User | None, category_id: int, raw: Any, site_id: Any = _SHARED
) -> Category:
    """Replace a top category's visit-back dimensions: the shared set (``site_id`` None or not
    given), or a site's own (an enabled site), which its orders are visited back with instead.
    A category that is a site's own row has only that site's set."""
    require_admin(actor, "configure surveys")
    row = await get(session, category_id)
    if row.parent_id is not None:
        raise ActionRefused(
            "category_survey_top_only", "visit-back dimensions are set on a top category (大类别)"
        )
    if site_id is _SHARED or site_id in (None, ""):
        site_id = row.site_id
    elif not is_id(site_id):
        raise FieldErrors({"site_id": "field_not_number"})
    else:
        site = await session.get(Site, site_id)
        if site is None:
            raise FieldErrors({"site_id": "field_unknown_site"})
        if not site.enabled:
            raise FieldErrors({"site_id": "field_site_disabled"})
        if row.site_id is not None and site_id != row.site_id:
            raise FieldErrors({"site_id": "field_bad_option"})  # another site's own category
    cleaned = _clean_dimensions(raw)
    before = [_dimension_view(d) for d in await dimensions(session, row, site_id)]
    await session.execute(delete(SurveyDimension).where(*_of(row, site_id)))
    for sort, dim in enumerate(cleaned):
        session.add(
            SurveyDimension(
                site_id=site_id, category=row.code, name=dim["name"], options=dim["options"], sort=sort
            )
        )
    await session.flush()
    await record(
        session,
        actor,
        "category.survey",
        "category",
        row.id,
        before={"code": row.code, "site_id": site_id, "dimensions": before},
        after={"code": row.code, "site_id": site_id, "dimensions": cleaned},
    )
    return row
