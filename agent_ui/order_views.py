"""Work orders shaped for the console: fields with this node's permissions, the timeline.

Reads only; every change goes through ``ticketing.workflow``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.jsonable import jsonable
from ticketing import contractors, directory, surveys
from ticketing.categories import named_at, subcategories
from ticketing.models import (
    Assignment,
    Category,
    Comment,
    Customer,
    Interaction,
    Notification,
    OrderAlert,
    OrderLink,
    User,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.notify import template_failed
from ticketing.screen_alerts import NOT_IN_HISTORY, about_view
from ticketing.screen_pop import A_CONTACT
from ticketing.sms_status import delivery_view
from ticketing.workflow import extensions, store
from ticketing.workflow.actions import SUPERVISORS, VOIDERS, anyone_to_forward_to, may_take_over, stranded
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.steps import button_name, with_subtype_fields

#: interaction kinds whose file the console can open (player or PDF)
MEDIA_KINDS = {"call": "recording", "recording": "recording", "voicemail": "voicemail", "fax": "fax"}


#: the limits ticketing.workflow.forms checks on save, sent so the input carries them too
#: (min/max on a number, max_length on text): the agent sees them while typing, not after saving
LIMITS = ("min", "max", "max_length")


def _field_view(name: str, spec: Any, permission: str, value: Any) -> dict[str, Any]:
    spec = dict(spec or {})
    view = {
        "name": name,
        "label": spec.get("label") or name,
        "type": spec.get("type", "text"),
        "options": list(spec.get("options") or []),
        "permission": permission,
        "value": value,
    }
    view.update({k: spec[k] for k in LIMITS if spec.get(k) is not None})
    if spec.get("default") is not None:
        # what the page fills an empty editable input with (``default: now``: the time it is shown)
        view["default"] = spec["default"]
    return view


def subtype_field_views(definition: Definition, form_schema: Any) -> list[dict[str, Any]]:
    """A subcategory's own form at intake, editable (ticketing merges it into the order's);
    a field the workflow has already is the workflow's. Each carries the limits the server
    holds it to (a text field's default max_length too): the page has no copy of its own."""
    return [
        _field_view(name, spec, "editable", None)
        for name, spec in definition.subtype_fields(form_schema).items()
    ]


def field_views(
    definition: Definition, node: Node, form: dict[str, Any], *, holds_step: bool = True
) -> list[dict[str, Any]]:
    """The fields ``node`` shows, with their permission there; a field required while a
    condition holds (``required_when``: 故障范围 while 大面积停电 is ticked) carries the condition,
    for the console to mark it required while the form meets it (forms.js).

    ``holds_step`` false (the viewer holds no pending assignment of the step: someone else's
    满意度回访, a step handed on): the same fields, every one read-only. Nothing they type there
    could be saved (the step's actions are its holder's), as on a closed order."""
    views = ((name, spec, definition.permission(node, name)) for name, spec in definition.fields.items())
    shown = [
        _field_view(name, spec, permission if holds_step else "visible", form.get(name))
        for name, spec, permission in views
        if permission != "hidden"
    ]
    for view in shown:
        if holds_step and view["name"] in node.required_when:
            view["required_when"] = node.required_when[view["name"]]
    return shown


def closed_field_views(definition: Definition, form: dict[str, Any]) -> list[dict[str, Any]]:
    """A closed order's form: every field it recorded along its steps, read-only (no step is
    left to edit or require anything), in the workflow's order."""
    return [
        _field_view(name, spec, "visible", form.get(name))
        for name, spec in definition.fields.items()
        if form.get(name) not in (None, "", [], False)
    ]


async def linked_orders(db: AsyncSession, order: WorkOrder) -> list[dict[str, Any]]:
    """The orders linked to this one, each way: ``source`` is the order this one came from
    (来源工单, e.g. the fault order a visit-back complaint was opened from), ``linked`` one
    that came from it (关联工单); ``kind`` is the link's (follow_up_complaint, coordination…)."""
    rows = await db.execute(
        select(OrderLink, WorkOrder)
        .join(
            WorkOrder,
            or_(
                (OrderLink.from_order_id == order.id) & (WorkOrder.id == OrderLink.to_order_id),
                (OrderLink.to_order_id == order.id) & (WorkOrder.id == OrderLink.from_order_id),
            ),
        )
        .order_by(OrderLink.id)
    )
    return [
        {
            "role": "linked" if link.from_order_id == order.id else "source",
            "kind": link.kind,
            "id": other.id,
            "number": other.number,
            "category": other.category,
            "status": other.status,
            "title": other.title,
            "is_open": other.is_open,
        }
        for link, other in rows
    ]


def customer_view(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "account_no": customer.account_no,
        "name": customer.name,
        "address": customer.address,
        "tier": customer.tier,
        "site_id": customer.site_id,  # 停电信息 from the order opens on the notices of its site
    }


async def subcategory_names(db: AsyncSession, orders: Sequence[WorkOrder]) -> dict[int, str]:
    """Each order's subcategory by its name (一类投诉, not ``complaint_1``): the category of that
    code its site is offered (its own, else the nearest site's above it, else the shared one:
    ``categories.named_at``); a code no category has any more stays as it is."""
    codes = {o.subcategory for o in orders if o.subcategory}
    if not codes:
        return {}
    rows = await db.execute(
        select(Category.code, Category.site_id, Category.name).where(Category.code.in_(codes))
    )
    named = {(code, site_id): name for code, site_id, name in rows}
    known = await directory.load(db)
    return {
        o.id: named_at(named, o.subcategory, known.lineage(o.site_id)) or o.subcategory
        for o in orders
        if o.subcategory
    }


def order_summary(
    order: WorkOrder, now: dt.datetime | None = None, subcategory_name: str = ""
) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": order.id,
        "number": order.number,
        "category": order.category,
        "subcategory": order.subcategory,
        "subcategory_name": subcategory_name or order.subcategory,
        "status": order.status,
        "title": order.title,
        "caller_number": order.caller_number,
        "is_open": order.is_open,
        "created_at": jsonable(order.created_at),
        "due_at": jsonable(order.due_at),
        "overdue": bool(order.is_open and order.due_at and order.due_at < now),
    }


async def _category_name(db: AsyncSession, order: WorkOrder, definition: Any) -> str:
    """The order's 业务大类别 as lists name it: its workflow's own category by the workflow, one
    that takes orders on another's workflow (用户信息查询 on 信息咨询's) by its own name."""
    if order.category == definition.category:
        return definition.name
    rows = await db.execute(
        select(Category.site_id, Category.name).where(
            Category.code == order.category, Category.parent_id.is_(None)
        )
    )
    named = {(order.category, site_id): name for site_id, name in rows}
    levels = (await directory.load(db)).lineage(order.site_id)
    return named_at(named, order.category, levels) or order.category


def media_url(interaction: Interaction) -> str | None:
    if interaction.kind not in MEDIA_KINDS:
        return None
    if interaction.kind == "call" and not interaction.file_path:
        return None  # not recorded (nobody answered, or recording is off)
    call_id = (interaction.payload or {}).get("call_id") or interaction.external_id
    return file_url(interaction.kind, call_id)


async def order_view(db: AsyncSession, user: User, order: WorkOrder) -> dict[str, Any]:
    definition = await with_subtype_fields(
        db, await store.definition_for(db, order.workflow_id), order.subcategory
    )
    node = definition.node(order.current_node)
    pending = list(
        await db.scalars(
            select(Assignment)
            .where(Assignment.order_id == order.id, Assignment.state == "pending")
            .order_by(Assignment.seq, Assignment.id)
        )
    )
    mine = order.is_open and any(a.user_id == user.id for a in pending)
    people = await _names(
        db, {a.user_id for a in pending} | ({order.created_by_id} if order.created_by_id else set())
    )
    held = [a for a in pending if a.node == order.current_node]
    is_stranded = await stranded(db, order)
    customer = await db.get(Customer, order.customer_id) if order.customer_id else None
    view = order_summary(order, subcategory_name=(await subcategory_names(db, [order])).get(order.id, ""))
    view.update(
        {
            "category_name": await _category_name(db, order, definition),
            "workflow": {
                "key": order.workflow_key,
                "version": order.workflow_version,
                "name": definition.name,
            },
            "node": {
                "id": node.id,
                "name": node.name or node.status,
                "type": node.type,
                "status": node.status,
            },
            "customer": customer_view(customer),
            "created_by": people.get(order.created_by_id),
            # at 满意度回访, the recorded survey's level (and 回访意见) in the step's greyed fields
            "form": field_views(
                definition,
                node,
                {**order.form, **await surveys.recorded_fields(db, order, definition, node)},
                holds_step=mine,
            )
            if order.is_open
            else closed_field_views(definition, order.form),
            # what the order's subcategory decides (高压新装: 业务类型) among the fields this step lets
            # its holder change (nobody else changes any): set and locked on the page as at the seat's intake (forms.js lockBound;
            # the server refuses a contradiction, forms.changed_form), e.g. on the create step
            # of an order taken in from the inbox
            "bound": {
                name: value
                for name, value in definition.bound.items()
                if mine and definition.permission(node, name) in ("editable", "required")
            },
            # the step's 处理意见 as a field of its form (回复客户's): the page's one opinion box
            # there, in place of its generic one (the action's words are the field's)
            "opinion_field": definition.opinion_field(node) if order.is_open else None,
            "links": await linked_orders(db, order),
            "my_step": mine,
            "actions": _actions(node, mine, order),
            "exits": [
                {"to": ex.to, "name": ex.name or definition.node(ex.to).name or definition.node(ex.to).status}
                for ex in node.exits
                if ex.kind == "normal"
            ],
            # 退回 as the workflow names it (故障报修's 接收确认: 退单)
            "reject_name": button_name(node, "reject"),
            # 批准 as the step names it (故障报修's 接收确认: 接收确认); "" is 批准
            "approve_name": button_name(node, "approve"),
            "free_routing": node.free_routing,
            # 自由流转: any later step may be picked, not only the drawn exits
            "route_nodes": [
                {"to": n.id, "name": n.name or n.status}
                for n in definition.nodes
                if n.id != node.id and n.type != "create"
            ]
            if node.free_routing and mine
            else [],
            "handlers": [{**people.get(a.user_id, {}), "node": a.node, "mode": a.mode} for a in pending],
            # 待改派: nobody active holds the current step (its handler was disabled or moved)
            "stranded": is_stranded,
            "manage": _manage(user, order, mine, is_stranded, [people.get(a.user_id, {}) for a in held]),
            # an action of ``manage`` the server would refuse as things stand, and why: 转派 at
            # a step whose rules name nobody but its holder (the page shows it disabled, the
            # reason on hover, instead of a 交给 list with nobody in it)
            "manage_blocked": {"forward": "no_other_operator"}
            if mine and not await anyone_to_forward_to(db, order)
            else {},
            # 延期: the request waiting at this step, and whether this user may ask or answer
            "extension": await _extension(db, user, order, definition, node, mine),
            "category_locked": order.category_locked,
            # the create step's 小类别 to pick, for its holder, where the category has some at the
            # order's site (提交 there names a blank one required, as the seat's intake does)
            "subcategories": [
                {"code": entry.code, "name": entry.name}
                for entry in await subcategories(db, order.site_id, order.category)
            ]
            if mine and node.type == "create"
            else [],
            "timeline": await timeline(db, order, definition),
            # 外委: the step's dispatch and the contractor's reply, once recorded
            "contractor": await contractors.dispatch_view(db, order) if node.contractor else None,
            "print_url": f"/orders/{order.id}/print",
        }
    )
    return view


async def _extension(
    db: AsyncSession, user: User, order: WorkOrder, definition: Definition, node: Node, mine: bool
) -> dict[str, Any] | None:
    """延期 on the order page: ``may_request`` for the step's holder while it has a deadline and
    no request waits; ``pending`` (the request) and ``may_decide`` for its approvers."""
    if not order.is_open:
        return None
    asked = await extensions.pending(db, order)
    decide = (
        asked is not None
        and asked.user_id != user.id
        and await extensions.may_decide(db, user, order, node, definition)
    )
    who = (await _names(db, {asked.user_id})).get(asked.user_id) if asked is not None else None
    return {
        "may_request": bool(mine and order.due_at is not None and asked is None),
        "may_decide": decide,
        "pending": {
            "id": asked.id,
            "due_at": asked.extra.get("due_at"),
            "was": asked.extra.get("was"),
            "reason": asked.text,
            "at": jsonable(asked.created_at),
            "user": {k: who[k] for k in ("staff_no", "name")} if who else None,
        }
        if asked is not None
        else None,
    }


def _actions(node: Node, mine: bool, order: WorkOrder) -> list[str]:
    if not order.is_open or not mine:
        return []
    actions = ["save"]
    if node.type == "approve":
        actions += ["approve", "reject"]
    else:
        actions.append("submit")
    return actions


def _manage(
    user: User, order: WorkOrder, mine: bool, is_stranded: bool, holders: list[dict[str, Any]]
) -> list[str]:
    """The actions beside the step's own that ``ticketing.workflow.actions`` lets this user take:
    转派 their step, 改派 / 督办 as a team leader or supervisor, 强制归档 as a supervisor, 接手
    a step nobody active holds (``may_take_over``), 作废 as a team leader or above."""
    if not order.is_open:
        return []
    manage = ["forward"] if mine else []
    if user.has_role(*SUPERVISORS):
        manage += ["reassign", "supervise"]
    elif is_stranded and may_take_over(user, [h.get("roles") for h in holders]):
        manage.append("take_over")
    if user.has_role("supervisor", "admin"):
        manage.append("force_archive")
    if user.has_role(*VOIDERS):
        manage.append("void")
    return manage


async def _agents_by_staff_no(db: AsyncSession, staff_nos: set[str | None]) -> dict[str, dict[str, str]]:
    """Agents by 工号, as the timeline names a person (``{staff_no, name}``); one not found is left out."""
    staff_nos = {no for no in staff_nos if no}
    if not staff_nos:
        return {}
    rows = await db.execute(select(User.staff_no, User.name).where(User.staff_no.in_(staff_nos)))
    return {no: {"staff_no": no, "name": name} for no, name in rows}


async def _names(db: AsyncSession, ids: set[int | None]) -> dict[int, dict[str, Any]]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = await db.execute(
        select(User.id, User.staff_no, User.name, User.active, User.roles).where(User.id.in_(ids))
    )
    return {
        uid: {"id": uid, "staff_no": staff_no, "name": name, "active": active, "roles": list(roles or [])}
        for uid, staff_no, name, active, roles in rows
    }


#: the actions that complete a step: the status change they cause names who took them
STEP_ACTIONS = ("create", "submit", "approve", "reject", "force_archive", "void")
#: a status change and the opinion behind it are written by one request, the opinion just after
SAME_ACTION = dt.timedelta(seconds=5)


def _staff_nos(value: Any) -> list[str]:
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _utc(value: dt.datetime | str) -> dt.datetime:
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


def _actors(order: WorkOrder, comments: list[Comment]) -> tuple[list[Comment | None], set[int]]:
    """For each of the order's status changes the step's opinion (comment) that caused it, and the
    ids of the opinions so matched. ``status_times`` keeps no user: the action's ``now`` is the
    change's time and its opinion is written just after, so a change belongs to the first opinion
    of a step-completing action at or shortly after it (one each while there are any: 受理 and
    its 提交 at once are two changes at one time); a timer's change has none near it."""
    steps = sorted(
        (c for c in comments if c.action in STEP_ACTIONS), key=lambda c: (_utc(c.created_at), c.id)
    )
    used: set[int] = set()
    found: list[Comment | None] = []
    for change in order.status_times:
        at = _utc(change["at"])
        near = [c for c in steps if at <= _utc(c.created_at) <= at + SAME_ACTION]
        match = next((c for c in near if c.id not in used), near[-1] if near else None)
        if match is not None:
            used.add(match.id)
        found.append(match)
    return found, used


#: Per channel, what the gateway's error says (GatewayError's text, ticketing.notify) → the kind
#: the agent is told (texts ``delivery.failure.<kind>``), the first match winning. Fax: Asterisk's
#: outcome (FAXSTATUS / DIALSTATUS, then FAXERROR). SMS: the HTTP gateway's status ("answered 400:
#: …") or its being out of reach. Email: smtplib's exception: a refused recipient is
#: ``{'a@b': (550, b'…')}``, any other answer ``(554, b'…')``; 4xx is a temporary refusal.
FAILURES: dict[str, tuple[tuple[str, str], ...]] = {
    "fax": (
        ("BUSY", "busy"),
        ("NOANSWER", "no_answer"),
        ("CONGESTION", "unreachable"),
        ("CHANUNAVAIL", "unreachable"),
        ("CANCEL", "unreachable"),
        ("TIMEOUT", "timeout"),
        ("HANGUP", "hung_up"),
        ("dropped", "dropped"),
        ("Timed out", "not_fax"),
        ("No response", "not_fax"),
        ("training", "not_fax"),
        ("resolution", "not_fax"),
        ("Asterisk:", "system"),
        ("document", "system"),
    ),
    "sms": (
        (r"answered (401|403)\b", "config"),
        (r"answered 429\b", "later"),
        (r"answered 4\d\d\b", "refused"),
        (r"answered 5\d\d\b", "system"),
        (r"timeout|timed out", "timeout"),
        (r"unreachable", "system"),
    ),
    "email": (
        (r"^\{.*: \(5\d\d\b", "address"),
        (r"^\{.*: \(4\d\d\b", "later"),
        (r"\((530|534|535)\b|authentication", "config"),
        (r"^\(4\d\d\b", "later"),
        (r"^\(5\d\d\b", "refused"),
        (r"timed out|timeout", "timeout"),
        (r"refused|unreachable|not known|name resolution|closed|no route", "system"),
    ),
}


def failure(channel: str, error: str) -> str:
    """The kind of a failed SMS, email or fax, for the agent; the raw error stays as detail."""
    if template_failed(error):
        # sent by itself (entering a step, a contractor's dispatch): its template could not be
        # filled, nothing went out, and 重发 has nothing to send
        return "template"
    reason = error
    if channel == "fax":
        # "fax to 0208…: BUSY" (the number's digits must not match); Asterisk's words as found
        reason = error.split(": ", 1)[1] if error.startswith("fax to ") and ": " in error else error
        rules = [(re.escape(needle), kind) for needle, kind in FAILURES["fax"]]
    else:
        if channel == "email" and " failed: " in error:
            reason = error.split(" failed: ", 1)[1]  # "SMTP to a@b failed: {smtplib's words}"
        rules = list(FAILURES.get(channel, ()))
    for pattern, kind in rules:
        if re.search(pattern, reason, re.IGNORECASE):
            return kind
    return "other"


async def _staff_addresses(db: AsyncSession, recipients: set[str]) -> dict[str, dict[str, Any]]:
    """Recipients that are a user's own phone, email or 工号: reminders and alerts to staff."""
    if not recipients:
        return {}
    rows = await db.execute(
        select(User.id, User.staff_no, User.name, User.phone, User.email).where(
            or_(User.phone.in_(recipients), User.email.in_(recipients), User.staff_no.in_(recipients))
        )
    )
    found: dict[str, dict[str, Any]] = {}
    for uid, staff_no, name, phone, email in rows:
        for address in (phone, email, staff_no):
            if address in recipients:
                found.setdefault(address, {"id": uid, "staff_no": staff_no, "name": name})
    return found


async def timeline(
    db: AsyncSession, order: WorkOrder, definition: Definition | None = None
) -> list[dict[str, Any]]:
    """处理过程: statuses with who caused them, opinions, calls, messages. A step without an
    opinion still names its operator (on its status change, else as its own entry); an automatic
    action is the system's (``user`` null, ``system`` true).

    An action and the status change it caused are one thing said once: the change names its
    action (``comment_id``, ``action``, ``action_name``, ``node_name``: 接收确认's 批准 that made
    the status 接收确认; ``exit_name``: the named exit it took, 回复客户's 重新派工), and an
    action's entry kept for its opinion names the status it led to (``led_to``), so the page
    draws one line for them, the status worded as a status."""
    entries: list[dict[str, Any]] = []
    comments = list(
        await db.scalars(select(Comment).where(Comment.order_id == order.id).order_by(Comment.id))
    )
    names = await _names(db, {c.user_id for c in comments})
    actors, matched = _actors(order, comments)
    node_names = {n.id: n.name or n.status for n in definition.nodes} if definition else {}
    # the step's own name of what was done there (接收确认's 批准 is 接收确认, its 退回 退单), as
    # its button, the print and the audit log say it
    step_nodes = {n.id: n for n in definition.nodes} if definition else {}

    def action_name(c: Comment) -> str:
        return button_name(step_nodes[c.node], c.action) if c.node in step_nodes else ""

    def sent_back_to(c: Comment, status: str | None) -> str | None:
        """The step a 退回 sent the order back to, by name (受理): of the step's reject exits (by
        default the create step, as ``engine.reject`` goes), the one whose status the order took."""
        node = step_nodes.get(c.node)
        if c.action != "reject" or node is None or definition is None:
            return None
        targets = [step_nodes[ex.to] for ex in node.exits if ex.kind == "reject" and ex.to in step_nodes]
        targets.append(definition.create_node)
        back = next((n for n in targets if n.status == status), targets[0])
        return back.name or back.status

    def exit_taken(c: Comment | None, status: str | None) -> str:
        """The named exit a 提交 took (回复客户's 重新派工, 派工's 外委派工), as the workflow names it:
        of the step's exits, those to a step of the status the order took, when they share a
        name; "" for an unnamed or unknown one."""
        node = step_nodes.get(c.node) if c is not None else None
        if node is None or c is None or c.action not in ("submit", "approve") or status is None:
            return ""
        names = {
            ex.name
            for ex in node.exits
            if ex.kind == "normal" and ex.to in step_nodes and step_nodes[ex.to].status == status
        }
        return names.pop() if len(names) == 1 else ""

    led_to: dict[int, str] = {}
    for change, actor in zip(order.status_times, actors, strict=True):
        if actor is not None:
            led_to[actor.id] = change["status"]
        entries.append(
            {
                "at": change["at"],
                "kind": "status",
                "status": change["status"],
                "action": actor.action if actor else None,
                "comment_id": actor.id if actor else None,
                "node": actor.node if actor else None,
                "node_name": node_names.get(actor.node, actor.node) if actor else None,
                "action_name": action_name(actor) if actor else "",
                "exit_name": exit_taken(actor, change["status"]),
                "user": names.get(actor.user_id) if actor else None,
                "system": actor is not None and actor.user_id is None,
            }
        )
    # 转派 / 改派 / 抄送 keep the 工号 they went to: named as the handlers are
    targets = {no for c in comments for no in _staff_nos((c.extra or {}).get("to"))}
    named_staff = (
        {
            no: {"staff_no": no, "name": name}
            for no, name in await db.execute(
                select(User.staff_no, User.name).where(User.staff_no.in_(targets))
            )
        }
        if targets
        else {}
    )
    for c in comments:
        if c.id in matched and not c.text:
            continue  # its status change names who did it
        entries.append(
            {
                "at": jsonable(c.created_at),
                "kind": "comment",
                "id": c.id,
                "action": c.action,
                # the status this action changed the order to, said on its line (not twice)
                "led_to": led_to.get(c.id),
                # 退回 / 退单: the step it went back to (受理), said on its line
                "back_to": sent_back_to(c, led_to.get(c.id)),
                "node": c.node,
                "node_name": node_names.get(c.node, c.node),
                "action_name": action_name(c),
                "exit_name": exit_taken(c, led_to.get(c.id)),
                "text": c.text,
                "user": names.get(c.user_id),
                "system": c.user_id is None,
                "to": (c.extra or {}).get("to"),
                "to_users": [
                    named_staff.get(no, {"staff_no": no, "name": no})
                    for no in _staff_nos((c.extra or {}).get("to"))
                ],
                "urgency": (c.extra or {}).get("urgency"),
                # 作废 of a duplicate: the order it repeats
                "duplicate_of": (c.extra or {}).get("duplicate_of"),
                # 延期: the deadline asked for (or granted)
                "due_at": (c.extra or {}).get("due_at") if c.action.startswith("extend_") else None,
            }
        )
    linked = list(
        await db.scalars(
            select(Interaction)
            .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
            .where(order_interactions.c.order_id == order.id, A_CONTACT)
            .order_by(Interaction.occurred_at)
        )
    )
    callers_back = await _agents_by_staff_no(
        db, {i.agent_id for i in linked if i.kind == "call" and i.direction == "outbound"}
    )
    for item in linked:
        entries.append(
            {
                "at": jsonable(item.occurred_at),
                "kind": item.kind,
                "interaction_id": item.id,
                "direction": item.direction,
                "number": item.number,
                "duration": item.duration,
                "subject": item.subject,
                "content": item.content,
                "agent_id": item.agent_id,
                # a 回呼 (a call out to the customer): who placed it, 潘红（1001）; None when unknown
                "placed_by": callers_back.get(item.agent_id)
                if item.kind == "call" and item.direction == "outbound"
                else None,
                "media_url": media_url(item),
            }
        )
    # SMS, email and faxes sent about the order (workflow templates, KB items, notices), with their
    # outcome. Reminders and overrun alerts to staff (on screen, by SMS or email) are listed too, since who was pressed when is
    # part of the order's history, but as internal alerts with their recipient, apart from what the
    # customer was sent: the page is read to the customer on the phone.
    sent: list[Any] = list(
        await db.scalars(
            select(Notification)
            .where(
                Notification.order_id == order.id,
                Notification.channel.in_(("sms", "email", "fax", "screen")),
                # an order routed to a handler is its status change already, one sent back its
                # 退单 opinion
                Notification.kind.not_in(NOT_IN_HISTORY),
            )
            .order_by(Notification.id)
        )
    )
    # the 提醒 the notices' retention purged from the outbox: kept for the order's history as they
    # were (screen_alerts.purge_read), each with the purged row's id
    sent += await db.scalars(
        select(OrderAlert).where(OrderAlert.order_id == order.id).order_by(OrderAlert.id)
    )
    sent.sort(key=lambda note: note.id)  # as they were made, purged or not
    staff = await _staff_addresses(db, {n.recipient for n in sent if n.channel != "fax"})
    by_id = {note.id: note for note in sent}
    for note in sent:
        to_staff = staff.get(note.recipient)
        failed = note.state == "failed"
        entries.append(
            {
                "at": jsonable(note.created_at),
                "kind": note.channel,
                "notification_id": note.id,
                "direction": "outbound",
                "number": note.recipient,
                "internal": to_staff is not None,
                "to_user": to_staff,
                "urgency": note.urgency if to_staff is not None else None,
                # an alert's subject is "【即将超期】GZ… 标题" (before: "[urgent] GZ…"): this order and
                # what its text says already
                "subject": ""
                if to_staff is not None and note.subject.startswith(("[", "【"))
                else note.subject,
                "content": note.body,
                "state": note.state,
                "error": getattr(note, "error", ""),
                "failure": failure(note.channel, note.error) if failed and note.error else None,
                # an SMS the gateway took: 已提交, then its delivery report (已送达 / 发送失败：原因 / 已过期)
                "delivery": delivery_view(note) if note.channel == "sms" else None,
                "pages": note.pages if note.channel == "fax" else None,
                # a failed message already sent again (重发) offers no second 重发
                "resent_as": note.resent_as if failed else None,
                "media_url": f"/api/faxes/{note.id}/pdf" if note.channel == "fax" else None,
                # a reminder, overrun alert, 督办 … to staff: which, and (on screen) when it was read
                "alert_kind": note.kind or None if to_staff is not None else None,
                "read_at": jsonable(note.read_at) if note.channel == "screen" else None,
                # a 提醒 about an SMS that did not arrive: its fields, for its words in the reader's
                # language (``content`` keeps the Chinese it was stored with)
                "about": about_view(by_id.get(getattr(note, "about_id", None) or 0))
                if to_staff is not None
                else None,
            }
        )
    entries.sort(key=lambda e: str(e["at"]))
    return entries


def file_url(kind: str, call_id: str) -> str | None:
    if not call_id:
        return None
    if kind in ("call", "recording"):
        return f"/recordings/recording/{call_id}/play"
    if kind == "voicemail":
        return f"/recordings/voicemail/{call_id}/play"
    if kind == "fax":
        return f"/recordings/fax/{call_id}/pdf"
    return None
