"""The steps every workflow action shares: load and lock the order, check the caller's step,
pick the exit, enter the next node (operators, SLA timers, notifications, events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import contractors, directory, notify, screen_alerts, sla
from ticketing.audit import record
from ticketing.directory import Person
from ticketing.errors import ActionRefused, Forbidden
from ticketing.events import TicketRouted, TicketStatusChanged, queue_event
from ticketing.models import Assignment, Comment, Timer, User, WorkOrder
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.conditions import evaluate, fields_in
from ticketing.workflow.definition import VOIDED_STATUS as VOIDED_STATUS  # read here by actions, reports
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.forms import missing_required
from ticketing.workflow.insert import put
from ticketing.workflow.operators import resolve
from ticketing.workflow.titles import Subcategory, followed_title, subcategory_row

#: who takes a step whose rules name only people who cannot open the order: the team leaders who
#: see it, else its supervisors (those who 改派 a stranded step)
STAND_INS = ([{"role": "team_leader"}], [{"role": "supervisor"}])


async def with_subtype_fields(session: AsyncSession, definition: Definition, subcategory: str) -> Definition:
    """The definition plus the extra form of the order's subcategory (e.g. 高压新装's own fields):
    editable at the create node, visible after it; and the values the subcategory gives the
    workflow's fields (``Definition.bound``: 一类投诉's 类别1 is 一类), read by the shared row's
    name where it has one (``titles.subcategory_row``)."""
    return subtype_definition(definition, subcategory, await subcategory_row(session, subcategory))


def subtype_definition(definition: Definition, subcategory: str, row: Subcategory | None) -> Definition:
    """``with_subtype_fields`` of the subcategory's row read already (``titles.subcategory_row``):
    a new order reads it once, for its fields and its title."""
    if row is None:
        return definition
    bound = definition.subcategory_values(subcategory, row.name)
    if not row.form_schema and not bound:
        return definition
    extra = definition.subtype_fields(row.form_schema)
    return dataclasses.replace(
        definition, fields={**definition.fields, **extra}, extra_fields=frozenset(extra), bound=bound
    )


#: the order's attributes its audit snapshot reads
_SNAPSHOT_READS = frozenset({"status", "current_node", "site_id", "category", "title", "form", "is_open"})


def snapshot(order: WorkOrder) -> dict[str, Any]:
    # Read from the instance's own dict when they are all loaded there (a new order's are; an
    # action's order was just refreshed), as the ORM's attribute would give them, without its
    # descriptor call for each: an action takes two snapshots. Else through the ORM, which loads.
    loaded = order.__dict__
    read = loaded.__getitem__ if loaded.keys() >= _SNAPSHOT_READS else order.__getattribute__
    return {
        "status": read("status"),
        "node": read("current_node"),
        "site_id": read("site_id"),
        "category": read("category"),
        # derived from the form as the site is: audited beside the fields it follows
        "title": read("title"),
        "form": dict(read("form")),
        "is_open": read("is_open"),
    }


async def write_form(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    form: Mapping[str, Any],
    *,
    subcategory: str | None = None,
    was: Definition | None = None,
) -> None:
    """Every change of an order's form after it was made goes through here (暂存, 提交 and 批准,
    a category changed, a follow-up's words added), ``subcategory`` with it where that changes
    (None: as it is): what the order derives from them follows in this one place, its title
    (``titles.followed_title``; ``was``: the definition before, with the old subcategory's
    fields). Its site follows the site field in ``engine._follow_site``, audited on its own."""
    subcategory = order.subcategory if subcategory is None else subcategory
    order.title = await followed_title(session, order, definition, form, subcategory, was)
    order.form = dict(form)
    if subcategory != order.subcategory:
        order.subcategory = subcategory


def status_entry(status: str, at: dt.datetime) -> dict[str, str]:
    """One change of the order's status, as ``WorkOrder.status_times`` keeps it (in UTC, so
    the entries sort by time as text, as the order's timeline does)."""
    return {"status": status, "at": at.astimezone(dt.UTC).isoformat()}


def comment_row(order: WorkOrder, user: User | None, action: str, text: str, **extra: Any) -> dict[str, Any]:
    """An opinion's values at the order's current node (without ``order_id`` for a new order)."""
    return {
        "user_id": user.id if user else None,
        "action": action,
        "node": order.current_node,
        "text": text,
        "extra": extra,
    }


async def add_comment(
    session: AsyncSession, order: WorkOrder, user: User | None, action: str, text: str, **extra: Any
):
    session.add(Comment(order_id=order.id, **comment_row(order, user, action, text, **extra)))


def audit_after(order: WorkOrder, opinion: str | None, **extra: Any) -> dict[str, Any]:
    """An order action's audit ``after``: the order's snapshot, the action's opinion (its reason:
    作废's, 退单's, 督办's...) and what else the action names (作废's ``duplicate_of``, 督办's
    ``urgency``, 转发's ``to``); ``opinion`` None: an action that takes none (暂存)."""
    said = {} if opinion is None else {"opinion": opinion}
    return {**snapshot(order), **said, **extra}


#: the actions a step may call by its own words (``button_name``)
NAMED_ACTIONS = ("approve", "submit", "reject")


def button_name(node: Node, action: str) -> str:
    """What the step ``node`` calls its ``action`` where it names it itself: an approve node's 批准
    (``approve_name``: 故障报修's 接收确认; 提交 there is its 批准, ``engine.submit_step``) and its
    退回 (the reject exit's ``name``: 退单); "" where it keeps the action's own word. The order
    page, its print and the audit log all read it here (an audit row keeps the action,
    ``order.approve``, and in its ``before`` the step it was taken at)."""
    if action == "approve" or (action == "submit" and node.type == "approve"):
        return node.approve_name
    if action == "reject":
        return next((ex.name for ex in node.exits if ex.kind == "reject" and ex.name), "")
    return ""


async def audit(
    session: AsyncSession,
    user: User | None,
    action: str,
    order: WorkOrder,
    before: dict[str, Any],
    *,
    opinion: str | None,
    **extra: Any,
) -> None:
    """The audit row ``order.<action>`` of an order action (``audit_after``): every action says
    its opinion, None where it takes none, so no action's reason is left out of the log."""
    await record(
        session,
        user,
        f"order.{action}",
        "work_order",
        order.id,
        before=before,
        after=audit_after(order, opinion, **extra),
    )


async def open_order(session: AsyncSession, user: User, order: WorkOrder) -> tuple[Definition, Node]:
    # Act on the current row, locked: two people pressing 提交 at once must not both move the order.
    # (PostgreSQL: FOR UPDATE; SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE.)
    await session.flush()
    await session.refresh(order, with_for_update=session.bind.dialect.name == "postgresql")
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if not order.is_open:
        raise ActionRefused("order_closed", f"{order.number} is closed")
    definition = await with_subtype_fields(
        session, await store.definition_for(session, order.workflow_id), order.subcategory
    )
    return definition, definition.node(order.current_node)


async def pending_assignments(session: AsyncSession, order: WorkOrder) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment)
        .where(
            Assignment.order_id == order.id,
            Assignment.node == order.current_node,
            Assignment.state == "pending",
        )
        .order_by(Assignment.seq, Assignment.id)
    )
    return list(rows)


async def my_assignment(
    session: AsyncSession, user: User, order: WorkOrder, pending: list[Assignment] | None = None
) -> Assignment:
    """The user's pending assignment at the current node (``pending``: that node's pending
    assignments, when the caller has just read them)."""
    if pending is None:
        pending = await pending_assignments(session, order)
    mine = [a for a in pending if a.user_id == user.id]
    if not mine:
        raise ActionRefused(
            "not_your_step", f"{user.staff_no} is not a handler of {order.number} at {order.current_node}"
        )
    if mine[0].mode == "sequential" and pending[0].user_id != user.id:
        raise ActionRefused("not_your_turn", "an earlier operator in the sequence has not acted yet")
    return mine[0]


def choose_exit(
    definition: Definition,
    node: Node,
    order: WorkOrder,
    to: str | None,
    form: Mapping[str, Any] | None = None,
) -> Node:
    form = order.form if form is None else form
    if to is not None:
        allowed = {ex.to for ex in node.exits if ex.kind == "normal"}
        if not node.free_routing and to not in allowed:
            raise ActionRefused("exit_not_allowed", f"{node.id} cannot go to {to!r}")
        _refuse_contradicted_exit(node, to, form)
        try:
            return definition.node(to)
        except KeyError as exc:
            raise ActionRefused("unknown_node", f"no node {to!r}") from exc
    seen: set[str] = set()
    current = node
    while True:
        target = next(
            (ex.to for ex in current.exits if ex.kind == "normal" and evaluate(ex.when, form)), None
        )
        if target is None:
            raise ActionRefused("no_matching_exit", f"no exit of {current.id} matches the form")
        chosen = definition.node(target)
        # Optional steps switched off for this order are skipped along their default exit.
        if chosen.optional and chosen.id in (order.disabled_nodes or []) and chosen.id not in seen:
            seen.add(chosen.id)
            current = chosen
            continue
        return chosen


def _refuse_contradicted_exit(node: Node, to: str, form: Mapping[str, Any]) -> None:
    """A chosen exit must agree with the form: its own condition must hold, and a default
    exit is wrong while an earlier conditional exit matches (a named 外委单位 means 外委派工, not
    到达现场). Refusing rather than clearing keeps what the dispatcher typed; they either pick
    the matching step or empty the field."""
    exits = [ex for ex in node.exits if ex.kind == "normal"]
    chosen = next((i for i, ex in enumerate(exits) if ex.to == to), None)
    if chosen is None:  # free routing outside the exits: no condition to contradict
        return
    if exits[chosen].when:
        if not evaluate(exits[chosen].when, form):
            fields = sorted(fields_in(exits[chosen].when))
            raise ActionRefused("exit_contradicts_form", f"{to!r} needs {', '.join(fields)}", fields=fields)
        return
    matching = next((ex for ex in exits[:chosen] if ex.when and evaluate(ex.when, form)), None)
    if matching is not None:
        fields = sorted(fields_in(matching.when))
        raise ActionRefused(
            "exit_contradicts_form",
            f"the form ({', '.join(fields)}) leads to {matching.to!r}, not {to!r}",
            fields=fields,
        )


async def cancel_others(session: AsyncSession, order: WorkOrder, now: dt.datetime) -> None:
    await session.execute(
        update(Assignment)
        .where(
            Assignment.order_id == order.id,
            Assignment.node == order.current_node,
            Assignment.state == "pending",
        )
        .values(state="cancelled", acted_at=now)
    )


async def plan_entry(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    source: Node,
    target: Node,
    form: Mapping[str, Any],
    handlers: Iterable[int] | None = None,
) -> list[Person]:
    """Everything that can refuse entering ``target``, checked before anything changes:
    required content before closing, and somebody to hand the next step to."""
    if target.type == "archive":
        missing = missing_required(target, form)
        if missing:
            raise ActionRefused(
                "required_content_empty", f"cannot close: {', '.join(missing)} empty", fields=missing
            )
        return []
    if target.contractor:
        await contractors.check_dispatch(session, order, target, form)
    return await operators_for(session, order, source, target, handlers, user, form)


async def enter_node(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    definition: Definition,
    node: Node,
    now: dt.datetime,
    *,
    action: str,
    operators: list[Person],
    notice: screen_alerts.Notice | None = None,
) -> None:
    """Move the order into ``node`` with the ``operators`` from ``plan_entry``; cannot refuse.
    ``notice``: what their pop-up and 提醒 say, when not 有新工单 (a 退单)."""
    previous = order.status
    leaving = order.current_node
    await sla.cancel_timers(session, order.id)
    if any(n.id == leaving and n.contractor for n in definition.nodes):
        await contractors.cancel_pending(session, order, leaving, now)
    # before this entry's own rows: whether the order has been at the step (first_enter templates)
    been_here = await _has_been_at(session, order, node.id)
    assignments, timers = await arrive(session, order, definition, node, now, operators)
    # No flush here: the next query flushes the order once, status and due date together.
    session.add_all(Assignment(order_id=order.id, **row) for row in assignments)
    session.add_all(Timer(order_id=order.id, **row) for row in timers)
    if node.contractor:
        await contractors.dispatch(session, user, order, node, now)
    await notify.on_enter(session, order, node.id, first=not been_here)
    queue_entered(session, user, order, node, previous, action, operators, notice=notice)


async def _has_been_at(session: AsyncSession, order: WorkOrder, node_id: str) -> bool:
    """Whether the order has entered ``node_id`` before: a step it was at has its assignments."""
    found = await session.scalar(
        select(Assignment.id).where(Assignment.order_id == order.id, Assignment.node == node_id).limit(1)
    )
    return found is not None


async def arrive(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    node: Node,
    now: dt.datetime,
    operators: list[Person],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Put the order's own columns at ``node``; the assignment and timer rows entering it
    writes (without ``order_id``: a new order has none yet)."""
    put(
        order,
        current_node=node.id,
        status=node.status,
        node_entered_at=now,
        status_times=[*order.status_times, status_entry(node.status, now)],
        due_at=None,
    )
    if node.type == "archive":
        order.is_open = False
        order.closed_at = now
        return [], []
    assignments = [
        {
            "node": node.id,
            "user_id": op.id,
            "mode": node.mode,
            "seq": seq,
            "state": "pending",
            "assigned_at": now,
        }
        for seq, op in enumerate(operators)
    ]
    return assignments, await sla.node_timers(session, order, definition, node, now)


def queue_entered(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    node: Node,
    previous: str,
    action: str,
    operators: list[Person],
    *,
    record: bool = True,
    notice: screen_alerts.Notice | None = None,
) -> None:
    # each read once: an ORM attribute read is a descriptor call
    order_id, number, status = order.id, order.number, order.status
    notice = notice or screen_alerts.routed(node)
    queue_event(
        session,
        TicketStatusChanged(
            order_id=order_id,
            number=number,
            status=status,
            previous=previous,
            node=node.id,
            actor=user.staff_no if user else "system",
            action=action,
        ),
    )
    told = routed_to(user, operators)
    if node.type != "archive" and told:
        # the pop-up (新工单…已流转给您) and its sound: not to the actor, whose own 接收确认 moved
        # the order to their next step (派工 goes to whoever confirmed), nor a 提醒 row
        tell_routed(session, order, told, notice, record=record)


def tell_routed(
    session: AsyncSession,
    order: WorkOrder,
    told: list[Any],
    notice: screen_alerts.Notice,
    *,
    record: bool = True,
) -> None:
    """The order (at its current step) reached ``told``'s desk: a pop-up and its sound on their
    tabs (``TicketRouted``) and, with ``record``, a 提醒 row each, which stays when the pop-up
    fades. A step entered (``queue_entered``), or an order the system opened for an agent (the
    IVR's 故障报修留言: ``Intake.open_fault_report``)."""
    queue_event(
        session,
        TicketRouted(
            order_id=order.id,
            number=order.number,
            node=order.current_node,
            status=order.status,
            handlers=tuple(person.staff_no for person in told),
            category=order.category,
            kind=notice.kind,
            message=notice.message,
            step=notice.step,
        ),
    )
    if record:
        screen_alerts.record_routed(session, order, told, notice)


def routed_to(user: User | None, operators: Iterable[Any]) -> list[Any]:
    """Whom entering a step (or a step changing hands) tells 有新工单, by pop-up and 提醒: its
    handlers, but not who sent it to themselves by their own action."""
    if user is None:
        return list(operators)
    actor = user.id  # read once, not per operator: an ORM attribute
    return [op for op in operators if op.id != actor]


async def operators_for(
    session: AsyncSession,
    order: WorkOrder,
    source: Node,
    node: Node,
    handlers: Iterable[int] | None,
    user: User | None,
    form: Mapping[str, Any],
    *,
    every_batch: bool = False,
) -> list[Person]:
    """Who ``node`` goes to, entered from ``source`` by ``user``: the handlers they picked
    (自由流转), the creator (a create step), else the first batch of its operator rules with a
    match (``every_batch``: all of them, ``operators.resolve``), never the creator of an order
    at an approve step; where the rules name only people who cannot open the order, the
    stand-ins. ``no_operator`` where nobody."""
    if handlers is not None:
        # 自由流转: the node being left decides whether its handler may pick the next one.
        if not source.free_routing and not (user and user.has_role("admin", "supervisor")):
            raise ActionRefused("free_routing_disabled", f"{source.id} does not allow picking handlers")
        people = await directory.load(session)
        chosen = [u for u in map(people.people.get, handlers) if u is not None and u.active]
        if not chosen:
            raise ActionRefused("no_operator", "none of the chosen handlers exists")
        return chosen
    if node.type == "create":
        # 退回 / 退单 to the create step: its creator (the agent who took the call) corrects the
        # form (所属供电局) and sends it on; a creator no longer active: the supervisors who see it
        people = await directory.load(session)
        creator = people.people.get(order.created_by_id) if order.created_by_id else None
        if creator is not None and creator.active:
            return [creator]
        stand_in = await resolve(session, [[{"role": "supervisor"}]], order)
        if not stand_in:
            raise ActionRefused("no_operator", "the order has no creator to return to")
        return stand_in
    # maker ≠ checker: the creator is never an approver
    exclude = [order.created_by_id] if node.type == "approve" and order.created_by_id else []
    acting = (source.id, user.id) if user is not None else None
    operators = await resolve(
        session, node.operators, order, exclude=exclude, form=form, acting=acting, every_batch=every_batch
    )
    if not operators and await resolve(
        session, node.operators, order, exclude=exclude, form=form, acting=acting, people_in_scope=False
    ):
        # the rules name only people who cannot open the order (办结 back to a complaint's raiser,
        # an agent of another bureau whose visit-back campaign call raised it): the step goes to
        # those who can act on it, the team leaders who see it, else its supervisors
        operators = await resolve(session, STAND_INS, order, exclude=exclude)
    if not operators:
        raise ActionRefused("no_operator", f"nobody matches the operator rules of {node.id}", node=node.id)
    return operators


async def may_hold(session: AsyncSession, order: WorkOrder, node: Node) -> list[Person]:
    """Who the rules of ``node``, the order's current step, let hold it: ``operators_for`` as
    entering it decides, over every batch of its rules (派工 of 故障报修: whoever confirmed, or a
    handler of the bureau 所属供电局 names), the creator never at an approve step; nobody where
    they name nobody. Whom the holder may 转派 to (``actions.forward``), and whom the console
    offers for it (``GET /api/orders/{key}/candidates``): the one rule for both. 改派 and 接手
    are team leaders' and supervisors' overrides (a stranded step nobody the rules name can
    take), 自由流转 the step's own choice of the next handler: neither is held to it."""
    try:
        return await operators_for(session, order, node, node, None, None, order.form, every_batch=True)
    except ActionRefused:
        return []
