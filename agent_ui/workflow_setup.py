"""流程配置 in the console: the admins' page and API for the work-order workflows
(``ticketing.workflow.store``): every workflow with its versions, a version's YAML and steps,
import (the next version of its key), export, 停用 / 启用. Admins only (``config.admin``), CSRF
on writes; an invalid definition is refused naming every problem and nothing is stored; every
change is audited by ``ticketing``. The file format is docs/workflows.zh-CN.md for the admins
(served at /admin/workflows/reference) and docs/workflows.md for developers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from aiohttp import web

from agent_ui import doc_pages
from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.locale import language
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.texts import DEFAULT
from agent_ui.work import read_only, unit_of_work
from ticketing.errors import NotFound, WorkflowInvalid
from ticketing.models import WorkflowDefinition
from ticketing.models.org import ROLES
from ticketing.workflow import store
from ticketing.workflow.conditions import OTHER_TYPE_OPERATORS, TYPE_OPERATORS
from ticketing.workflow.definition import (
    CALENDARS,
    CHANNELS,
    MODES,
    NODE_TYPES,
    PERMISSIONS,
    RULE_KEYS,
    TEMPLATE_CHANNELS,
    URGENCIES,
    Definition,
    Node,
)

routes = web.RouteTableDef()
#: the longest definition accepted, in UTF-8 bytes (the seeded ones are 1-6 KB)
SOURCE_LIMIT = 256 * 1024
#: the largest request body read for it: JSON may spell a character in up to 6 bytes (\u0001)
BODY_LIMIT = 6 * SOURCE_LIMIT
#: the deepest nesting of lists and mappings a definition may have (the seeded ones reach 8):
#: a deeper one (QA: 5,000 brackets) would exhaust the YAML loader's recursion
MAX_DEPTH = 64


def _refused(problem_id: str, message: str, **where: Any) -> UiError:
    """workflow_invalid with one problem, as the editor shows the import's own problems."""
    return UiError("workflow_invalid", message, problems=[{**where, "id": problem_id, "message": message}])


def _too_deep(source: str) -> dict[str, int] | None:
    """Where the source nests lists and mappings deeper than MAX_DEPTH (line, column), or None.
    Read as a stream of parser events, which keeps its own stack (no recursion); a syntax error
    is left to the import, which says where it is."""
    depth = 0
    try:
        for event in yaml.parse(source, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return {"line": mark.line + 1, "column": mark.column + 1}
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


@routes.get("/admin/workflows")
@requires("config.admin")
async def workflows_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_workflows.html", {})


#: the definition reference the 流程配置 page points admins to, by the page's language: the
#: admins' own in Chinese, the developers' English reference (docs/) for English users
DOCS = Path(__file__).resolve().parent.parent / "docs"
REFERENCES = {"zh-CN": DOCS / "workflows.zh-CN.md", "en": DOCS / "workflows.md"}


@routes.get("/admin/workflows/reference")
@requires("config.admin")
async def workflows_reference(request: web.Request) -> web.Response:
    """The definition reference as a console page (the admin who writes a definition has no
    checkout): its headings as contents, YAML as code, tables as tables, nothing of the file
    taken as HTML (``doc_pages``)."""
    path = REFERENCES.get(await language(request), REFERENCES[DEFAULT])
    if not path.is_file():
        raise UiError("not_found", f"the workflow reference (docs/{path.name}) is not installed")
    document = doc_pages.load(path)
    return await request.app[TEMPLATES].response(
        request, "admin_workflow_reference.html", {"document": document}
    )


@routes.get("/api/workflows")
@requires("config.admin")
async def list_workflows(request: web.Request) -> web.Response:
    """Every workflow with its versions (newest first), the one new orders use, open orders per version"""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        items = await store.listing(db)
        names = await store.category_names(db)
    for item in items:  # the category by name, as order lists name it (the code is kept for links)
        item["category_name"] = names.get(item["category"], item["category"])
    return web.json_response({"items": jsonable(items)})


@routes.get("/api/workflow-steps")
@requires("config.admin")
async def workflow_steps(request: web.Request) -> web.Response:
    """The workflows new orders start on, their steps by name: what the admin registers pick from

    For the message template, print template and contractor registers, in intake's order;
    each: ``key``, ``name``, ``category`` (the orders' category code), ``steps`` (``id``,
    ``name``, ``contractor``: the step dispatches to a contractor) and ``subcategories``
    (``code``, ``name``). The registers still take and return the codes."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        return web.json_response({"items": await store.step_choices(db)})


@routes.get("/api/workflows/{key}/{version}")
@requires("config.admin")
async def show_workflow(request: web.Request) -> web.Response:
    """One version: its YAML source and its steps (type, status, time limit, exits), with what
    the step editor edits (``document``) and offers (``choices``; ``templates``: the SMS and
    e-mail templates a reminder may be worded with, ``store.reminder_templates``)"""
    key, version = request.match_info["key"], path_int(request, "version")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        row = await store.version_row(db, key, version)
        current = await _current(db, key)
        source = await store.export_definition(db, key, version)
        definition = store.parsed(row)
        category_name = (await store.category_names(db)).get(definition.category, definition.category)
        # what a reminder may be worded with: the workflow's categories' templates to the handler
        templates = await store.reminder_templates(db, definition)
        return web.json_response(
            {
                **_detail(row, definition, source, current),
                "category_name": category_name,
                "templates": templates,
            }
        )


@routes.get("/api/workflows/{key}/{version}/export")
@requires("config.admin")
async def export_workflow(request: web.Request) -> web.Response:
    """One version's YAML as a file to download (to keep, or to edit and import again)"""
    key, version = request.match_info["key"], path_int(request, "version")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        source = await store.export_definition(db, key, version)
    name = f"{key}-v{version}.yaml"
    plain = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return web.Response(
        text=source,
        content_type="text/yaml",
        charset="utf-8",
        headers={
            "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


@routes.post("/api/workflows")
@requires("config.admin")
async def import_workflow(request: web.Request) -> web.Response:
    """{source: YAML}: validated and stored as the next version of its key (201); refused with
    workflow_invalid and details.problems [{id, message}] when anything is wrong, each with
    where it is when known (node: the step's id, field, value: the value refused, line and
    column of a YAML syntax error, workflow and version or category: whose number pattern an
    overlapping one is), for the editor to say in Chinese. A source over SOURCE_LIMIT is the
    problem too_large, one nested deeper than MAX_DEPTH too_deep (with its line)."""
    too_large = f"the definition is longer than {SOURCE_LIMIT // 1024} KB"
    if (request.content_length or 0) > BODY_LIMIT:
        raise _refused("too_large", too_large)
    body = await json_body(request)
    source = body.get("source")
    if "document" in body and source is None:
        # the step editor's save: the document it edited, written out as the YAML an import takes
        source = _document_source(body["document"])
    if not isinstance(source, str) or not source.strip():
        raise UiError("request.invalid", "source must be the definition's YAML text", field="source")
    if len(source.encode("utf-8")) > SOURCE_LIMIT:
        raise _refused("too_large", too_large)
    deep = _too_deep(source)
    if deep is not None:
        raise _refused("too_deep", f"lists and mappings nested deeper than {MAX_DEPTH} levels", **deep)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        try:
            row, warnings = await store.import_checked(db, source, actor=user)
        except RecursionError:
            raise _refused("too_deep", f"lists and mappings nested deeper than {MAX_DEPTH} levels") from None
        except WorkflowInvalid as exc:
            raise UiError(
                "workflow_invalid",
                str(exc),
                problems=[
                    {**getattr(problem, "where", {}), "id": problem[0], "message": problem[1]}
                    for problem in exc.problems
                ],
            ) from None
        current = await _current(db, row.key)
        answer = _version(row, current)
    # imported, but worth a look (category_in_use), in the problems' shape
    answer["warnings"] = [{**w.where, "id": w[0], "message": w[1]} for w in warnings]
    return web.json_response(answer, status=201)


@routes.post("/api/workflows/{key}/{version}/disable")
@requires("config.admin")
async def disable_workflow(request: web.Request) -> web.Response:
    """停用 a version: new orders start on the highest version still enabled; running ones carry on.
    The last enabled version of a workflow intake offers is refused (workflow_in_intake, 409,
    details.categories) unless the body is {"confirm": true}: the admin agreed to take those
    categories off intake"""
    confirm = (await json_body(request)).get("confirm", False) if request.body_exists else False
    if not isinstance(confirm, bool):
        raise UiError("request.invalid", "confirm must be true or false", field="confirm")

    async def disable(db: Any, key: str, version: int, *, actor: Any) -> None:
        await store.disable(db, key, version, actor=actor, even_if_offered=confirm)

    return await _switch(request, disable)


@routes.post("/api/workflows/{key}/{version}/enable")
@requires("config.admin")
async def enable_workflow(request: web.Request) -> web.Response:
    """启用 a version again (new orders start on the highest enabled version)"""
    return await _switch(request, store.enable)


async def _switch(request: web.Request, change: Any) -> web.Response:
    key, version = request.match_info["key"], path_int(request, "version")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        await change(db, key, version, actor=user)
        row = await store.version_row(db, key, version)
        answer = _version(row, await _current(db, key))
    return web.json_response(answer)


async def _current(db: Any, key: str) -> int | None:
    """The version new orders of ``key`` start on (None: every version is disabled)."""
    try:
        return (await store.latest(db, key)).version
    except NotFound:
        return None


def _document_source(document: Any) -> str:
    """The step editor's ``document`` (the definition as JSON) as YAML for the import, keys in
    the order given (what the editor does not know among them, as it was loaded)."""
    if not isinstance(document, dict):
        raise UiError("request.invalid", "document must be the definition as an object", field="document")
    # measured without recursion before the YAML writer (which recurses) walks it
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refused("too_deep", f"lists and mappings nested deeper than {MAX_DEPTH} levels")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def _document(source: str) -> dict[str, Any] | None:
    """The version's YAML as the step editor's document, or None when JSON cannot carry it
    exactly (a date, a key that is not text: the editor would change it, so it stays YAML)."""
    try:
        document = yaml.safe_load(source)
        return (
            document if isinstance(document, dict) and json.loads(json.dumps(document)) == document else None
        )
    except (yaml.YAMLError, TypeError, ValueError):
        return None


#: what the step editor offers in its lists: the definition's own vocabulary
EDITOR_CHOICES = {
    "node_types": list(NODE_TYPES),
    "permissions": list(PERMISSIONS),
    "modes": list(MODES),
    "roles": list(ROLES),
    "rule_keys": sorted(RULE_KEYS - {"in_scope"}),
    "channels": list(CHANNELS),
    "urgencies": list(URGENCIES),
    "calendars": list(CALENDARS),
    # an exit condition's operators by the field's type: exactly what the import accepts
    "condition_operators": {ftype: list(ops) for ftype, ops in TYPE_OPERATORS.items()},
    "condition_operators_other": list(OTHER_TYPE_OPERATORS),
    "template_channels": list(TEMPLATE_CHANNELS),
}


def _version(row: WorkflowDefinition, current: int | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "version": row.version,
        "name": row.name,
        "enabled": row.enabled,
        "current": current,
        "created_at": jsonable(row.created_at),
    }


def _limit(node: Node) -> dict[str, Any] | None:
    """A step's time limit as the detail lists it; ``calendar`` is the step's own ("" when it
    counts on the workflow's), for the page to label the limit by the calendar in force."""
    sla = node.sla
    if sla is None:
        return None
    by = sla.limit_by or {}
    return {
        "limit": sla.limit,
        "calendar": sla.calendar,
        "by_field": by.get("field") or "",
        "by_values": {str(k): str(v) for k, v in (by.get("values") or {}).items()},
        "reminders": len(sla.reminders),
        "overrun": sla.overrun is not None,
    }


def _detail(
    row: WorkflowDefinition, definition: Definition, source: str, current: int | None
) -> dict[str, Any]:
    return {
        **_version(row, current),
        "category": definition.category,
        "number_pattern": definition.number_pattern,
        "calendar": definition.calendar,
        "source": source,
        "document": _document(source),
        "choices": EDITOR_CHOICES,
        "fields": [
            {
                "name": name,
                "type": (spec or {}).get("type", "text"),
                "label": (spec or {}).get("label") or name,
            }
            for name, spec in definition.fields.items()
        ],
        "steps": [
            {
                "id": node.id,
                "name": node.name,
                "type": node.type,
                "status": node.status,
                "mode": node.mode,
                "optional": node.optional,
                "free_routing": node.free_routing,
                "limit": _limit(node),
                "exits": [
                    {"to": ex.to, "kind": ex.kind, "conditional": ex.when is not None} for ex in node.exits
                ],
            }
            for node in definition.nodes
        ],
    }
