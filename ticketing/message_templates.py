"""Message templates per category × step (短信 / 邮件 / 传真模板): the admins' register.

A template is jinja2 text for the notifications' sandbox (``notify``), over the order, its
form, the customer, the site, the deadline and, at a contractor's step, the contractor. An
``auto_send`` template goes out when an order of its category enters its step (``send_on:
enter``, every time; ``first_enter``, the first time only) or leaves it (``leave``, whichever
exit it takes), to the
customer, to the operators the order waits for at the step (``handler``) or to the step's
contractor (``audience``); the others are sent by hand from an
order (a customer's SMS or email from 发短信 / 发邮件, ``agent_ui.order_messages``, at a step the
order is at or has been at), and the fax ones are the texts an agent may fax. Saving
checks that the template compiles and renders on a sample order within a render's budget
(``template_budget``: loops nested over thousands are ``template_too_costly``), that the
category has a workflow with that step (one dispatching to a contractor for ``audience: contractor``), that an
email has a subject, that it has a name (名称: what the admins, the workflow editor's reminder
picker, the 停用 warning and the audit log call it) no other enabled template has, and that no
other enabled template has the same category × step × channel × audience (disable the other one
first). Every change is audited; the
auto-send cache (``cached``) drops a template as soon as its change is flushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record, record_change
from ticketing.errors import FieldErrors, clean_texts, require_admin
from ticketing.ids import known
from ticketing.models import (
    Category,
    Customer,
    NotificationTemplate,
    Site,
    User,
    WorkflowDefinition,
    WorkOrder,
)
from ticketing.notify import TemplateError, TemplateTooCostly, context_of, merge_fields, render

CHANNELS = ("sms", "email", "fax")
AUDIENCES = ("customer", "handler", "contractor")
#: when an auto-sent template goes out: on every entry into its step, on the first one only, or
#: when the order leaves the step (notify.on_enter / notify.on_leave)
SEND_ON = ("enter", "first_enter", "leave")
BODY_LIMIT = 20_000
NAME_LIMIT = 64
_TEXT_LIMITS = {
    "name": NAME_LIMIT,
    "category": 32,
    "node": 64,
    "channel": 8,
    "audience": 16,
    "send_on": 12,
    "subject": 200,
    "body": BODY_LIMIT,
}
_FLAGS = ("auto_send", "enabled")
SAMPLE_CONTEXT: dict[str, Any] = {
    "order": {"number": "GZ2026112600001", "status": "处理中", "category": "fault", "title": "停电"},
    "form": {"故障地址": "某路 1 号"},
    "customer": {"name": "客户", "account_no": "0000000001", "address": "某路 1 号"},
    "site": {"code": "440100", "name": "广州供电局"},
    "due_at": "2026-11-26 18:00",
    "contractor": {"name": "外委单位", "contact_person": "联系人"},
}


def view(t: NotificationTemplate) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "category": t.category,
        "node": t.node,
        "channel": t.channel,
        "audience": t.audience,
        "subject": t.subject,
        "body": t.body,
        "auto_send": t.auto_send,
        "send_on": t.send_on,
        "enabled": t.enabled,
    }


async def _steps_of(session: AsyncSession, category: str) -> dict[str, bool] | None:
    """The step ids of the category's enabled workflows, each with whether it dispatches to a
    contractor (a node with ``contractor:``) in one of them; None when the category has none.
    A top category taking orders on another's workflow (协调单 on 故障报修's) has that one's
    steps: its own templates come before the workflow's category's (categories.own_first)."""
    keys = set(
        await session.scalars(
            select(Category.workflow_key).where(
                Category.code == category, Category.parent_id.is_(None), Category.workflow_key != ""
            )
        )
    )
    rows = await session.execute(
        select(WorkflowDefinition.key, WorkflowDefinition.body).where(WorkflowDefinition.enabled.is_(True))
    )
    steps: dict[str, bool] | None = None
    for key, body in rows.all():
        if body.get("category") == category or key in keys:
            steps = steps or {}
            for node in body.get("nodes") or []:
                step = str(node.get("id"))
                steps[step] = steps.get(step, False) or node.get("contractor") is not None
    return steps


async def _workflow_fields(session: AsyncSession, category: str) -> list[str]:
    """The form fields of the category's enabled workflows (as ``_steps_of`` finds them), in
    their definitions' order."""
    keys = set(
        await session.scalars(
            select(Category.workflow_key).where(
                Category.code == category, Category.parent_id.is_(None), Category.workflow_key != ""
            )
        )
    )
    rows = await session.execute(
        select(WorkflowDefinition.key, WorkflowDefinition.body)
        .where(WorkflowDefinition.enabled.is_(True))
        .order_by(WorkflowDefinition.key, WorkflowDefinition.version.desc())
    )
    names: list[str] = []
    for key, body in rows.all():
        if body.get("category") == category or key in keys:
            names += [str(n) for n in (body.get("fields") or {}) if str(n) not in names]
    return names


async def picker(session: AsyncSession, category: str = "", node: str = "") -> list[dict[str, str]]:
    """The merge fields a template of ``category`` × ``node`` can use (``notify.merge_fields``):
    the order, the category's workflows' form fields, the customer, the site, the deadline, and
    the contractor at a step that dispatches to one."""
    steps = await _steps_of(session, category) if category else None
    fields = await _workflow_fields(session, category) if category else []
    return merge_fields(fields, contractor=bool(steps and steps.get(node)))


def sample_context(category: str, fields: list[str], *, missing: bool = False) -> dict[str, Any]:
    """A made-up order of ``category`` to preview a template on, built as a real one is
    (``notify.context_of``); ``missing``: one with nothing to say (no customer, no site, an empty
    form, no deadline), to see the ``fallback`` defaults."""
    import datetime as dt

    order = WorkOrder(
        number="GZ2026112600001",
        category=category,
        subcategory="",
        status="处理中",
        severity="",
        title="" if missing else "停电",
        caller_number="" if missing else "13800000000",
        workflow_key="",
        current_node="",
        form={} if missing else {name: f"（{name}）" for name in fields},
        due_at=None if missing else dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
    )
    customer = (
        None
        if missing
        else Customer(name="张三", account_no="0000000001", address="某路 1 号", tier="普通", remark="")
    )
    site = (
        None if missing else Site(code="440100", name="广州供电局", kind="bureau", timezone="Asia/Shanghai")
    )
    context = context_of(order, customer, site)
    context["contractor"] = None if missing else SAMPLE_CONTEXT["contractor"]
    return context


async def preview(session: AsyncSession, values: dict[str, Any]) -> dict[str, str]:
    """``subject`` and ``body`` rendered on a sample order of ``category`` (``sample_context``),
    in the sandbox and budget of a real send; refused as a save would be (``template_invalid``,
    ``template_too_costly`` naming the field)."""
    category = str(values.get("category") or "")[:32]
    context = sample_context(
        category,
        await _workflow_fields(session, category) if category else [],
        missing=values.get("missing") is True,
    )
    out: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in ("subject", "body"):
        text = values.get(name) or ""
        if not isinstance(text, str) or len(text) > _TEXT_LIMITS[name]:
            problems[name] = "field_not_text" if not isinstance(text, str) else "field_too_long"
            continue
        try:
            out[name] = render(text, context)
        except TemplateTooCostly:
            problems[name] = "template_too_costly"
        except TemplateError:
            problems[name] = "template_invalid"
    if problems:
        raise FieldErrors(problems)
    return out


async def _cleaned(
    session: AsyncSession, values: dict[str, Any], current: NotificationTemplate | None
) -> dict[str, Any]:
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in set(values) - set(_TEXT_LIMITS) - set(_FLAGS):
        problems[name] = "field_unknown"
    out.update(clean_texts(values, _TEXT_LIMITS, problems, verbatim=("body",)))
    for name in _FLAGS:
        if name in values:
            if isinstance(values[name], bool):
                out[name] = values[name]
            else:
                problems[name] = "field_not_boolean"
    merged = {**(view(current) if current else {"audience": "customer"}), **out}
    for name in ("name", "category", "node", "channel", "body"):
        if name not in problems and not str(merged.get(name) or "").strip():
            problems[name] = "field_required"
    if "channel" not in problems and merged.get("channel") and merged["channel"] not in CHANNELS:
        problems["channel"] = "field_bad_option"
    if "audience" not in problems and merged.get("audience") not in AUDIENCES:
        problems["audience"] = "field_bad_option"
    if "send_on" not in problems and merged.get("send_on", "enter") not in SEND_ON:
        problems["send_on"] = "field_bad_option"
    if merged.get("audience") == "contractor" and merged.get("send_on", "enter") != "enter":
        # a contractor's is sent on dispatch (ticketing.contractors), by nothing else
        problems.setdefault("send_on", "field_bad_option")
    if merged.get("audience") == "handler" and merged.get("send_on") == "leave":
        # the step left waits for nobody any more: it is the next step's handlers who are told
        problems.setdefault("send_on", "field_bad_option")
    if merged.get("channel") == "email" and "subject" not in problems and not merged.get("subject"):
        problems["subject"] = "field_required"
    if "category" not in problems and merged.get("category"):
        steps = await _steps_of(session, merged["category"])
        if steps is None:
            problems["category"] = "field_unknown_category"
        elif "node" not in problems and merged.get("node"):
            if merged["node"] not in steps:
                problems["node"] = "field_unknown_step"
            elif merged["audience"] == "contractor" and not steps[merged["node"]]:
                problems.setdefault("audience", "field_not_contractor_step")
    for name in ("subject", "body"):
        if name not in problems and merged.get(name):
            try:
                render(merged[name], SAMPLE_CONTEXT)
            except TemplateTooCostly:
                problems[name] = "template_too_costly"
            except TemplateError:
                problems[name] = "template_invalid"
    if not problems and merged.get("enabled", True):
        clash = await session.scalar(
            select(NotificationTemplate.id)
            .where(
                NotificationTemplate.category == merged["category"],
                NotificationTemplate.node == merged["node"],
                NotificationTemplate.channel == merged["channel"],
                NotificationTemplate.audience == merged["audience"],
                NotificationTemplate.enabled.is_(True),
                NotificationTemplate.id != (current.id if current else -1),
            )
            .limit(1)
        )
        if clash is not None:
            problems["node"] = "template_duplicate"
    if (
        "name" not in problems
        and merged.get("enabled", True)
        and await _name_taken(session, merged["name"], current)
    ):
        problems["name"] = "template_name_taken"
    if problems:
        raise FieldErrors(problems)
    return out


async def _name_taken(session: AsyncSession, name: str, current: NotificationTemplate | None) -> bool:
    """Whether another enabled template is called ``name``: one name, one template among those
    in use; a 停用 one may share it (the one it was replaced by), and is refused when enabled
    again until one of the two is renamed."""
    other = await session.scalar(
        select(NotificationTemplate.id)
        .where(
            NotificationTemplate.name == name,
            NotificationTemplate.enabled.is_(True),
            NotificationTemplate.id != (current.id if current else -1),
        )
        .limit(1)
    )
    return other is not None


async def get_template(session: AsyncSession, template_id: int) -> NotificationTemplate:
    return await known(
        session, NotificationTemplate, template_id, "notification_template", "message template"
    )


async def create_template(
    session: AsyncSession, actor: User | None, values: dict[str, Any]
) -> NotificationTemplate:
    require_admin(actor, "change message templates")
    defaults = {
        "subject": "",
        "audience": "customer",
        "send_on": "enter",
        "auto_send": False,
        "enabled": True,
    }
    row = NotificationTemplate(**{**defaults, **await _cleaned(session, values, None)})
    session.add(row)
    await session.flush()
    await record(session, actor, "message_template.create", "notification_template", row.id, after=view(row))
    return row


async def update_template(
    session: AsyncSession, actor: User | None, template_id: int, values: dict[str, Any]
) -> NotificationTemplate:
    """Edits in place; the audit row keeps the template before and after."""
    require_admin(actor, "change message templates")
    row = await get_template(session, template_id)
    changes = await _cleaned(session, values, row)
    await record_change(
        session, actor, row, changes, view, "message_template.update", "notification_template"
    )
    return row


async def reminder_template(session: AsyncSession, channel: str, picked: Any) -> NotificationTemplate | None:
    """The template a workflow's reminder picks for ``channel`` (``templates:`` in its YAML): by
    id, that row, whatever it is (``{sms: 12}``, versions stored before templates were named);
    by ``{category, node}``, the ``channel`` template to the handler there, the enabled one
    (one at a time, ``template_duplicate``), else the latest 停用 one (for the import to say
    so); None when there is none."""
    if isinstance(picked, int) and not isinstance(picked, bool):
        return await session.get(NotificationTemplate, picked)
    if not isinstance(picked, Mapping):
        return None
    return await session.scalar(
        select(NotificationTemplate)
        .where(
            NotificationTemplate.category == str(picked.get("category") or ""),
            NotificationTemplate.node == str(picked.get("node") or ""),
            NotificationTemplate.channel == channel,
            NotificationTemplate.audience == "handler",
        )
        .order_by(NotificationTemplate.enabled.desc(), NotificationTemplate.id.desc())
        .limit(1)
    )


async def listing(session: AsyncSession, category: str = "") -> list[NotificationTemplate]:
    stmt = select(NotificationTemplate).order_by(
        NotificationTemplate.category,
        NotificationTemplate.node,
        NotificationTemplate.channel,
        NotificationTemplate.id,
    )
    if category:
        stmt = stmt.where(NotificationTemplate.category == category)
    return list(await session.scalars(stmt))
