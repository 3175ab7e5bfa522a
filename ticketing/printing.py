"""Print templates per step (打印模板): admins' jinja2 HTML rendering an order.

Templates run in a sandbox with autoescaping, over plain values only (dicts, lists,
strings): the order with its fields, the customer, the history of opinions, the current
step and its contractor. A template reaching for anything the sandbox forbids (``__class__``,
``mro``, a function's globals…) is refused with ``print_template_unsafe`` naming the
attribute, both when an admin saves it (a trial render) and when it is printed. A render has
a budget (``template_budget``: loop turns and calls, characters handled and written, the size
of a value, time): a template that does more work (nested loops over thousands) is refused at
the save's trial render (``template_too_costly``) and stops a print with
``print_template_too_costly`` instead of holding the process, whose event loop runs it.

The template of an order is the most specific enabled one of its workflow: this step and
this (sub)category, this step, the whole workflow and this category, the whole workflow;
else the built-in default (``templates/print_default.html``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import crews, directory
from ticketing.audit import record, record_change
from ticketing.categories import config_categories, named_at
from ticketing.contractors import dispatch_view
from ticketing.errors import FieldErrors, TicketingError, clean_texts, require_admin
from ticketing.ids import known
from ticketing.models import (
    Category,
    Comment,
    Contractor,
    Customer,
    PrintTemplate,
    Site,
    User,
    WorkflowDefinition,
    WorkOrder,
)
from ticketing.template_budget import BoundedEnvironment, TemplateTooCostly
from ticketing.workflow import store
from ticketing.workflow.steps import NAMED_ACTIONS, button_name, with_subtype_fields

DEFAULT_TEMPLATE = (Path(__file__).parent / "templates" / "print_default.html").read_text(encoding="utf-8")
BODY_LIMIT = 100_000
ACTION_NAMES = {
    "create": "受理",
    "submit": "提交",
    "approve": "批准",
    "reject": "退回",
    "forward": "转发",
    "annotate": "批注",
    "cc": "抄送",
    "supervise": "督办",
    "force_archive": "强制归档",
    "convert": "转协调单",
    "dispatch_contractor": "外委派工",
    "dispatch_crew": "派工（抢修班组）",
    "contractor_reply": "外委回复",
    "reassign": "改派",
    "take_over": "接手",
    "release": "移出停用的处理人",
    "void": "作废",
    "save": "暂存",
    "optional_step": "调整可选步骤",
    "change_category": "修改类别",
    "link": "关联",
    "reply": "回复",
    "extend_request": "申请延期",
    "extend_approve": "批准延期",
    "extend_refuse": "不批准延期",
}


def action_name(action: str) -> str:
    """An opinion's action as the default (Chinese) print reads it; the console passes the
    words of the print's language (its texts' ``order.verb.*``) instead."""
    return ACTION_NAMES.get(action, action)


class PrintTemplateError(TicketingError):
    """A print template that does not compile or render; ``field`` is the template's body."""

    error_id = "print_template_invalid"


class PrintTemplateUnsafe(PrintTemplateError):
    error_id = "print_template_unsafe"


class PrintTemplateTooCostly(PrintTemplateError):
    """A print template that does more work than a render may (``template_budget``): nested
    loops, a huge value, pages of output."""

    error_id = "print_template_too_costly"


class _PrintEnvironment(BoundedEnvironment):
    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Refuse at once, with the attribute named, instead of printing an empty string.
        raise SecurityError(f"{attribute!r} of a {type(obj).__name__} is not available to print templates")


_env = _PrintEnvironment(autoescape=True, undefined=ChainableUndefined)


def render_template(source: str, context: dict[str, Any]) -> Markup:
    try:
        return Markup(_env.render(_env.from_string(source), context))
    except TemplateTooCostly as exc:
        raise PrintTemplateTooCostly(f"print template stopped: {exc}", field="body", limit=exc.limit) from exc
    except SecurityError as exc:
        raise PrintTemplateUnsafe(f"print template refused: {exc}", field="body") from exc
    except TemplateSyntaxError as exc:
        raise PrintTemplateError(
            f"print template syntax error (line {exc.lineno}): {exc.message}", field="body"
        ) from exc
    except Exception as exc:
        raise PrintTemplateError(f"print template error: {exc}", field="body") from exc


#: how a print says yes and no when the caller names no language (the default template's)
YES_NO = ("是", "否")
PRINTED_TIME = "%Y-%m-%d %H:%M"


def _local(moment: Any, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime(PRINTED_TIME) if moment else ""


def _wall_time(value: str, tz: str) -> str:
    """A datetime field as people read it (2026-11-27 14:45): a value with an offset in the
    site's zone; one without (the browser's datetime-local) is already the site's wall time."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # stored before datetime fields were checked: print it as it is
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(tz))
    return moment.strftime(PRINTED_TIME)


def _field_text(
    ftype: str, value: Any, tz: str, site_names: dict[str, str], contractor_names: dict[int, str], yes_no
) -> str:
    """A form value as printed: names instead of codes and ids, readable times, 是/否."""
    if ftype == "checkbox":
        return yes_no[0] if value is True else yes_no[1]  # an unticked box was never sent: 否
    if value is None or value == "":
        return ""
    if ftype == "site" and isinstance(value, str):
        return site_names.get(value.strip(), value)
    if ftype == "contractor" and isinstance(value, int) and not isinstance(value, bool):
        return contractor_names.get(value, str(value))
    if ftype == "crew" and isinstance(value, dict):
        return crews.text(value)  # as the order keeps it, not as the register says now
    if ftype == "datetime" and isinstance(value, str):
        return _wall_time(value, tz)
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


async def _category_names(session: AsyncSession, order: WorkOrder) -> dict[str, str]:
    """The order's category and subcategory codes by name: the category of that code its site
    is offered (its own, else the nearest site's above it, else the shared one:
    ``categories.named_at``); a code no category has any more is printed as it is."""
    codes = {order.category, order.subcategory} - {""}
    rows = await session.execute(
        select(Category.code, Category.site_id, Category.name).where(Category.code.in_(codes))
    )
    named = {(code, site_id): name for code, site_id, name in rows}
    levels = (await directory.load(session)).lineage(order.site_id)
    return {c: named_at(named, c, levels) or c for c in codes}


async def order_context(
    session: AsyncSession,
    order: WorkOrder,
    tz: str = "Asia/Shanghai",
    yes_no: tuple[str, str] = YES_NO,
    actions: Callable[[str], str] = action_name,
) -> dict[str, Any]:
    """Everything a print template sees, as plain values, as people read them: names rather
    than codes, times in the order's site's zone (``tz`` for an order without a site),
    ``yes_no`` for ticked and unticked boxes and ``actions`` naming an opinion's action (the
    print's language). A step's own button name is its opinion's: 接收确认, not 批准."""
    definition = await with_subtype_fields(
        session, await store.definition_for(session, order.workflow_id), order.subcategory
    )
    node = definition.node(order.current_node)
    customer = await session.get(Customer, order.customer_id) if order.customer_id else None
    site = await session.get(Site, order.site_id) if order.site_id else None
    tz = site.timezone if site is not None and site.timezone else tz
    categories = await _category_names(session, order)
    site_names = dict((await session.execute(select(Site.code, Site.name))).all())
    chosen = [
        order.form.get(name)
        for name, spec in definition.fields.items()
        if (spec or {}).get("type") == "contractor" and isinstance(order.form.get(name), int)
    ]
    contractor_names = (
        dict(
            (
                await session.execute(select(Contractor.id, Contractor.name).where(Contractor.id.in_(chosen)))
            ).all()
        )
        if chosen
        else {}
    )
    comments = list(
        await session.scalars(select(Comment).where(Comment.order_id == order.id).order_by(Comment.id))
    )
    user_ids = {c.user_id for c in comments} | {order.created_by_id}
    names = dict(
        (await session.execute(select(User.id, User.name).where(User.id.in_(user_ids - {None})))).all()
    )
    steps = {n.id: n.name or n.status for n in definition.nodes}
    # (node, action) -> the step's own name of its button (approve_name: 接收确认; a named 退回: 退单)
    buttons = {
        (n.id, action): button_name(n, action)
        for n in definition.nodes
        for action in NAMED_ACTIONS
        if button_name(n, action)
    }
    fields = []
    for name, spec in definition.fields.items():
        spec = dict(spec or {})
        value = order.form.get(name)
        shown = _field_text(spec.get("type", "text"), value, tz, site_names, contractor_names, yes_no)
        fields.append({"name": name, "label": spec.get("label") or name, "value": value, "text": shown})
    dispatch = await dispatch_view(session, order)
    contractor = None
    if dispatch is not None:
        contractor = {
            **dispatch["contractor"],
            "state": dispatch["state"],
            "reply": dispatch["reply"],
            "result": dispatch["result"],
            "dispatched_by": dispatch["dispatched_by"] or "",
            "replied_by": dispatch["replied_by"] or "",
            "dispatched_at": _local(dt.datetime.fromisoformat(dispatch["dispatched_at"]), tz),
            "replied_at": _local(dt.datetime.fromisoformat(dispatch["replied_at"]), tz)
            if dispatch["replied_at"]
            else "",
        }
    return {
        "order": {
            "id": order.id,
            "number": order.number,
            "category": categories.get(order.category, ""),
            "subcategory": categories.get(order.subcategory, ""),
            "category_code": order.category,
            "subcategory_code": order.subcategory,
            "status": order.status,
            "title": order.title,
            "caller_number": order.caller_number,
            "priority": order.priority,
            "is_open": order.is_open,
            "created_at": _local(order.created_at, tz),
            "due_at": _local(order.due_at, tz),
            "closed_at": _local(order.closed_at, tz),
            "created_by": names.get(order.created_by_id, ""),
            "site": site.name if site else "",
        },
        "workflow": {"key": definition.key, "name": definition.name, "version": order.workflow_version},
        "step": {"id": node.id, "name": node.name or node.status, "type": node.type, "status": node.status},
        "fields": fields,
        "form": {f["name"]: f["text"] for f in fields},
        "customer": {
            "name": customer.name,
            "account_no": customer.account_no,
            "address": customer.address,
            "tier": customer.tier,
        }
        if customer
        else None,
        "history": [
            {
                "at": _local(c.created_at, tz),
                "step": steps.get(c.node, c.node),
                "node": c.node,
                "action": buttons.get((c.node, c.action)) or actions(c.action),
                "user": names.get(c.user_id, "系统" if c.user_id is None else ""),
                "text": c.text,
            }
            for c in comments
        ],
        "contractor": contractor,
    }


async def template_for(session: AsyncSession, order: WorkOrder) -> PrintTemplate | None:
    # the subcategory, the order's own category, its workflow's category (a 协调单 prints with
    # the fault flow's category's template where it has none of its own), then any category
    codes = [order.subcategory, *await config_categories(session, order)]
    rank = {code: i for i, code in enumerate(dict.fromkeys(c for c in codes if c))}
    rank[""] = len(rank)
    rows = list(
        await session.scalars(
            select(PrintTemplate).where(
                PrintTemplate.workflow_key == order.workflow_key,
                PrintTemplate.enabled.is_(True),
                PrintTemplate.node.in_((order.current_node, "")),
                PrintTemplate.category.in_(tuple(rank)),
            )
        )
    )
    # the step matters more than the category; a subcategory more than its category
    rows.sort(key=lambda t: (t.node == "", rank.get(t.category, len(rank))))
    return rows[0] if rows else None


async def render_order(
    session: AsyncSession,
    order: WorkOrder,
    tz: str = "Asia/Shanghai",
    yes_no: tuple[str, str] = YES_NO,
    actions: Callable[[str], str] = action_name,
) -> tuple[str, Markup]:
    """(the template's name, the rendered HTML) for printing the order at its current step."""
    template = await template_for(session, order)
    context = await order_context(session, order, tz, yes_no, actions)
    if template is None:
        return "默认模板", render_template(DEFAULT_TEMPLATE, context)
    return template.name, render_template(template.body, context)


# -- the admin's register -------------------------------------------------------------------
SAMPLE_CONTEXT: dict[str, Any] = {
    "order": {
        "number": "GZ2026112600001",
        "status": "已受理",
        "category": "故障报修",
        "subcategory": "低压故障",
        "category_code": "fault",
        "subcategory_code": "fault_lv",
        "created_at": "2026-11-26 09:00",
    },
    "workflow": {"key": "fault_repair", "name": "故障报修", "version": 1},
    "step": {"id": "accept", "name": "受理", "type": "create", "status": "已受理"},
    "fields": [{"name": "故障地址", "label": "故障地址", "value": "某路 1 号", "text": "某路 1 号"}],
    "form": {"故障地址": "某路 1 号"},
    "customer": {"name": "客户", "account_no": "0000000001", "address": "某路 1 号", "tier": ""},
    "history": [
        {
            "at": "2026-11-26 09:00",
            "step": "受理",
            "node": "accept",
            "action": "受理",
            "user": "坐席",
            "text": "",
        }
    ],
    "contractor": None,
}


def view(t: PrintTemplate) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "workflow_key": t.workflow_key,
        "node": t.node,
        "category": t.category,
        "body": t.body,
        "enabled": t.enabled,
        "updated_at": t.updated_at.isoformat() if t.updated_at else None,
    }


async def _cleaned(
    session: AsyncSession, values: dict[str, Any], current: PrintTemplate | None
) -> dict[str, Any]:
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in set(values) - {"name", "workflow_key", "node", "category", "body"}:
        problems[name] = "field_unknown"
    limits = {"name": 100, "workflow_key": 64, "node": 64, "category": 32, "body": BODY_LIMIT}
    out.update(clean_texts(values, limits, problems, verbatim=("body",)))
    merged = {**(view(current) if current else {}), **out}
    for name in ("name", "workflow_key", "body"):
        if name not in problems and not str(merged.get(name) or "").strip():
            problems[name] = "field_required"
    if "workflow_key" not in problems and merged.get("workflow_key"):
        body = await session.scalar(
            select(WorkflowDefinition.body)
            .where(WorkflowDefinition.key == merged["workflow_key"])
            .order_by(WorkflowDefinition.version.desc())
            .limit(1)
        )
        if body is None:
            problems["workflow_key"] = "field_unknown_workflow"
        elif merged.get("node") and merged["node"] not in {n.get("id") for n in body.get("nodes") or []}:
            problems["node"] = "field_unknown_step"
    if "body" not in problems and merged.get("body"):
        try:
            render_template(merged["body"], SAMPLE_CONTEXT)
        except PrintTemplateUnsafe:
            problems["body"] = "template_unsafe"
        except PrintTemplateTooCostly:
            problems["body"] = "template_too_costly"
        except PrintTemplateError:
            problems["body"] = "template_invalid"
    if not problems:
        clash = await session.scalar(
            select(PrintTemplate.id).where(
                PrintTemplate.workflow_key == merged["workflow_key"],
                PrintTemplate.node == (merged.get("node") or ""),
                PrintTemplate.category == (merged.get("category") or ""),
                PrintTemplate.id != (current.id if current else -1),
            )
        )
        if clash is not None:
            problems["node"] = "field_duplicate"
    if problems:
        raise FieldErrors(problems)
    return out


async def create_template(session: AsyncSession, actor: User | None, values: dict[str, Any]) -> PrintTemplate:
    require_admin(actor, "change print templates")
    row = PrintTemplate(
        **{"node": "", "category": "", **await _cleaned(session, values, None)},
        updated_by_id=actor.id if actor else None,
    )
    session.add(row)
    await session.flush()
    await record(session, actor, "print_template.create", "print_template", row.id, after=view(row))
    return row


async def get_template(session: AsyncSession, template_id: int) -> PrintTemplate:
    return await known(session, PrintTemplate, template_id, "print_template", "print template")


async def update_template(
    session: AsyncSession, actor: User | None, template_id: int, values: dict[str, Any]
) -> PrintTemplate:
    """Edits in place; the audit row keeps the body before and after."""
    require_admin(actor, "change print templates")
    row = await get_template(session, template_id)
    changes = {**await _cleaned(session, values, row), "updated_by_id": actor.id if actor else None}
    await record_change(session, actor, row, changes, view, "print_template.update", "print_template")
    return row


async def set_enabled(
    session: AsyncSession, actor: User | None, template_id: int, enabled: bool
) -> PrintTemplate:
    require_admin(actor, "change print templates")
    row = await get_template(session, template_id)
    changes = {"enabled": enabled, "updated_by_id": actor.id if actor else None}
    action = "print_template.enable" if enabled else "print_template.disable"
    await record_change(session, actor, row, changes, view, action, "print_template")
    return row


async def listing(session: AsyncSession, workflow_key: str = "") -> list[PrintTemplate]:
    stmt = select(PrintTemplate).order_by(
        PrintTemplate.workflow_key, PrintTemplate.node, PrintTemplate.category
    )
    if workflow_key:
        stmt = stmt.where(PrintTemplate.workflow_key == workflow_key)
    return list(await session.scalars(stmt))
