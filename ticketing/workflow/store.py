"""Workflow definitions in the database: import (a new version each time), export, lookup.

Running orders keep the ``workflow_definitions`` row they started on; a new
import only affects orders created afterwards. A version in use can be disabled
(停用) but is never deleted.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record, record_change
from ticketing.cached import Cache
from ticketing.categories import category_tree
from ticketing.errors import ActionRefused, NotFound, NumberingError, WorkflowInvalid, require_admin
from ticketing.models import Category, NotificationTemplate, User, WorkflowDefinition, WorkOrder
from ticketing.numbering import clashes, shares_counter, validate_pattern
from ticketing.workflow.definition import (
    DEFAULT_PATTERN,
    TEMPLATE_CHANNELS,
    Definition,
    Problem,
    parse,
    parse_yaml,
)

_cache: dict[int, Definition] = {}
#: a key names the workflow in URLs, file names and categories (``categories.workflow_key``)
KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
NAME_LIMIT = 100  # workflow_definitions.name


def validated(source: str | Mapping[str, Any]) -> Definition:
    """Parse and validate as an import would, raising WorkflowInvalid with every problem; also
    for a file whose shape is wrong (a list where a mapping belongs…), which ``parse`` does not
    name itself."""
    try:
        definition = parse_yaml(source) if isinstance(source, str) else parse(source)
    except WorkflowInvalid:
        raise
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        raise WorkflowInvalid(
            [
                (
                    "bad_structure",
                    "the file's structure is wrong somewhere: a list where a mapping belongs, "
                    f"a mapping where a list belongs, or a plain value instead of either ({exc})",
                )
            ]
        ) from exc
    problems: list[tuple[str, str]] = []
    if not KEY.fullmatch(definition.key):
        problems.append(
            Problem(
                "bad_key",
                f"the key {definition.key!r} must be 1-64 letters, digits, '_', '.' or '-' "
                "(it names the workflow in addresses and files)",
                value=definition.key,
            )
        )
    if len(definition.name) > NAME_LIMIT:
        problems.append(("name_too_long", f"the name is longer than {NAME_LIMIT} characters"))
    if problems:
        raise WorkflowInvalid(problems)
    return definition


async def import_definition(
    session: AsyncSession, source: str | Mapping[str, Any], *, actor: User | None = None
) -> WorkflowDefinition:
    """Validate (raising WorkflowInvalid) and store as the next version of its key (admins only);
    ActionRefused ``workflow_conflict`` when another import took that version meanwhile."""
    row, _warnings = await import_checked(session, source, actor=actor)
    return row


async def import_checked(
    session: AsyncSession, source: str | Mapping[str, Any], *, actor: User | None = None
) -> tuple[WorkflowDefinition, list[Problem]]:
    """``import_definition``, and the warnings the admin is to see: ``category_in_use`` when
    another workflow already takes orders of its category (``category_clashes``). The import
    goes ahead (versions sharing a category were stored before, and an admin may mean to move
    the category over); the audit row names the other workflows."""
    require_admin(actor, "change workflow definitions")
    definition = validated(source)
    clashing = await number_clashes(session, definition.number_pattern, key=definition.key)
    clashing += await template_problems(session, definition)
    if clashing:
        raise WorkflowInvalid(clashing)
    warnings = await category_clashes(session, definition)
    if isinstance(source, str):
        text = source
    else:
        text = yaml.safe_dump(dict(source), allow_unicode=True, sort_keys=False)
    latest = await session.scalar(
        select(func.max(WorkflowDefinition.version)).where(WorkflowDefinition.key == definition.key)
    )
    row = WorkflowDefinition(
        key=definition.key,
        version=(latest or 0) + 1,
        name=definition.name,
        body=json.loads(json.dumps(dict(definition.raw), default=str)),
        source=text,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        # another admin stored this version between our max() and our insert (uq_workflow_key_version);
        # the session is spoilt: whoever opened it rolls back
        raise ActionRefused(
            "workflow_conflict",
            f"workflow {definition.key!r} v{row.version} was imported by someone else meanwhile: reload and retry",
            key=definition.key,
            version=row.version,
        ) from None
    after: dict[str, Any] = {"key": row.key, "version": row.version}
    if warnings:
        after["category_in_use"] = [w.where["workflow_key"] for w in warnings]
    await record(session, actor, "workflow.import", "workflow", row.id, after=after)
    return row, warnings


async def number_clashes(
    session: AsyncSession, pattern: str, *, key: str = "", category: str = ""
) -> list[tuple[str, str]]:
    """``number_pattern_clash`` problems for ``pattern`` of workflow ``key`` (or of category
    ``category``) against every number pattern orders are or were numbered by: each version of
    every workflow, this one's earlier versions too, and each category's own. A pattern whose
    numbers can be another's from a different counter (``numbering.clashes``) would make intake
    fail on the numbers already given out. A clash its own earlier pattern (sharing its counter)
    has already is not new: an installation holding such a pair (imported before this check)
    can still import its next version with the pattern it has."""
    used: dict[str, dict[str, Any]] = {}
    own: set[str] = set()
    for other_key, version, body in await session.execute(
        select(WorkflowDefinition.key, WorkflowDefinition.version, WorkflowDefinition.body).order_by(
            WorkflowDefinition.key, WorkflowDefinition.version
        )
    ):
        other = str((body or {}).get("number_pattern", DEFAULT_PATTERN))
        used.setdefault(other, {"workflow": other_key, "version": version})
        if key and other_key == key:
            own.add(other)
    for code, other in await session.execute(
        select(Category.code, Category.number_pattern).where(Category.number_pattern != "")
    ):
        used.setdefault(other, {"category": code})
        if category and code == category:
            own.add(other)
    own = {p for p in own if _valid(p) and shares_counter(p, pattern)}
    problems: list[tuple[str, str]] = []
    for other, owner in used.items():
        if not _valid(other) or not clashes(pattern, other):
            continue
        if any(clashes(mine, other) for mine in own):
            continue  # not new: the numbers this one gives already could be other's
        named = (
            f"category {owner['category']!r}"
            if "category" in owner
            else f"workflow {owner['workflow']!r} v{owner['version']}"
        )
        problems.append(
            Problem(
                "number_pattern_clash",
                f"number pattern {pattern!r} can give the same numbers as {other!r} of {named}",
                value=other,
                **owner,
            )
        )
    return problems


async def category_clashes(session: AsyncSession, definition: Definition) -> list[tuple[str, str]]:
    """``category_in_use`` warnings when another workflow already takes orders of
    ``definition``'s category: a version of another key with that ``category`` (any version: its
    orders keep it), or an intake category of that code (业务大类别, or a 小类别 under one) bound
    to another workflow. Lists and reports name a workflow's category by its workflow, so the
    new one's orders could show under the other's name. A new version of the same key may keep
    it."""
    category = definition.category
    owners: dict[str, str] = {}
    for key, name, body in await session.execute(
        select(WorkflowDefinition.key, WorkflowDefinition.name, WorkflowDefinition.body)
        .where(WorkflowDefinition.key != definition.key)
        .order_by(WorkflowDefinition.key, WorkflowDefinition.version)
    ):
        if str((body or {}).get("category") or key) == category:
            owners[key] = name  # the latest version's name
    parent = Category.__table__.alias("parent")
    for workflow_key, parent_key in await session.execute(
        select(Category.workflow_key, parent.c.workflow_key)
        .select_from(Category)
        .outerjoin(parent, parent.c.id == Category.parent_id)
        .where(Category.code == category)
    ):
        other = workflow_key or parent_key or ""
        if other and other != definition.key:
            owners.setdefault(other, "")
    if owners and not all(owners.values()):
        for key, name in await session.execute(
            select(WorkflowDefinition.key, WorkflowDefinition.name)
            .where(WorkflowDefinition.key.in_([k for k, n in owners.items() if not n]))
            .order_by(WorkflowDefinition.version)
        ):
            owners[key] = name
    return [
        Problem(
            "category_in_use",
            f"category {category!r} is already the category of workflow {key!r} ({name or key}): its orders"
            " may be listed and reported under that workflow; give this one a category of its own, or"
            f" import it as a new version of {key!r}",
            value=f"{category}：{name or key}（{key}）",
            workflow_key=key,
        )
        for key, name in sorted(owners.items())
    ]


def _valid(pattern: str) -> bool:
    try:
        validate_pattern(pattern)
    except NumberingError:
        return False  # never used to number anything
    return True


@dataclasses.dataclass(frozen=True)
class Workflow:
    """The enabled version of a workflow that new orders start on (cached per database)."""

    id: int
    key: str
    version: int
    name: str
    definition: Definition

    @property
    def body(self) -> Mapping[str, Any]:
        return self.definition.raw


async def _load_latest(session: AsyncSession, key: str) -> Workflow | None:
    row = await session.scalar(
        select(WorkflowDefinition)
        .where(WorkflowDefinition.key == key, WorkflowDefinition.enabled.is_(True))
        .order_by(WorkflowDefinition.version.desc())
        .limit(1)
    )
    return None if row is None else Workflow(row.id, row.key, row.version, row.name, parsed(row))


# Imports and 停用 are flushes in this process, so they are seen at once (ticketing.cached).
_latest: Cache[Workflow | None] = Cache("workflow.latest", (WorkflowDefinition,), _load_latest)


class WorkflowDisabled(NotFound):
    """流程已停用: every version of the workflow is disabled, so no new order starts on it (a
    form left open while an admin disabled it). A ``NotFound`` for callers asking whether there is
    a version to use, its own id (409) for the person creating the order."""

    error_id = "workflow_disabled"


async def latest(session: AsyncSession, key: str) -> Workflow:
    """The highest enabled version of ``key``; ``WorkflowDisabled`` when it has versions but
    none enabled, ``NotFound`` when it has none."""
    workflow = await _latest.get(session, key)
    if workflow is None:
        row = await session.scalar(
            select(WorkflowDefinition.name)
            .where(WorkflowDefinition.key == key)
            .order_by(WorkflowDefinition.version.desc())
            .limit(1)
        )
        if row is not None:
            raise WorkflowDisabled(
                f"workflow {key!r} is disabled (停用): no new orders start on it", workflow=key, name=row
            )
        raise NotFound(f"no enabled workflow {key!r}", entity="workflow", key=key)
    return workflow


async def _load_by_id(session: AsyncSession, workflow_id: int) -> Definition | None:
    row = await session.get(WorkflowDefinition, workflow_id)
    return None if row is None else parsed(row)


_by_id: Cache[Definition | None] = Cache("workflow.by_id", (WorkflowDefinition,), _load_by_id)


async def definition_for(session: AsyncSession, workflow_id: int) -> Definition:
    """The definition a running order follows (stored versions never change)."""
    definition = await _by_id.get(session, workflow_id)
    if definition is None:
        raise NotFound(f"no workflow definition #{workflow_id}", entity="workflow", key=workflow_id)
    return definition


def _remember(row: WorkflowDefinition) -> Definition:
    # Rows are immutable once stored, so the parse is cached by id; ids repeat across databases
    # (tests, several deployments in one process), hence the body comparison in parsed().
    definition = parse(row.body, stored=True)
    _cache[row.id] = definition
    return definition


def parsed(row: WorkflowDefinition | Workflow) -> Definition:
    if isinstance(row, Workflow):
        return row.definition
    cached = _cache.get(row.id)
    if cached is not None and cached.key == row.key and cached.raw == row.body:
        return cached
    return _remember(row)


async def export_definition(session: AsyncSession, key: str, version: int | None = None) -> str:
    query = select(WorkflowDefinition).where(WorkflowDefinition.key == key)
    if version is not None:
        query = query.where(WorkflowDefinition.version == version)
    row = await session.scalar(query.order_by(WorkflowDefinition.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no workflow {key!r}", entity="workflow", key=key)
    source = row.source or yaml.safe_dump(row.body, allow_unicode=True, sort_keys=False)
    return await portable_source(session, source)


async def portable_source(session: AsyncSession, source: str) -> str:
    """``source`` as another installation can import it: a reminder's message template named by
    this database's id (``templates: {sms: 12}``, as versions were stored before templates were
    named by category and step) written as its category and step (``{sms: {category: complaint,
    node: handle}}``); ids differ between installations, the category and step do not. Such a
    version is written out anew from its document (its comments and layout are not kept, as
    the step editor's save does not keep them); any other comes back exactly as stored. An id
    whose template is gone stays an id (the import elsewhere names it missing)."""
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError:
        return source
    if not isinstance(document, dict):
        return source
    found: list[dict[str, Any]] = []
    for node in document.get("nodes") or []:
        sla = node.get("sla") if isinstance(node, dict) else None
        if not isinstance(sla, dict):
            continue
        notifies = [r for r in sla.get("reminders") or [] if isinstance(r, dict)]
        if isinstance(sla.get("overrun"), dict):
            notifies.append(sla["overrun"])
        found += [n["templates"] for n in notifies if isinstance(n.get("templates"), dict)]
    ids = {
        t for templates in found for t in templates.values() if isinstance(t, int) and not isinstance(t, bool)
    }
    if not ids:
        return source
    rows = {
        t.id: t
        for t in await session.scalars(select(NotificationTemplate).where(NotificationTemplate.id.in_(ids)))
    }
    for templates in found:
        for channel, template in list(templates.items()):
            if isinstance(template, int) and template in rows:
                templates[channel] = {"category": rows[template].category, "node": rows[template].node}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


async def version_row(session: AsyncSession, key: str, version: int) -> WorkflowDefinition:
    """One stored version of ``key`` (NotFound when there is none)."""
    row = await session.scalar(
        select(WorkflowDefinition).where(WorkflowDefinition.key == key, WorkflowDefinition.version == version)
    )
    if row is None:
        raise NotFound(f"no workflow {key!r} v{version}", entity="workflow", key=key)
    return row


def _switch_view(row: WorkflowDefinition) -> dict[str, Any]:
    return {"key": row.key, "version": row.version, "enabled": row.enabled}


async def _switch(session: AsyncSession, key: str, version: int, enabled: bool, actor: User | None) -> None:
    require_admin(actor, "change workflow definitions")
    row = await version_row(session, key, version)
    # flushed at once (record_change), so ``latest`` in this very session already chooses anew
    await record_change(
        session,
        actor,
        row,
        {"enabled": enabled},
        _switch_view,
        "workflow.enable" if enabled else "workflow.disable",
        "workflow",
    )


async def disable(
    session: AsyncSession, key: str, version: int, *, actor: User | None = None, even_if_offered: bool = False
) -> None:
    """停用: new orders no longer start on this version (the highest enabled one is used);
    orders running on it carry on. The last enabled version of a workflow that intake offers
    takes its categories off every agent's intake: refused as ``workflow_in_intake`` (naming
    them) unless ``even_if_offered`` says the admin confirmed it."""
    require_admin(actor, "change workflow definitions")
    row = await version_row(session, key, version)
    if row.enabled and not even_if_offered:
        others = await session.scalar(
            select(func.count()).where(
                WorkflowDefinition.key == key,
                WorkflowDefinition.enabled.is_(True),
                WorkflowDefinition.id != row.id,
            )
        )
        offering = await intake_categories(session, key) if not others else []
        if offering:
            raise ActionRefused(
                "workflow_in_intake",
                f"v{version} is the last enabled version of {key!r}: intake would no longer offer "
                f"{'、'.join(offering)}",
                key=key,
                version=version,
                categories=offering,
            )
    await _switch(session, key, version, False, actor)


async def intake_categories(session: AsyncSession, key: str) -> list[str]:
    """The names of the intake categories that start orders on workflow ``key`` (enabled top-level
    categories naming it; without any category tree, intake offers every workflow by its name)."""
    names = list(
        await session.scalars(
            select(Category.name)
            .where(Category.parent_id.is_(None), Category.enabled.is_(True), Category.workflow_key == key)
            .order_by(Category.sort, Category.id)
        )
    )
    if names:
        return list(dict.fromkeys(names))
    tree = select(Category.id).where(Category.parent_id.is_(None), Category.enabled.is_(True)).limit(1)
    if await session.scalar(tree) is None:
        name = await session.scalar(
            select(WorkflowDefinition.name)
            .where(WorkflowDefinition.key == key)
            .order_by(WorkflowDefinition.version.desc())
            .limit(1)
        )
        return [name or key]
    return []


async def enable(session: AsyncSession, key: str, version: int, *, actor: User | None = None) -> None:
    """启用 again: the version is a candidate for new orders (the highest enabled one wins)."""
    await _switch(session, key, version, True, actor)


async def listing(session: AsyncSession) -> list[dict[str, Any]]:
    """Every workflow key (by key) with its versions, newest first: each version's name, category,
    enabled, created_at and ``open_orders`` (orders still running on it; an indexed count);
    ``current``: the version new orders start on (None when every version is disabled), whose
    name and category the workflow's are (else the newest version's); ``categories``: the names
    of the intake categories that offer the workflow."""
    rows = list(
        await session.scalars(
            select(WorkflowDefinition).order_by(WorkflowDefinition.key, WorkflowDefinition.version.desc())
        )
    )
    running: dict[int, int] = {
        workflow_id: count
        for workflow_id, count in (
            await session.execute(
                select(WorkOrder.workflow_id, func.count())
                .where(WorkOrder.is_open.is_(True))
                .group_by(WorkOrder.workflow_id)
            )
        ).all()
    }
    offered: dict[str, list[str]] = {}
    for workflow_key, name in (
        await session.execute(
            select(Category.workflow_key, Category.name)
            .where(Category.parent_id.is_(None), Category.enabled.is_(True), Category.workflow_key != "")
            .order_by(Category.sort, Category.id)
        )
    ).all():
        names = offered.setdefault(workflow_key, [])
        if name not in names:
            names.append(name)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.get(row.key)
        if entry is None:
            entry = out[row.key] = {
                "key": row.key,
                "name": row.name,
                "category": _category_of(row),
                "current": None,
                "categories": offered.get(row.key, []),
                "versions": [],
            }
        if row.enabled and entry["current"] is None:
            entry["current"] = row.version
        entry["versions"].append(
            {
                "id": row.id,
                "version": row.version,
                "name": row.name,
                "category": _category_of(row),
                "enabled": row.enabled,
                "created_at": row.created_at,
                "open_orders": running.get(row.id, 0),
            }
        )
    for entry in out.values():  # named as the version in use is (else the newest)
        using = next((v for v in entry["versions"] if v["version"] == entry["current"]), None)
        if using is not None:
            entry["name"], entry["category"] = using["name"], using["category"]
    return list(out.values())


def _category_of(row: WorkflowDefinition) -> str:
    return str((row.body or {}).get("category") or row.key)


async def intake_order(session: AsyncSession, keys: Iterable[str]) -> list[str]:
    """Workflow ``keys`` in intake's order: as the top categories naming them come (by their
    sort), then the ones no category names, by key."""
    place: dict[str, int] = {}
    for key in await session.scalars(
        select(Category.workflow_key)
        .where(Category.parent_id.is_(None), Category.workflow_key != "")
        .order_by(Category.sort, Category.id)
    ):
        place.setdefault(key, len(place))
    return sorted(keys, key=lambda k: (place.get(k, len(place)), k))


async def category_names(session: AsyncSession) -> dict[str, str]:
    """Each orders' category code -> its name, in intake's order, disabled ones too (their orders
    stay): a workflow's own category is named by its workflow (the first in intake's order, as
    the order's page names it); a top category taking orders on another's workflow (用户信息查询
    on 信息咨询's, 协调单 on 故障报修's: intake and the inbox keep the one picked) by its own name."""
    latest: dict[str, WorkflowDefinition] = {}
    for row in await session.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.version)):
        latest[row.key] = row
    by_workflow: dict[str, str] = {}
    for key in await intake_order(session, latest):
        definition = parsed(latest[key])
        by_workflow.setdefault(definition.category, definition.name)
    named: dict[str, str] = {}
    tops = await session.execute(
        select(Category.code, Category.name)
        .where(Category.parent_id.is_(None), Category.workflow_key != "")
        .order_by(Category.sort, Category.id)
    )
    for code, name in tops:
        named.setdefault(code, by_workflow.get(code, name))
    for code, name in by_workflow.items():
        named.setdefault(code, name)
    return named


async def step_choices(session: AsyncSession) -> list[dict[str, Any]]:
    """What the admins' registers pick a category, workflow or step from, by name: every workflow
    new orders can start on (each key's version as ``latest`` chooses it), in intake's order,
    as ``key``, ``name``, ``category`` (the orders' category code), ``steps`` (``id``, ``name``,
    ``contractor``: whether the step dispatches to a contractor), ``subcategories`` (``code``,
    ``name``: the 小类别 of the enabled intake categories offering it) and ``categories``
    (``code``, ``name``: the enabled top categories taking orders on it besides its own, e.g.
    协调单 on 故障报修's, which may have templates and contractors of their own)."""
    keys = await session.scalars(select(WorkflowDefinition.key).distinct())
    children: dict[str, dict[str, str]] = {}
    tops: dict[str, dict[str, str]] = {}
    for top in await category_tree(session):
        if top["workflow"]:
            tops.setdefault(top["workflow"], {}).setdefault(top["code"], top["name"])
            named = children.setdefault(top["workflow"], {})
            for child in top["children"]:
                named.setdefault(child["code"], child["name"])
    out: list[dict[str, Any]] = []
    for key in await intake_order(session, keys):
        workflow = await _latest.get(session, key)
        if workflow is None:  # every version disabled: nothing new starts on it
            continue
        definition = workflow.definition
        out.append(
            {
                "key": key,
                "name": workflow.name,
                "category": definition.category,
                "steps": [
                    {"id": n.id, "name": n.name or n.id, "contractor": n.contractor is not None}
                    for n in definition.nodes
                ],
                "subcategories": [
                    {"code": code, "name": name} for code, name in children.get(key, {}).items()
                ],
                "categories": [
                    {"code": code, "name": name}
                    for code, name in tops.get(key, {}).items()
                    if code != definition.category
                ],
            }
        )
    return out


async def workflow_categories(session: AsyncSession, definition: Definition) -> list[str]:
    """The categories whose orders run on ``definition``'s workflow: its own, then the top
    categories attached to its key (协调单 on 故障报修's), whose message templates its steps use
    (``categories.config_categories``)."""
    codes = [definition.category]
    for code in await session.scalars(
        select(Category.code)
        .where(Category.parent_id.is_(None), Category.workflow_key == definition.key)
        .order_by(Category.sort, Category.id)
    ):
        if code not in codes:
            codes.append(code)
    return codes


async def reminder_templates(session: AsyncSession, definition: Definition) -> list[dict[str, Any]]:
    """The message templates a reminder of ``definition`` may be worded with, for the step
    editor: the SMS and e-mail templates to the handler (``audience: handler``: a reminder goes
    to staff) of the workflow's categories, each with ``id``, ``channel``, ``category``,
    ``node``, ``name`` (the template's, as its admin named it) and ``enabled`` (a 停用 one is listed for a reminder
    still naming it, and refused at the save)."""
    categories = await workflow_categories(session, definition)
    rows = await session.scalars(
        select(NotificationTemplate)
        .where(
            NotificationTemplate.category.in_(categories),
            NotificationTemplate.channel.in_(TEMPLATE_CHANNELS),
            NotificationTemplate.audience == "handler",
        )
        .order_by(NotificationTemplate.channel, NotificationTemplate.node, NotificationTemplate.id)
    )
    return [
        {
            "id": t.id,
            "channel": t.channel,
            "category": t.category,
            "node": t.node,
            "name": t.name,
            "enabled": t.enabled,
        }
        for t in rows
    ]


def _picked_templates(definition: Definition) -> list[tuple[str, dict[str, Any], str, Any]]:
    """Every message template the definition's reminders and overrun alerts pick: (step, which
    one: ``{reminder: n}`` or ``{overrun: True}``, channel, the id or ``{category, node}``)."""
    picked: list[tuple[str, dict[str, Any], str, Any]] = []
    for node in definition.nodes:
        if node.sla is None:
            continue
        for number, reminder in enumerate(node.sla.reminders, 1):
            for channel, template in reminder.notify.templates.items():
                picked.append((node.id, {"reminder": number}, channel, template))
        if node.sla.overrun is not None:
            for channel, template in node.sla.overrun.templates.items():
                picked.append((node.id, {"overrun": True}, channel, template))
    return picked


async def template_uses(session: AsyncSession, template: NotificationTemplate) -> list[dict[str, Any]]:
    """Where the version in use of each workflow (the highest enabled one, which new orders
    start on) words a reminder or its overrun alert with ``template``: by its id, or by its
    category and step for its channel while it is the one enabled there (what the SLA worker
    would send). Each ``{workflow, workflow_name, version, node, node_name, channel}`` with
    ``reminder`` (its place, from 1) or ``overrun: true``; for the message-template page to warn
    before 停用 (the reminder then says the engine's words, ``sla.template_texts``)."""
    rows = await session.scalars(
        select(WorkflowDefinition)
        .where(WorkflowDefinition.enabled.is_(True))
        .order_by(WorkflowDefinition.key, WorkflowDefinition.version.desc())
    )
    in_use: dict[str, WorkflowDefinition] = {}
    for row in rows:
        in_use.setdefault(row.key, row)

    def names(channel: str, picked: Any) -> bool:
        if isinstance(picked, Mapping):
            return (
                template.enabled
                and template.audience == "handler"
                and template.channel == channel
                and (picked.get("category"), picked.get("node")) == (template.category, template.node)
            )
        return picked == template.id

    uses: list[dict[str, Any]] = []
    for row in in_use.values():
        definition = parsed(row)
        steps = {n.id: n.name or n.id for n in definition.nodes}
        for node_id, at, channel, picked in _picked_templates(definition):
            if names(channel, picked):
                uses.append(
                    {
                        "workflow": row.key,
                        "workflow_name": row.name,
                        "version": row.version,
                        "node": node_id,
                        "node_name": steps[node_id],
                        "channel": channel,
                        **at,
                    }
                )
    return uses


def template_ref_text(template: Any) -> str:
    """A reminder's template as the problems name it: ``#12`` (an id), ``complaint/handle``."""
    if isinstance(template, Mapping):
        return f"{template.get('category')}/{template.get('node')}"
    return f"#{template}"


async def template_problems(session: AsyncSession, definition: Definition) -> list[Problem]:
    """The message templates a reminder (or the overrun alert) picks that could not word it
    (``templates: {sms: {category: complaint, node: handle}}`` or a stored version's ``{sms:
    12}``; the definition checks the shape): one that is not there (``unknown_reminder_template``:
    no template of that id, or no SMS / e-mail template to the handler at that category and step,
    as in an installation that has not made it), is 停用 (``reminder_template_disabled``: it would
    say nothing), or is another channel's, not to the handler (a customer's text to staff) or of
    a category not on this workflow (``reminder_template_mismatch``). Each names the step, the
    reminder (its place, from 1), the channel and the template."""
    from ticketing.message_templates import reminder_template

    picked = _picked_templates(definition)
    if not picked:
        return []
    categories = await workflow_categories(session, definition)
    problems: list[Problem] = []
    for node_id, at, channel, picked_template in picked:
        what = "the overrun alert" if "overrun" in at else f"reminder {at['reminder']}"
        named = template_ref_text(picked_template)
        # the template as the version wrote it: an id, or {category, node}
        where = {"node": node_id, **at, "channel": channel, "template": picked_template}
        template = await reminder_template(session, channel, picked_template)
        if template is None:
            missing = (
                f"there is no {channel} template to the handler of category"
                f" {picked_template['category']!r} at step {picked_template['node']!r} (短信/邮件模板)"
                if isinstance(picked_template, Mapping)
                else f"there is no message template {named}"
            )
            problems.append(
                Problem(
                    "unknown_reminder_template", f"node {node_id!r}: {what}: {missing}", **where, value=named
                )
            )
            continue
        name = template.name
        wrong = ""
        if template.channel != channel:
            wrong = f"it is an {template.channel} template, picked for {channel}"
        elif template.audience != "handler":
            wrong = f"it is written to the {template.audience}: a reminder goes to staff (audience handler)"
        elif template.category not in categories:
            wrong = f"it is category {template.category!r}'s, not this workflow's ({', '.join(categories)})"
        if wrong:
            problems.append(
                Problem(
                    "reminder_template_mismatch",
                    f"node {node_id!r}: {what}: {channel} template {named} ({name}): {wrong}",
                    **where,
                    value=name,
                )
            )
        elif not template.enabled:
            problems.append(
                Problem(
                    "reminder_template_disabled",
                    f"node {node_id!r}: {what}: {channel} template {named} ({name}) is disabled (停用)",
                    **where,
                    value=name,
                )
            )
    return problems
