"""Actions beside submit/approve/reject: 转发, 批注, 抄送, 督办, 强制归档, optional steps,
category changes, and the automatic 派工超时转协调单 conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import categories, contractors, directory, screen_alerts, sla
from ticketing.audit import record
from ticketing.blanks import is_blank
from ticketing.errors import ActionRefused, FieldErrors, Forbidden, NotFound
from ticketing.events import TicketStatusChanged, queue_event
from ticketing.models import Assignment, OrderLink, Timer, User, WorkOrder, utcnow
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.operators import resolve
from ticketing.workflow.steps import (
    VOIDED_STATUS,
    add_comment,
    audit,
    enter_node,
    may_hold,
    my_assignment,
    open_order,
    pending_assignments,
    plan_entry,
    routed_to,
    snapshot,
    status_entry,
    tell_routed,
    with_subtype_fields,
    write_form,
)

SUPERVISORS = ("supervisor", "admin", "team_leader")
#: who may 强制归档 (force-archive) an order
ARCHIVERS = ("supervisor", "admin")
#: who may hold a step: an admin configures, the console's lists and steps are not theirs
WORKER_ROLES = ("agent", "handler", "team_leader", "supervisor")


async def _check_target(session: AsyncSession, order: WorkOrder, to_user: User) -> None:
    """A step goes only to an active colleague who works on orders and may see this one."""
    if not to_user.active:
        raise ActionRefused("target_inactive", f"{to_user.staff_no} is disabled")
    if not to_user.has_role(*WORKER_ROLES):
        raise ActionRefused("target_not_worker", f"{to_user.staff_no} does not work on orders")
    if not await can_access(session, to_user, order):
        raise ActionRefused("target_out_of_scope", f"{to_user.staff_no} cannot see {order.number}")


async def may_receive(session: AsyncSession, order: WorkOrder, person: User) -> bool:
    """Whether ``_check_target`` takes ``person``: the console's 交给 lists offer nobody else."""
    return person.active and person.has_role(*WORKER_ROLES) and await can_access(session, person, order)


async def forward_targets(session: AsyncSession, order: WorkOrder) -> list[int]:
    """The ids the current step may be 转派 to: whom its rules allow (``may_hold``, as
    ``forward`` checks), less who holds it now; ``may_receive`` still applies to each."""
    if not order.is_open:
        return []
    node = (await store.definition_for(session, order.workflow_id)).node(order.current_node)
    held = set(
        await session.scalars(
            select(Assignment.user_id).where(
                Assignment.order_id == order.id,
                Assignment.node == order.current_node,
                Assignment.state == "pending",
            )
        )
    )
    return [p.id for p in await may_hold(session, order, node) if p.id not in held]


async def anyone_to_forward_to(session: AsyncSession, order: WorkOrder) -> bool:
    """Whether 转派 has anybody to go to (the step's rules name only its holder, as 派工 of a
    bureau with one handler does): the order page then offers no 转派 it would refuse
    ``target_not_operator``. The candidates list's own rule, so the two never disagree."""
    ids = await forward_targets(session, order)
    if not ids:
        return False
    for person in await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.staff_no)):
        if await may_receive(session, order, person):
            return True
    return False


def _routed(
    session: AsyncSession,
    actor: User | None,
    order: WorkOrder,
    people: Iterable[Any],
    notice: screen_alerts.Notice,
) -> None:
    """The new handlers get the same pop-up and sound as when the order reaches their step
    (``tell_routed``); not the actor, who took it themselves (接手). Whether it is also kept in
    their 提醒 is the caller's (an automatic 改派 keeps it)."""
    told = routed_to(actor, people)
    if told:
        tell_routed(session, order, told, notice, record=False)


def _holding(order: WorkOrder, user_id: int, mode: str, seq: int, now: dt.datetime) -> Assignment:
    """A pending assignment of the order's current step: the step handed to someone mid-way."""
    return Assignment(
        order_id=order.id, node=order.current_node, user_id=user_id, mode=mode, seq=seq, assigned_at=now
    )


async def forward(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    to_user: User,
    *,
    opinion: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    """转发 (转派): hand my pending step to someone else, who must be able to see the order and
    whom the step's operator rules allow (``steps.may_hold``: 派工 of 故障报修 to a handler of
    the bureau, not to a call-centre agent; ``target_not_operator``)."""
    now = now or utcnow()
    _, node = await open_order(session, user, order)
    pending = await pending_assignments(session, order)
    mine = await my_assignment(session, user, order, pending)
    # to oneself, or to a colleague who already holds the step (会签, or two forwards to the
    # same person): refused as 改派 refuses it, not a second assignment of theirs
    if to_user.id == user.id or any(a.user_id == to_user.id for a in pending):
        raise ActionRefused("target_is_holder", f"{to_user.staff_no} already holds this step")
    await _check_target(session, order, to_user)
    if all(p.id != to_user.id for p in await may_hold(session, order, node)):
        raise ActionRefused(
            "target_not_operator",
            f"{to_user.staff_no} is not among who may act at {node.id}",
            node=node.id,
            target=to_user.staff_no,
        )
    before = snapshot(order)
    mine.state, mine.acted_at = "cancelled", now
    session.add(_holding(order, to_user.id, mine.mode, mine.seq, now))
    await add_comment(session, order, user, "forward", opinion, to=to_user.staff_no)
    await audit(session, user, "forward", order, before, opinion=opinion, to=to_user.staff_no)
    _routed(session, user, order, [to_user], screen_alerts.routed(node))
    await sla.notify_users(
        session,
        order,
        [to_user],
        kind="forwarded",
        channels=["screen"],
        urgency="normal",
        message=f"{user.name} 转发工单 {order.number}：{opinion}",
    )
    return order


async def annotate(session: AsyncSession, user: User, order: WorkOrder, text: str) -> WorkOrder:
    """批注: an opinion without moving the order; anyone who can see it may annotate."""
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if not text.strip():
        raise ActionRefused("opinion_required", "an annotation needs text")
    before = snapshot(order)
    await add_comment(session, order, user, "annotate", text)
    await audit(session, user, "annotate", order, before, opinion=text)
    return order


async def cc(
    session: AsyncSession, user: User, order: WorkOrder, recipients: Iterable[User], *, opinion: str = ""
) -> WorkOrder:
    """抄送: inform people (in scope) without giving them the step."""
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    targets = [u for u in recipients if await can_access(session, u, order)]
    if not targets:
        raise ActionRefused("target_out_of_scope", "none of the recipients can see this order")
    before = snapshot(order)
    await add_comment(session, order, user, "cc", opinion, to=[u.staff_no for u in targets])
    await audit(session, user, "cc", order, before, opinion=opinion, to=[u.staff_no for u in targets])
    await sla.notify_users(
        session,
        order,
        targets,
        kind="cc",
        channels=["screen"],
        urgency="normal",
        message=f"{user.name} 抄送工单 {order.number}：{opinion}",
    )
    return order


async def supervise(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    opinion: str,
    urgency: str = "high",
    channels: Iterable[str] = ("screen", "sms"),
) -> WorkOrder:
    """督办: a supervisor presses the current handlers, with urgency."""
    if not user.has_role(*SUPERVISORS):
        raise Forbidden("only team leaders, supervisors and admins may supervise", role="supervisor")
    if not opinion.strip():
        raise ActionRefused("opinion_required", "督办 says what is to be done")
    await open_order(session, user, order)
    handlers = await resolve(session, [[{"current_handlers": True}]], order)
    before = snapshot(order)
    await add_comment(session, order, user, "supervise", opinion, urgency=urgency)
    await audit(session, user, "supervise", order, before, opinion=opinion, urgency=urgency)
    await sla.notify_users(
        session,
        order,
        handlers,
        kind="supervise",
        channels=list(channels),
        urgency=urgency,
        message=f"督办 {order.number}：{opinion}",
    )
    return order


async def force_archive(
    session: AsyncSession, user: User, order: WorkOrder, *, opinion: str, now: dt.datetime | None = None
) -> WorkOrder:
    """强制归档: close at once (supervisors/admins, with an opinion); required content still applies."""
    now = now or utcnow()
    if not user.has_role(*ARCHIVERS):
        raise Forbidden("only supervisors and admins may force-archive", role="supervisor")
    if not opinion.strip():
        raise ActionRefused("opinion_required", "force-archive needs an opinion")
    definition, node = await open_order(session, user, order)
    archive = next(n for n in definition.nodes if n.type == "archive")
    await plan_entry(session, user, order, node, archive, order.form)  # required content still applies
    before = snapshot(order)
    await add_comment(session, order, user, "force_archive", opinion)
    await session.execute(
        update(Assignment)
        .where(Assignment.order_id == order.id, Assignment.state == "pending")
        .values(state="cancelled", acted_at=now)
    )
    await enter_node(session, user, order, definition, archive, now, action="force_archive", operators=[])
    await audit(session, user, "force_archive", order, before, opinion=opinion)
    return order


#: 作废 (void): team leaders (within their data scope, as for 改派 / 督办), supervisors, admins
VOIDERS = SUPERVISORS
#: the link from a voided duplicate to the order it repeats (shown on both)
DUPLICATE_LINK = "duplicate"


async def void(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    opinion: str,
    duplicate_of: WorkOrder | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """作废: close an invalid or duplicate order as 已作废 (``VOIDED_STATUS``) at the step it is
    at, without the archive's required content (nothing was repaired or answered: 强制归档 keeps
    that rule). Needs its reason; ``duplicate_of`` names the order it repeats, linked
    (``duplicate``) and shown on both. Its steps, time limits and reminders end, its handlers are
    told on screen, and the reports leave it out of cycle times, overdue and satisfaction."""
    now = now or utcnow()
    if not user.has_role(*VOIDERS):
        raise Forbidden("only team leaders, supervisors and admins may void an order", role="supervisor")
    if not opinion.strip():
        raise ActionRefused("opinion_required", "作废 says why the order is void")
    definition, node = await open_order(session, user, order)
    if duplicate_of is not None:
        if duplicate_of.id == order.id:
            raise ActionRefused("duplicate_of_itself", f"{order.number} cannot duplicate itself")
        if not await can_access(session, user, duplicate_of):
            raise Forbidden("the order's site is outside your data scope", order=duplicate_of.number)
        if duplicate_of.status == VOIDED_STATUS:
            raise ActionRefused(
                "duplicate_of_voided", f"{duplicate_of.number} is void itself", number=duplicate_of.number
            )
    holders = await resolve(session, [[{"current_handlers": True}]], order)
    before = snapshot(order)
    extra = {"duplicate_of": duplicate_of.number} if duplicate_of is not None else {}
    await add_comment(session, order, user, "void", opinion, **extra)
    await session.execute(
        update(Assignment)
        .where(Assignment.order_id == order.id, Assignment.state == "pending")
        .values(state="cancelled", acted_at=now)
    )
    await sla.cancel_timers(session, order.id)
    if node.contractor:
        await contractors.cancel_pending(session, order, node.id, now)
    previous = order.status
    order.status = VOIDED_STATUS
    order.status_times = [*order.status_times, status_entry(VOIDED_STATUS, now)]
    order.is_open, order.closed_at, order.due_at = False, now, None
    if duplicate_of is not None:
        session.add(OrderLink(from_order_id=order.id, to_order_id=duplicate_of.id, kind=DUPLICATE_LINK))
        await record(
            session,
            user,
            "order.link",
            "work_order",
            order.id,
            after={"to": duplicate_of.number, "kind": DUPLICATE_LINK},
        )
    await audit(
        session,
        user,
        "void",
        order,
        before,
        opinion=opinion,
        duplicate_of=duplicate_of.number if duplicate_of is not None else None,
    )
    queue_event(
        session,
        TicketStatusChanged(
            order_id=order.id,
            number=order.number,
            status=order.status,
            previous=previous,
            node=order.current_node,
            actor=user.staff_no,
            action="void",
        ),
    )
    others = [h for h in holders if h.id != user.id]
    if others:
        why = f"（重复于 {duplicate_of.number}）" if duplicate_of is not None else ""
        await sla.notify_users(
            session,
            order,
            others,
            kind="voided",
            channels=["screen"],
            urgency="normal",
            message=f"{user.name} 作废工单 {order.number}{why}：{opinion}",
        )
    return order


def stranded_clause() -> ColumnElement[bool]:
    """待改派 over ``work_orders``: an open order whose current step no active user holds (its
    handler was disabled or moved away), so nobody can act until a supervisor 改派 it or a
    colleague 接手. The one rule: ``stranded`` asks it of one order, the 待改派 list of all."""
    held = exists().where(
        Assignment.order_id == WorkOrder.id,
        Assignment.node == WorkOrder.current_node,
        Assignment.state == "pending",
        User.id == Assignment.user_id,
        User.active.is_(True),
    )
    return and_(WorkOrder.is_open.is_(True), ~held)


async def stranded(session: AsyncSession, order: WorkOrder) -> bool:
    """Whether ``order`` is 待改派 (``stranded_clause``)."""
    if not order.is_open:
        return False
    return bool(await session.scalar(select(stranded_clause()).where(WorkOrder.id == order.id)))


def may_take_over(user: User, holder_roles: Iterable[Iterable[str] | None]) -> bool:
    """接手, for a user who is no team leader or above (they 改派): a step nobody active holds
    is theirs to take when they share a worker role with one of its holders (a handler takes a
    handler's step). The order page offers 接手 by this, and ``reassign`` allows it by this."""
    theirs = set(user.roles or []) & set(WORKER_ROLES)
    return any(theirs & set(roles or []) for roles in holder_roles)


async def reassign(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    to_user: User,
    *,
    replace: Iterable[int] | None = None,
    opinion: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    """改派: a team leader, supervisor or admin gives the current step to ``to_user`` in place
    of the handlers in ``replace`` (user ids; none: all of them). 接手: a colleague takes over a
    step that nobody active holds any more, if they share a role with its holder (a handler
    takes a handler's step): the bureau carries on while a supervisor is not at hand."""
    now = now or utcnow()
    definition, node = await open_order(session, user, order)
    if not user.has_role(*SUPERVISORS):
        if to_user.id != user.id:
            raise Forbidden("only team leaders, supervisors and admins may reassign", role="supervisor")
        held = await pending_assignments(session, order)
        holders = [await session.get(User, a.user_id) for a in held]
        if not await stranded(session, order) or not may_take_over(user, [h.roles for h in holders if h]):
            raise ActionRefused("step_not_stranded", f"{order.number} has an active handler")
    await _check_target(session, order, to_user)
    if to_user.id != user.id and is_blank(opinion):  # 改派 says why, as 督办 and 强制归档 do (接手 need not)
        raise ActionRefused("reassign_opinion_required", "改派 says why the step changes hands")
    if node.type == "approve" and order.created_by_id == to_user.id:
        raise ActionRefused("maker_checker", "the person who entered an order cannot approve it")
    pending = await pending_assignments(session, order)
    wanted = None if replace is None else set(replace)
    if wanted is not None and not wanted <= {a.user_id for a in pending}:
        raise ActionRefused("not_a_handler", "only a current handler of the step can be replaced")
    leaving = [a for a in pending if wanted is None or a.user_id in wanted]
    if any(a.user_id == to_user.id for a in pending if a not in leaving):
        raise ActionRefused("target_is_holder", f"{to_user.staff_no} already holds this step")
    before = snapshot(order)
    people = (await directory.load(session)).people
    for a in leaving:
        a.state, a.acted_at = "cancelled", now
    mode = leaving[0].mode if leaving else node.mode
    session.add(_holding(order, to_user.id, mode, min((a.seq for a in leaving), default=len(pending)), now))
    taken = to_user.id == user.id and not user.has_role(*SUPERVISORS)
    action = "take_over" if taken else "reassign"
    replaced = [people[a.user_id].staff_no for a in leaving if a.user_id in people]
    await add_comment(session, order, user, action, opinion, to=to_user.staff_no, replaced=replaced)
    await audit(session, user, action, order, before, opinion=opinion, to=to_user.staff_no, replaced=replaced)
    if not taken:
        await sla.notify_users(
            session,
            order,
            [to_user],
            kind="reassigned",
            channels=["screen"],
            urgency="normal",
            message=f"{user.name} 改派工单 {order.number} 给您：{opinion}",
        )
    _routed(session, user, order, [to_user], screen_alerts.routed(node))
    return order


async def release_steps(
    session: AsyncSession, actor: User | None, user: User, *, now: dt.datetime | None = None
) -> list[WorkOrder]:
    """The steps ``user`` holds once they are disabled or moved out of an order's sites: each goes
    to the colleagues still holding it, else to whoever the step's rules now pick (a ``previous``
    rule no longer finds the person, so the next batch, e.g. the bureau's handlers, answers);
    where the rules pick nobody, the step stays theirs and the order is 待改派: the team leaders
    and supervisors who see it are told, and one of them 改派 it. The orders left so."""
    now = now or utcnow()
    rows = await session.execute(
        select(Assignment, WorkOrder)
        .join(WorkOrder, WorkOrder.id == Assignment.order_id)
        .where(
            Assignment.user_id == user.id,
            Assignment.state == "pending",
            Assignment.node == WorkOrder.current_node,
            WorkOrder.is_open.is_(True),
        )
        .order_by(WorkOrder.id)
    )
    left: list[WorkOrder] = []
    gone = "已调离" if user.active else "已停用"
    # the admin did not act on the order: the timeline says why its handler changed
    why = f"{'数据范围调整' if user.active else '账号停用'}（{user.staff_no} {user.name}）"
    for mine, order in rows.all():
        if user.active and await can_access(session, user, order):
            continue
        definition = await store.definition_for(session, order.workflow_id)
        node = definition.node(order.current_node)
        before = snapshot(order)
        people = (await directory.load(session)).people
        others = [
            a
            for a in await pending_assignments(session, order)
            if a.id != mine.id and a.user_id in people and people[a.user_id].active
        ]
        if others:
            mine.state, mine.acted_at = "cancelled", now
            await add_comment(
                session, order, actor, "release", f"{why}，步骤由其他处理人继续", replaced=[user.staff_no]
            )
            await audit(
                session,
                actor,
                "release",
                order,
                before,
                opinion=f"{why}，步骤由其他处理人继续",
                replaced=[user.staff_no],
            )
            continue
        exclude = {user.id} | (
            {order.created_by_id} if node.type == "approve" and order.created_by_id else set()
        )
        found = (
            await resolve(session, node.operators, order, exclude=exclude) if node.type != "create" else []
        )
        if not found:
            left.append(order)
            watchers = await resolve(session, [[{"role": ["team_leader", "supervisor"]}]], order)
            await sla.notify_users(
                session,
                order,
                watchers,
                kind="stranded",
                channels=["screen"],
                urgency="high",
                message=f"工单 {order.number} 的处理人 {user.name}({user.staff_no}) {gone}，待改派",
            )
            continue
        mine.state, mine.acted_at = "cancelled", now
        session.add_all(_holding(order, p.id, node.mode, mine.seq + i, now) for i, p in enumerate(found))
        await add_comment(
            session,
            order,
            actor,
            "reassign",
            f"{why}，步骤自动改派",
            to=[p.staff_no for p in found],
            replaced=[user.staff_no],
        )
        await audit(
            session,
            actor,
            "reassign",
            order,
            before,
            opinion=f"{why}，步骤自动改派",
            to=[p.staff_no for p in found],
            replaced=[user.staff_no],
        )
        notice = screen_alerts.routed(node)
        _routed(session, actor, order, found, notice)
        screen_alerts.record_routed(session, order, found, notice)  # kept in their 提醒
    return left


async def set_optional_step(
    session: AsyncSession, user: User, order: WorkOrder, node_id: str, enabled: bool
) -> WorkOrder:
    """Switch an optional step (e.g. 报事审核) off or on for this order."""
    definition, _ = await open_order(session, user, order)
    if not user.has_role("admin", "supervisor", "team_leader") and order.created_by_id != user.id:
        raise Forbidden("only the creator or a supervisor may switch steps", role="supervisor")
    try:
        node = definition.node(node_id)
    except KeyError as exc:
        raise NotFound(f"no node {node_id!r}", entity="node", key=node_id) from exc
    if not node.optional:
        raise ActionRefused("step_not_optional", f"{node_id} cannot be switched off")
    before = snapshot(order)
    disabled = set(order.disabled_nodes or [])
    disabled.discard(node_id) if enabled else disabled.add(node_id)
    order.disabled_nodes = sorted(disabled)
    await add_comment(session, order, user, "optional_step", "", node=node_id, enabled=enabled)
    await audit(session, user, "optional_step", order, before, opinion=None, node=node_id, enabled=enabled)
    return order


async def change_category(
    session: AsyncSession, user: User, order: WorkOrder, category: str, subcategory: str = ""
) -> WorkOrder:
    """Reports depend on the category, so it is locked once the order was dispatched; a category
    with 小类别 at the order's site takes one (``subcategory`` ``field_required``: a blank one
    changed to before 派工 stayed blank in the reports, as at intake)."""
    was, _ = await open_order(session, user, order)
    if order.category_locked:
        raise ActionRefused("category_locked", f"{order.number} was dispatched; its category is locked")
    if problems := await categories.subcategory_problems(session, order.site_id, category, subcategory):
        raise FieldErrors(problems)
    before = snapshot(order)
    # the fields the new subcategory decides (类别1 of 一类投诉) follow it: the class is one; and
    # a title its fields and subcategory gave names the new one (低压故障：… → 高压故障：…)
    definition = await with_subtype_fields(
        session, await store.definition_for(session, order.workflow_id), subcategory
    )
    await write_form(
        session, order, definition, {**order.form, **definition.bound}, subcategory=subcategory, was=was
    )
    order.category = category
    await add_comment(session, order, user, "change_category", "", category=category, subcategory=subcategory)
    await audit(session, user, "change_category", order, before, opinion=None)
    return order


async def convert(
    session: AsyncSession, order: WorkOrder, spec: Mapping[str, Any], *, now: dt.datetime | None = None
) -> None:
    """派工超时转协调单: the undispatched order becomes a coordination order for the coordinators."""
    now = now or utcnow()
    before = snapshot(order)
    order.category = str(spec.get("category", "coordination"))
    order.subcategory = str(spec.get("subcategory", ""))
    order.priority = max(order.priority, int(spec.get("priority", order.priority + 1)))
    rules = spec.get("operators") or [{"role": "supervisor"}]
    coordinators = await resolve(session, [rules], order)
    pending = await session.scalars(
        select(Assignment).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    keep = {a.user_id for a in pending}
    for seq, user in enumerate(coordinators):
        if user.id not in keep:
            session.add(_holding(order, user.id, "any", 100 + seq, now))
    await _coordination_limit(session, order, rules, spec, now)
    said = str(spec.get("opinion", "派工超时转协调单"))
    await add_comment(session, order, None, "convert", said, category=order.category)
    await audit(session, None, "convert", order, before, opinion=said)
    await sla.notify_users(
        session,
        order,
        coordinators,
        kind="converted",
        channels=list(spec.get("channels", ["screen"])),
        urgency=str(spec.get("urgency", "urgent")),
        message=f"工单 {order.number} 派工超时，已转协调单",
    )


async def _coordination_limit(
    session: AsyncSession, order: WorkOrder, rules: list[Any], spec: Mapping[str, Any], now: dt.datetime
) -> None:
    """The coordination order gets the step's time limit anew from the conversion, with an overrun
    alert to the coordinators: kept, the passed deadline made it overdue from birth and nobody was
    reminded again. No second conversion is set, or it would convert again at every limit."""
    definition = await store.definition_for(session, order.workflow_id)
    node = definition.node(order.current_node)
    limit = sla.node_limit(node, order.form)
    if limit is None:
        order.due_at = None
        return
    calendar = await sla.calendar_for(session, order, definition, node)
    order.due_at = calendar.add_working_time(now, sla.amount(calendar, limit))
    session.add(
        Timer(
            order_id=order.id,
            node=node.id,
            kind="remind",
            due_at=order.due_at,
            payload={
                "kind": "overrun",
                "to": [dict(r) for r in rules],
                "channels": list(spec.get("channels", ["screen"])),
                "urgency": str(spec.get("urgency", "urgent")),
            },
        )
    )


async def definition_of(session: AsyncSession, order: WorkOrder):
    return await store.definition_for(session, order.workflow_id)
