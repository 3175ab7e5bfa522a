"""审计日志: who did what, when, to which order, account, workflow or register entry.

Every change the product makes on someone's behalf is written by ``ticketing.audit`` (the
actor's 工号, the action, the entity, and the values before and after). This page and its API
let an admin read them back: newest first, filtered by entity, id, actor, action and days
(the site's days), a page at a time. Read only: nothing here writes or deletes a row.

The rows keep codes and ids; this module names them for the page, as the people who read it
know them: an object by its name (an order by its number, an account as 名字（工号）, a crew,
a template), the values another object's id by that object, a step's action by the step's own
button (故障报修's 接收确认, not 批准), and the 操作 filter finds an action by those words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from sqlalchemy import String, and_, cast, false, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from agent_ui.auth import current_user
from agent_ui.bodies import date_range, day_start, int_param
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.locale import language
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES, TEXTS
from agent_ui.work import read_only
from campaigns.rules import DEFAULT_RETRY_MINUTES
from campaigns.store import disposition_labels
from ticketing.audit import ENTITIES
from ticketing.ids import parse_id
from ticketing.models import (
    AuditLog,
    Campaign,
    CampaignContact,
    Category,
    Contractor,
    Crew,
    Customer,
    Department,
    KbArticle,
    KbCategory,
    Notification,
    NotificationTemplate,
    OutageNotice,
    PrintTemplate,
    Site,
    SurveyDimension,
    User,
    WorkflowDefinition,
    WorkOrder,
)
from ticketing.workflow import store
from ticketing.workflow.definition import Definition
from ticketing.workflow.steps import NAMED_ACTIONS, button_name

routes = web.RouteTableDef()

PAGE = 50
#: the longest a text filter may be (the columns' own lengths)
FILTER_LIMIT = 64
#: the texts naming an action (``audit.action.order.create``: 新建工单)
ACTION_TEXTS = "audit.action."

#: What an object is called, by its kind (an audit row's entity, or what a value refers to):
#: the column it is known by. An account is named apart (名字 and 工号: ``_accounts``), a seat
#: by its agent's account (its id is the 工号), an outage notice by its 停电范围 (its id is the
#: notice's key, shared by its versions); an event and a 免打扰号码 (the number) by their id.
NAME_OF: dict[str, tuple[Any, Any]] = {
    "work_order": (WorkOrder.id, WorkOrder.number),
    "site": (Site.id, Site.name),
    "category": (Category.id, Category.name),
    "workflow": (WorkflowDefinition.id, WorkflowDefinition.name),
    "crew": (Crew.id, Crew.name),
    "contractor": (Contractor.id, Contractor.name),
    "notification_template": (NotificationTemplate.id, NotificationTemplate.name),
    "print_template": (PrintTemplate.id, PrintTemplate.name),
    # a message by its subject, else its first words (an SMS has no subject)
    "notification": (
        Notification.id,
        func.coalesce(func.nullif(Notification.subject, ""), func.substr(Notification.body, 1, 40)),
    ),
    "kb_article": (KbArticle.id, KbArticle.title),
    "kb_category": (KbCategory.id, KbCategory.name),
    "campaign": (Campaign.id, Campaign.name),
    "campaign_contact": (
        CampaignContact.id,
        func.coalesce(func.nullif(CampaignContact.name, ""), CampaignContact.number),
    ),
    "customer": (Customer.id, Customer.name),
    "survey_dimension": (SurveyDimension.id, SurveyDimension.name),
    "department": (Department.id, Department.name),
}
#: The changed values that are another object's id (one, or a list of them), by the kind of
#: that object: the page shows its name (``NAME_OF``; an account as 操作人 is worded), the id on
#: hover. ``<entity>.<field>`` where the field means another kind in that entity's rows (a
#: category's ``parent_id`` is a category, a knowledge article's ``category_id`` a 知识分类).
#: ``staff``: an account by its 工号 (改派's ``replaced``, 回拨's ``by``), worded 名字（工号）.
REFERS = {
    "assigned_to": "user",
    "replaced": "staff",
    "by": "staff",
    "work_order.to": "staff",
    "manager_id": "user",
    "site_id": "site",
    "follows_site_id": "site",
    "parent_site_id": "site",
    "scope_site_ids": "site",
    "order_id": "work_order",
    "follow_up": "work_order",
    "notification": "notification",
    "contractor_id": "contractor",
    "campaign_id": "campaign",
    "department_id": "department",
    "category.parent_id": "category",
    "category.follows": "category",
    "kb_article.category_id": "kb_category",
    "kb_category.parent_id": "kb_category",
    "kb_category.ids": "kb_category",
}


@dataclasses.dataclass(frozen=True)
class NamedStep:
    """A step that names an action itself (``steps.button_name``): ``order.<action>`` at ``node``
    of the workflow version ``workflow_id`` (an order's ``workflow_id``) reads ``name``."""

    workflow_id: int
    node: str
    action: str
    name: str

    @property
    def code(self) -> str:
        return f"order.{self.action}"


@routes.get("/admin/audit")
@requires("audit.read")
async def audit_page(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, _):
        steps = _named_steps(await _definitions(db))
    actions = _action_labels(request.app[TEXTS].table(await language(request)))
    # what the 操作 filter offers: each action as the table shows it, a step's own words too
    words = [*actions.values(), *(s.name for s in steps)]
    return await request.app[TEMPLATES].response(
        request, "admin_audit.html", {"entities": ENTITIES, "action_words": list(dict.fromkeys(words))}
    )


def _text(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if len(value) > FILTER_LIMIT:
        raise UiError("request.invalid", f"{name} is {FILTER_LIMIT} characters at most", field=name)
    return value


@routes.get("/api/audit")
@requires("audit.read")
async def audit_rows(request: web.Request) -> web.Response:
    """``entity`` (one of ``ticketing.audit.ENTITIES``), ``entity_id``, ``order`` (an order's
    number: its rows), ``actor`` (a 工号, or ``system``), ``action`` (the words the page shows,
    in the page's language: 新建工单, 接收确认; or a code's start: ``order.``, ``seat.force``),
    ``from`` / ``to`` (the site's days), ``before`` (the id the previous page ended at): the rows
    newest first, ``PAGE`` at a time, with ``next`` (the ``before`` of the next page, or null)
    and ``labels`` (what the rows' codes and ids are called)."""
    services = request.app[SERVICES]
    entity, entity_id, actor, action = (_text(request, n) for n in ("entity", "entity_id", "actor", "action"))
    if entity and entity not in ENTITIES:
        raise UiError("request.invalid", f"entity is one of {', '.join(ENTITIES)}", field="entity")
    number = _text(request, "order")
    first, last = date_range(request)
    raw_before = request.query.get("before", "")
    before = parse_id(raw_before) if raw_before else None
    if raw_before and before is None:
        raise UiError("request.invalid", "before must be a row id", field="before")
    size = int_param(request, "size", PAGE, low=1, high=200)
    zone = services.site_timezone or "Asia/Shanghai"
    actions = _action_labels(request.app[TEXTS].table(await language(request)))
    query = select(AuditLog, User.name).outerjoin(User, User.id == AuditLog.user_id)
    async with read_only(services, current_user(request)) as (db, _):
        if number:
            order_id = await db.scalar(select(WorkOrder.id).where(WorkOrder.number == number))
            if order_id is None:
                raise UiError("not_found", f"no work order {number!r}", field="order")
            entity, entity_id = "work_order", str(order_id)
        definitions = await _definitions(db)
        steps = _named_steps(definitions)
        if entity:
            query = query.where(AuditLog.entity == entity)
        if entity_id:
            query = query.where(AuditLog.entity_id == entity_id)
        if actor:
            query = query.where(AuditLog.actor == actor)
        if action:
            query = query.where(_action_is(action, actions, steps))
        if first is not None:
            query = query.where(AuditLog.at >= day_start(first, zone))
        if last is not None:
            query = query.where(AuditLog.at < day_start(last + dt.timedelta(days=1), zone))
        if before is not None:
            query = query.where(AuditLog.id < before)
        rows = (await db.execute(query.order_by(AuditLog.id.desc()).limit(size + 1))).all()
        shown = [row for row, _ in rows[:size]]
        names, accounts = await _names(db, shown)
        labels = await _labels(db, shown, definitions)
        step_names = await _step_names(db, shown, steps)
    labels |= {"accounts": accounts, "names": names, "refers": REFERS}
    items = [
        {
            "id": row.id,
            "at": row.at,
            "actor": row.actor,
            "actor_name": name or "",
            "action": row.action,
            # the step's own words for it (接收确认); "": the action's (texts audit.action.*)
            "action_name": step_names.get(row.id, ""),
            "entity": row.entity,
            "entity_id": row.entity_id,
            "order_number": names["work_order"].get(row.entity_id, "") if row.entity == "work_order" else "",
            # what the object is called (a crew's, a template's name); an account 名字 (工号), which
            # the page words from labels.accounts as 操作人 is (名字（工号） in Chinese)
            "entity_label": _entity_label(row, names, accounts),
            "before": _as_applied(row.entity, row.before),
            "after": _as_applied(row.entity, _seat_kept(row)),
        }
        for row, name in rows[:size]
    ]
    more = len(rows) > size
    return web.json_response(
        jsonable({"items": items, "next": items[-1]["id"] if more else None, "labels": labels})
    )


def _as_applied(entity: str, side: Any) -> Any:
    """A campaign's retry delays as the dialer applied them. Rows written before
    ``campaigns.store.settings_of`` said so kept only the delays the campaign set ({} for none),
    the others being the defaults: read as stored, a 无人接听后重拨 changed from 30 to 1 listed
    every delay as — → value."""
    if entity == "campaign" and isinstance(side, dict) and isinstance(side.get("retry_minutes"), dict):
        return {**side, "retry_minutes": {**DEFAULT_RETRY_MINUTES, **side["retry_minutes"]}}
    return side


#: What a seat's forced change or queue move leaves as it was, kept on both sides of its row:
#: a queue joined or left, the seat's state (就绪 stays 就绪); a forced change, the call it was
#: made during or in whose 话后处理 (what the row is about). Rows written before held these before only, so the page read
#: 状态：就绪 → — and 通话：… → — (QA #7).
SEAT_KEPT = {
    "seat.queue_add": "state",
    "seat.queue_remove": "state",
    "seat.force_pause": "call_id",
    "seat.force_sign_out": "call_id",
    "seat.force_acw_end": "call_id",
}


def _seat_kept(row: AuditLog) -> Any:
    """A seat row's ``after`` with what the action left as it was (``SEAT_KEPT``)."""
    kept, before, after = SEAT_KEPT.get(row.action), row.before, row.after
    if kept and isinstance(before, dict) and isinstance(after, dict) and kept in before and kept not in after:
        return {**after, kept: before[kept]}
    return after


async def _definitions(db: Any) -> list[tuple[int, Definition]]:
    """Every workflow version (its row id and definition), the latest first."""
    found = await db.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.version.desc()))
    return [(row.id, store.parsed(row)) for row in found]


def _named_steps(definitions: Iterable[tuple[int, Definition]]) -> list[NamedStep]:
    return [
        NamedStep(workflow_id, node.id, action, button_name(node, action))
        for workflow_id, definition in definitions
        for node in definition.nodes
        for action in NAMED_ACTIONS
        if button_name(node, action)
    ]


def _action_labels(table: dict[str, str]) -> dict[str, str]:
    """Each action in the words the page shows it by (``order.create``: 新建工单)."""
    return {
        key.removeprefix(ACTION_TEXTS): label for key, label in table.items() if key.startswith(ACTION_TEXTS)
    }


def _action_is(wanted: str, actions: dict[str, str], steps: list[NamedStep]) -> ColumnElement[bool]:
    """The rows whose action reads ``wanted`` (part of it, any case) as the page shows it: its
    words (``actions``: 新建工单) or, at a step that names it, the step's (接收确认, whose rows do
    not read 批准); or whose code starts with it (``order.``: the API's, a link's)."""
    words = wanted.casefold()
    codes = {code for code, label in actions.items() if words in label.casefold()}
    named = [s for s in steps if words in s.name.casefold()]
    # a step's action matched by its generic words, where the step shows its own instead
    renamed = [s for s in steps if s.code in codes and s not in named]
    by_words = AuditLog.action.in_(codes)
    if renamed:
        by_words = and_(by_words, not_(_at_steps(renamed)))
    return or_(AuditLog.action.startswith(wanted, autoescape=True), by_words, _at_steps(named))


def _at_steps(steps: list[NamedStep]) -> ColumnElement[bool]:
    """The rows of ``steps``' actions taken at those steps (the node the row's ``before`` was
    at, of an order on that workflow version)."""
    versions: dict[tuple[str, str], set[int]] = defaultdict(set)
    for step in steps:
        versions[(step.code, step.node)].add(step.workflow_id)
    node = func.coalesce(AuditLog.before["node"].as_string(), "")
    return or_(
        false(),
        *(
            and_(
                AuditLog.action == code,
                AuditLog.entity == "work_order",
                node == at,
                AuditLog.entity_id.in_(
                    select(cast(WorkOrder.id, String)).where(WorkOrder.workflow_id.in_(sorted(ids)))
                ),
            )
            for (code, at), ids in versions.items()
        ),
    )


async def _step_names(db: Any, rows: list[AuditLog], steps: list[NamedStep]) -> dict[int, str]:
    """The step's own words for these rows' actions, by row id (接收确认 for an ``order.approve``
    at 故障报修's 接收确认)."""
    codes = {s.code for s in steps}
    acted = [r for r in rows if r.entity == "work_order" and r.action in codes and isinstance(r.before, dict)]
    ids = {parse_id(r.entity_id) for r in acted} - {None}
    if not ids:
        return {}
    workflows = dict(
        (await db.execute(select(WorkOrder.id, WorkOrder.workflow_id).where(WorkOrder.id.in_(ids)))).all()
    )
    named = {(s.workflow_id, s.node, s.code): s.name for s in steps}
    out = {}
    for r in acted:
        name = named.get((workflows.get(parse_id(r.entity_id)), r.before.get("node"), r.action))
        if name:
            out[r.id] = name
    return out


def _ids(value: Any) -> list[int]:
    """The ids a value holds: itself, or a list's (a bool is no id)."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def refers_to(entity: str, field: str) -> str:
    """The kind of object a row's ``field`` is the id of (``REFERS``), or ""."""
    return REFERS.get(f"{entity}.{field}") or REFERS.get(field, "")


async def _names(
    db: Any, rows: list[AuditLog]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """What the objects these rows are about and refer to are called: ``{kind: {id: name}}``
    (``NAME_OF``; a seat by its agent's name, keyed by 工号) and the accounts, ``{id: {staff_no,
    name}}``. An object since deleted is not there (the page shows its id)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    agents: set[str] = set()
    staff: set[str] = set()
    notices: set[str] = set()
    for row in rows:
        if row.entity == "seat":
            agents.add(row.entity_id)
        elif row.entity == "outage_notice":
            notices.add(row.entity_id)
        elif row.entity in NAME_OF or row.entity == "user":
            wanted[row.entity] |= set(_ids(parse_id(row.entity_id)))
        for side in (row.before, row.after):
            for field, value in side.items() if isinstance(side, dict) else ():
                kind = refers_to(row.entity, field)
                if kind == "staff":
                    staff |= {
                        v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
                    }
                elif kind:
                    wanted[kind] |= set(_ids(value))
    names: dict[str, dict[str, str]] = {kind: {} for kind in (*NAME_OF, "seat", "staff", "outage_notice")}
    for kind, ids in wanted.items():
        if kind in NAME_OF and ids:
            key, name = NAME_OF[kind]
            found = await db.execute(select(key, name).where(key.in_(ids)))
            names[kind] = {str(i): n for i, n in found}
    accounts: dict[str, dict[str, str]] = {}
    if wanted["user"]:
        found = await db.execute(select(User.id, User.staff_no, User.name).where(User.id.in_(wanted["user"])))
        accounts = {str(i): {"staff_no": staff_no, "name": name} for i, staff_no, name in found}
    if agents or staff:
        query = select(User.staff_no, User.name).where(User.staff_no.in_(agents | staff))
        found = dict((await db.execute(query)).all())
        names["seat"] = {no: name for no, name in found.items() if no in agents}
        names["staff"] = {no: name for no, name in found.items() if no in staff}
    if notices:
        # a notice by its 停电范围 as its latest version says it (read last), its key on hover
        found = await db.execute(
            select(OutageNotice.notice_key, OutageNotice.area)
            .where(OutageNotice.notice_key.in_(notices))
            .order_by(OutageNotice.version)
        )
        names["outage_notice"] = dict(found.all())
    return names, accounts


def _entity_label(
    row: AuditLog, names: dict[str, dict[str, str]], accounts: dict[str, dict[str, str]]
) -> str:
    """``entity_label`` for a client of the API: the object's name; an account 名字 (工号), in no
    page's language."""
    if row.entity == "user":
        account = accounts.get(row.entity_id)
        return f"{account['name']} ({account['staff_no']})" if account else ""
    return names.get(row.entity, {}).get(row.entity_id, "")


async def _labels(
    db: Any, rows: list[AuditLog], definitions: list[tuple[int, Definition]]
) -> dict[str, dict[str, Any]]:
    """What the codes these rows' values hold are called: a step (``node``: accept → 受理, by
    its workflows' names), a category (``category`` / ``subcategory``: fault → 故障报修) and a
    campaign's 结果代码 (``disposition``: satisfied → 满意, as the campaign card and page name it,
    a retired one too)."""
    nodes: set[str] = set()
    codes: set[str] = set()
    dispositions = False
    for row in rows:
        for side in (row.before, row.after):
            if not isinstance(side, dict):
                continue
            dispositions = dispositions or bool(side.get("disposition"))
            if isinstance(side.get("node"), str):
                nodes.add(side["node"])
            codes |= {
                side[k] for k in ("category", "subcategory") if isinstance(side.get(k), str) and side[k]
            }
    labels: dict[str, dict[str, Any]] = {"node": {}, "category": {}, "subcategory": {}, "disposition": {}}
    if dispositions:
        labels["disposition"] = await disposition_labels(db)
    # the latest version's name first (a step renamed later reads as it is called now)
    for _, definition in definitions:
        for node in definition.nodes:
            if node.id in nodes and node.name:
                labels["node"].setdefault(node.id, node.name)
    if codes:
        # the shared category's name wins (read last; a site's own may rename it for that site only)
        found = await db.execute(
            select(Category.code, Category.name)
            .where(Category.code.in_(codes))
            .order_by(Category.site_id.asc().nulls_last())
        )
        named = dict(found.all())
        labels["category"] = labels["subcategory"] = named
    return labels
