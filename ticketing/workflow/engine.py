"""The workflow engine: create an order and move it through its definition's nodes.

Every function takes the caller's ``AsyncSession`` and the acting ``User``,
checks data scope and the node's rules, changes the order, writes an opinion
(Comment) and an audit row, queues events (published after commit, see
``ticketing.events``) and never commits.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cti.phones import InvalidPhoneNumber, checked
from ticketing import contractors, crews, directory, notify, screen_alerts, sla
from ticketing.audit import entry as audit_entry
from ticketing.audit import record
from ticketing.blanks import is_blank, trim
from ticketing.cached import Cache
from ticketing.calls import link
from ticketing.categories import (
    config_categories,
    intake_problems,
    not_offered,
    offer_problems,
    subcategories,
    subcategory_problems,
)
from ticketing.errors import ActionRefused, FieldErrors, Forbidden, NotFound, TicketingError
from ticketing.events import ScreenAlertsWithdrawn, TicketCreated, queue_event
from ticketing.models import (
    CallLeg,
    Category,
    Customer,
    Interaction,
    OrderLink,
    User,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.actions import change_category
from ticketing.workflow.conditions import evaluate
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.forms import (
    Moments,
    changed_form,
    form_site,
    in_form_order,
    refuse_all,
)
from ticketing.workflow.insert import OrderRows, insert_order, new_order
from ticketing.workflow.steps import (
    add_comment,
    arrive,
    audit,
    audit_after,
    cancel_others,
    choose_exit,
    comment_row,
    enter_node,
    my_assignment,
    open_order,
    pending_assignments,
    plan_entry,
    queue_entered,
    routed_to,
    snapshot,
    status_entry,
    subtype_definition,
    with_subtype_fields,
    write_form,
)
from ticketing.workflow.titles import derived_title, subcategory_row

#: the intake form's own inputs above the workflow's fields, in the order it shows them: a refused
#: order's problems are named in this order, then the fields' (``forms.refuse_all``)
INTAKE_HEAD = ("category", "subcategory", "caller_number", "customer_id", "site_id", "interaction_ids")

#: a title is cut to its column (read once, not through the ORM attribute on every order)
TITLE_LENGTH: int = WorkOrder.__table__.c.title.type.length

#: the 满意度回访 step's node id (``ticketing.surveys.VISIT_NODE``): its satisfaction is the survey's
VISIT_NODE = "visit"


async def create_order(
    session: AsyncSession,
    user: User,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
    caller_number: str = "",
    caller_number_stored: bool = False,
    title: str = "",
    category: str = "",
    subcategory: str = "",
    priority: int = 0,
    submit: bool = True,
    opinion: str = "",
    interaction_ids: Iterable[int] = (),
    link_call: bool = True,
    call_id: str = "",
    as_offered: bool = False,
    scope_granted: bool = False,
    request_problems: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Create an order at the workflow's create node (its creator holds that step); with
    ``submit`` the create step is completed at once (the agent pressed 提交). A site field
    holding a value (所属供电局) decides the order's site; ``site_id`` is the one it has when
    the form names none (the agent's own, or the order it was spawned from).

    Everything is decided first, and nothing is written if anything refuses; then the order
    goes in already at the node it ends up at, with its rows in a few bulk INSERTs
    (``ticketing.workflow.insert``): the same rows, events and audit trail as creating it
    and then submitting its create step.

    ``call_id`` (the CTI call id the intake form was written for): the order is about exactly
    that call, which must be one the agent was on (a leg of theirs), and not about the call they
    are on now; without it, the call they are on or have just left (``link_call``).

    ``category`` (业务大类别, a top category's code): the one the agent picked, which must be
    one of ``workflow``'s (用户信息查询 and 信息咨询 share the consult workflow), with
    ``subcategory`` one of its own; without it the order has the workflow's category.
    Every new order's category (the one named, else the workflow's) and subcategory must be
    ones offered at its site (``categories.offer_problems``: the IVR's fault report, a
    visit-back's follow-up complaint, a spawned order are checked as the seat's intake is):
    another branch's own, or one 停用 there, is ``field_category_not_offered``, named with the
    form's other problems. The site is ``site_id``, or with ``as_offered`` (an agent's new
    order: the seat's intake, 新建工单 from the inbox) ``user``'s, whose intake offered it; such
    an order naming its ``category`` may not pick one intake does not offer (协调单, which only
    派工超时转协调单 makes: ``field_category_not_at_intake``) and names a ``subcategory`` where
    the category has some (``field_required``: ``categories.intake_problems``); with ``submit``
    (sent on past its create step), also one naming no category, as that step's 提交 asks at
    the order's site (``categories.subcategory_problems``, the one rule).

    The order's number follows its category's own ``number_pattern`` where the category has one
    (用户信息查询: CX…), else the workflow's (信息咨询: ZX…): every way an order is made (the
    seat, an async event, a voicemail, a follow-up) numbers it by this one rule.

    A refused form names every problem at once, in one FieldErrors (``forms.refuse_all``): the
    category (not offered, with ``as_offered``), the references, the values refused, the
    required fields left empty (with ``submit``) and a bad 联系电话 together, the form's head
    first, with ``request_problems``: what the caller found wrong with the request beside the
    form (the seat's: a 停用 site picked by id, a call or event the agent may not link).

    ``caller_number`` (联系电话) is held to ``cti.phones.checked``'s contact rule, its problem
    named for the field (手机号码应为 11 位, 不能填 110…); ``caller_number_stored``: it is copied
    from an order already stored (a follow-up, a visit-back's complaint), taken as it is, so an
    order typed before the rule grew still has its follow-ups.
    """
    now = now or utcnow()
    named_call = await _agents_call(session, user, call_id) if call_id else None
    if named_call is not None and customer_id is None:
        customer_id = named_call.customer_id
    stored = await store.latest(session, workflow)
    problems = await _category_problems(session, workflow, category, subcategory) if category else {}
    # not offered at the site (the user's, as intake offered it; else the order's): that alone is
    # the category's problem, whoever makes the order (cached: no query)
    problems = (
        await offer_problems(
            session,
            user.site_id if as_offered else site_id,
            workflow,
            category or stored.definition.category,
            subcategory,
            implied=not category,
        )
        or problems
    )
    if as_offered and category:
        # an agent's pick: a category intake offers (not 协调单), its 小类别 named where it has some
        problems = {**await intake_problems(session, user.site_id, category, subcategory), **problems}
    # the 小类别's row, read once: its fields and bound values here, its name in the title below
    named = await subcategory_row(session, subcategory)
    definition = subtype_definition(stored.definition, subcategory, named)
    start = definition.create_node
    known = await directory.load(session)
    interaction_ids = list(interaction_ids)
    problems = {**(request_problems or {}), **problems}
    problems |= await _reference_problems(session, known, site_id, interaction_ids)
    try:
        site_codes = known.site_codes
        moments = _moments(known, site_id, now, now)
        # a 停用 site is no new order's: the one it is given (the agent's, the order it follows) stays;
        # nor is the HQ an agent's new order's (the console never offers it): the system's may
        # take it from the order they follow
        closed = known.closed_sites(site_id, hq=not as_offered)
        form_values, refused = changed_form(definition, start, {}, form, site_codes, moments, closed)
        try:
            # a number typed (or an event's) is held to the contact rule: a mobile one digit short
            # or 110 is no 联系电话; one copied from a stored order was held to it when typed
            if caller_number_stored:
                caller_number = caller_number.strip()
            else:
                caller_number = checked(caller_number) if caller_number.strip() else ""
        except InvalidPhoneNumber as bad:
            problems["caller_number"] = bad.problem
        site_id = form_site(definition, form_values, site_codes) or site_id
        if submit and as_offered:
            # an agent's order sent on past its create step: held to that step's 小类别 rule at the
            # order's site, as the order page's 提交 is (naming no category: the workflow's)
            problems |= await subcategory_problems(
                session, site_id, category or definition.category, subcategory
            )
        # every problem at once, before a number is taken; required fields only when submitted
        refuse_all(definition, start, form_values, problems | refused, required=submit, head=INTAKE_HEAD)
        order = new_order(
            category=category or definition.category,
            subcategory=subcategory,
            status=start.status,
            priority=priority,
            severity="",
            # an email's subject becomes the title: the column takes its start
            title=(trim(title) or derived_title(definition, form_values, named))[:TITLE_LENGTH],
            site_id=site_id,
            customer_id=customer_id,
            caller_number=caller_number,
            form=form_values,
            workflow_id=stored.id,
            workflow_key=stored.key,
            workflow_version=stored.version,
            current_node=start.id,
            created_by_id=user.id,
            status_times=[status_entry(start.status, now)],
            node_entered_at=now,
            due_at=None,
            closed_at=None,
            is_open=True,
            category_locked=False,
            disabled_nodes=[],
            source_interaction_id=None,
            created_at=now,
            updated_at=now,
        )
        # scope_granted: a narrower right checked by the caller (a visit-back contact's complaint)
        if not scope_granted and not await can_access(session, user, order):
            raise Forbidden("the order's site is outside your data scope", site_id=site_id)
        created = snapshot(order)
        rows = OrderRows()
        mine = {"node": start.id, "user_id": user.id, "mode": "any", "seq": 0, "assigned_at": now}
        rows.comments.append(comment_row(order, user, "create", "" if submit else opinion))
        rows.audits.append(audit_entry(user, "order.create", "work_order", None, after=created))
        if submit:
            target = choose_exit(definition, start, order, None, form_values)
            operators = await plan_entry(session, user, order, start, target, form_values)
            rows.comments.append(comment_row(order, user, "submit", opinion))
            rows.assignments.append({**mine, "state": "done", "acted_at": now})
            if start.locks_category:
                order.category_locked = True
            assignments, rows.timers = await arrive(session, order, definition, target, now, operators)
            rows.notifications = screen_alerts.routed_rows(
                routed_to(user, operators), screen_alerts.routed(target), now
            )
            rows.notice_subject = screen_alerts.new_order_subject(order.title)
            rows.assignments.extend({**row, "acted_at": None} for row in assignments)
            rows.audits.append(
                audit_entry(
                    user,
                    "order.submit",
                    "work_order",
                    None,
                    before=created,
                    after=audit_after(order, opinion),
                )
            )
        else:
            rows.assignments.append({**mine, "state": "pending", "acted_at": None})
            rows.timers = await sla.node_timers(session, order, definition, start, now)
        # No call named: the agent is on (or just finished) a call, the order is about that call, and
        # about its customer when none was given; insert_order looks the call up in the same go.
        look_up = link_call and named_call is None
        pattern = (
            await _category_pattern(session, order.category, known.lineage(site_id))
            or definition.number_pattern
        )
    except TicketingError as refusal:
        # The customer is checked by the INSERT itself (insert_order), which saves a round trip;
        # a refusal before it still names an unknown customer: with the fields' problems, or first.
        unknown = await _unknown_customer(session, customer_id)
        if unknown and isinstance(refusal, FieldErrors):
            raise FieldErrors(in_form_order(definition, refusal.problems | unknown, INTAKE_HEAD)) from None
        if unknown:
            raise FieldErrors(unknown) from None
        raise
    active_call_id = await insert_order(
        session, order, pattern, rows, now, agent=user.staff_no if look_up else None
    )
    for interaction_id in interaction_ids:
        await session.execute(
            order_interactions.insert().values(
                order_id=order.id, interaction_id=interaction_id, linked_at=now, linked_by_id=user.id
            )
        )
    if named_call is not None:
        await link(session, order, named_call, user)
    elif active_call_id is not None:
        await link(session, order, await session.get(Interaction, active_call_id), user)
    queue_event(
        session,
        TicketCreated(
            order_id=order.id,
            number=order.number,
            category=order.category,
            site_id=site_id,
            customer_id=customer_id,
            created_by=user.staff_no,
        ),
    )
    if submit:
        if target.contractor:
            await contractors.dispatch(session, user, order, target, now)
        await notify.on_enter(session, order, target.id)
        queue_entered(session, user, order, target, start.status, "submit", operators, record=False)
        await _spawn(session, user, order, definition, start, now)
    return order


async def _reference_problems(
    session: AsyncSession,
    known: directory.Directory,
    site_id: int | None,
    interaction_ids: list[int],
) -> dict[str, str]:
    """A site or interaction that does not exist, refused as field errors before anything is
    written (the database's foreign keys would only fail the INSERT).

    The customer is not read here: the order's own INSERT checks it (``insert_order``), a
    round trip less per order, and ``create_order`` reads it when it refuses the order for
    another reason first."""
    problems: dict[str, str] = {}
    if site_id is not None and site_id not in known.sites:
        problems["site_id"] = "field_unknown_site"
    if interaction_ids:
        found = set(await session.scalars(select(Interaction.id).where(Interaction.id.in_(interaction_ids))))
        if set(interaction_ids) - found:
            problems["interaction_ids"] = "field_unknown_interaction"
    return problems


async def _unknown_customer(session: AsyncSession, customer_id: int | None) -> dict[str, str]:
    if customer_id is not None and await session.get(Customer, customer_id) is None:
        return {"customer_id": "field_unknown_customer"}
    return {}


async def _category_problems(
    session: AsyncSession, workflow: str, category: str, subcategory: str
) -> dict[str, str]:
    """A category that is not one of the workflow's, or a subcategory not under it."""
    tops = select(Category.id).where(
        Category.code == category,
        Category.parent_id.is_(None),
        Category.workflow_key == workflow,
        Category.enabled.is_(True),
    )
    if not await session.scalar(select(exists(tops))):
        return {"category": "field_bad_option"}
    under = select(Category.id).where(
        Category.code == subcategory, Category.parent_id.in_(tops), Category.enabled.is_(True)
    )
    if subcategory and not await session.scalar(select(exists(under))):
        return {"subcategory": "field_bad_option"}
    return {}


async def _category_pattern(session: AsyncSession, category: str, lineage: Sequence[int]) -> str:
    """The number pattern of the top category ``category`` at the first site of ``lineage`` (it
    and the sites above it): the nearest level's row of that code (it replaces the farther ones,
    as in the category tree), else the global's; "" when none sets one (the workflow's pattern
    applies). Cached: a query here would cost every new order four more hops into SQLite's thread."""
    patterns = await _category_patterns.get(session)
    for site_id in lineage:
        own = patterns.get((category, site_id))
        if own is not None:
            return own
    return patterns.get((category, None), "")


async def _load_category_patterns(session: AsyncSession, _key: Any) -> dict[tuple[str, int | None], str]:
    rows = await session.execute(
        select(Category.code, Category.site_id, Category.number_pattern).where(
            Category.parent_id.is_(None), Category.enabled.is_(True)
        )
    )
    return {(code, site): pattern for code, site, pattern in rows}


_category_patterns: Cache[dict[tuple[str, int | None], str]] = Cache(
    "category.number_patterns", (Category,), _load_category_patterns
)


async def _agents_call(session: AsyncSession, user: User, call_id: str) -> Interaction:
    """The call ``call_id`` names, if ``user`` was on it (answered it or took it over)."""
    call = await session.scalar(
        select(Interaction).where(
            Interaction.kind == "call",
            Interaction.external_id == call_id,
            exists().where(CallLeg.interaction_id == Interaction.id, CallLeg.agent_id == user.staff_no),
        )
    )
    if call is None:
        raise ActionRefused("call.forbidden", f"call {call_id!r} is not one you were on", call_id=call_id)
    return call


async def load_order(session: AsyncSession, user: User, key: int | str) -> WorkOrder:
    """An order by id or number, if the user's data scope covers its site."""
    query = select(WorkOrder).where(WorkOrder.id == key if isinstance(key, int) else WorkOrder.number == key)
    order = await session.scalar(query)
    if order is None:
        raise NotFound(f"no work order {key!r}", entity="work_order", key=key)
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    return order


def _moments(
    known: directory.Directory, site_id: int | None, created: dt.datetime, now: dt.datetime
) -> Moments:
    """What a datetime field's time rules compare with, in the order's site's zone."""
    site = known.sites.get(site_id) if site_id is not None else None
    return Moments(created=created, now=now, timezone=(site.timezone if site else "") or "Asia/Shanghai")


async def save_form(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    changes: Mapping[str, Any],
    *,
    subcategory: str | None = None,
) -> WorkOrder:
    """暂存: save field values at the current node (only editable fields; required ones are
    checked on submit). A refused save names every field's problem at once, as 提交 does
    (``forms.refuse_all``, without the required fields): the values refused and the 外委单位 the
    order may not go to, together (was: the values refused first, then the 外委单位).
    ``subcategory``: the 小类别 picked on the create step (``pick_subcategory``)."""
    await pick_subcategory(session, user, order, subcategory)
    definition, node = await open_order(session, user, order)
    await my_assignment(session, user, order)
    before = snapshot(order)
    new_form, problems, new_site = await _checked_changes(session, order, definition, node, changes)
    refuse_all(definition, node, new_form, problems, required=False)
    await crews.record_picks(session, user, order, definition, node, order.form, new_form)
    await write_form(session, order, definition, new_form)
    await _follow_site(session, user, order, new_site)
    await audit(session, user, "save", order, before, opinion=None)
    return order


async def _checked_changes(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    node: Node,
    changes: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str], int | None]:
    """The order's form with ``changes`` applied at ``node`` as 暂存 takes them, each refused
    value's problem (left as it was), and the site the form then names: the values
    (``changed_form``), a 外委单位 the order may not go to, a crew refused (停用, another
    bureau's; one taken is its snapshot, with what its pick fills). Nothing is written."""
    known = await directory.load(session)
    moments = _moments(known, order.site_id, order.created_at, utcnow())
    new_form, problems = changed_form(
        definition, node, order.form, changes, known.site_codes, moments, known.closed_sites(order.site_id)
    )
    new_site = form_site(definition, new_form, known.site_codes)
    problems |= await contractor_problems(
        session, order, definition, order.form, new_form, new_site or order.site_id
    )
    # a crew picked: refused (停用, another bureau's) with the rest, else its snapshot and fills
    problems |= await crews.picked(session, definition, node, order.form, new_form, new_site or order.site_id)
    return new_form, problems, new_site


async def form_as_typed(
    session: AsyncSession, user: User, order: WorkOrder, changes: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The order's form with what ``user`` has typed on its page and not saved (``changes``: the
    step's fields as on screen), each value checked as 暂存 would check it, nothing written: a
    message filled from it (发短信's template) says what the page shows. A value 暂存 would refuse
    stays as saved, its problem named. Only the step's holder types there: from anyone else (or
    on a closed order) no value is taken, each one differing from the saved value is
    ``field_not_editable``, as the page draws their fields read-only."""
    form = dict(order.form or {})
    if not changes:
        return form, {}
    definition = await with_subtype_fields(
        session, await store.definition_for(session, order.workflow_id), order.subcategory
    )
    node = definition.node(order.current_node)
    new_form, problems, _ = await _checked_changes(session, order, definition, node, changes)
    if not await _holds(session, user, order):
        differing = [name for name in changes if name in problems or new_form.get(name) != form.get(name)]
        return form, in_form_order(definition, dict.fromkeys(differing, "field_not_editable"))
    return new_form, in_form_order(definition, problems)


async def _holds(session: AsyncSession, user: User, order: WorkOrder) -> bool:
    """``user`` acts on the open order's step now, as 暂存 asks (``my_assignment``: their turn of
    a sequential step included)."""
    if not order.is_open:
        return False
    try:
        await my_assignment(session, user, order)
    except ActionRefused:
        return False
    return True


async def contractor_problems(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    site_id: int | None,
) -> dict[str, str]:
    """A 外委单位 (contractor field) given a new value must be one the order may go to, on 暂存
    as on 提交 (which refuses it when it dispatches): it exists (``contractor_unknown``), is
    active (``contractor_inactive``), serves the order's category and has ``site_id`` (the site
    the form now names) in its service area (``contractor_out_of_area``). A value kept as it
    was is not checked again: the dispatch checks the one it sends the order to."""
    changed = [
        name
        for name, spec in definition.fields.items()
        if (spec or {}).get("type") == "contractor"
        and after.get(name) not in (None, "")
        and after.get(name) != before.get(name)
    ]
    if not changed:
        return {}
    problems: dict[str, str] = {}
    categories = await config_categories(session, order)
    for name in changed:
        refusal = await contractors.why_not(session, after[name], categories, site_id)
        if refusal is not None:
            problems[name] = refusal
    return problems


async def _follow_site(
    session: AsyncSession, user: User | None, order: WorkOrder, site_id: int | None
) -> None:
    """The order moves to the site its form now names (所属供电局 corrected): routing and data
    scope follow; the move is audited with both sites' codes, and the consoles of those it moves
    out of reach drop their 提醒 about it (``ScreenAlertsWithdrawn``)."""
    if site_id is None or site_id == order.site_id:
        return
    sites = (await directory.load(session)).sites
    codes = {s: sites[s].code if s in sites else None for s in (order.site_id, site_id)}
    await record(
        session,
        user,
        "order.change_site",
        "work_order",
        order.id,
        before={"site_id": order.site_id, "site": codes[order.site_id]},
        after={"site_id": site_id, "site": codes[site_id]},
    )
    order.site_id = site_id
    # the 提醒 about it on the screens of those it leaves (their lists no longer hold them) go
    shut_out = await screen_alerts.shut_out(session, order.id, site_id)
    if shut_out:
        queue_event(
            session,
            ScreenAlertsWithdrawn(order_id=order.id, number=order.number, staff_nos=tuple(shut_out)),
        )


async def submit_step(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    form: Mapping[str, Any] | None = None,
    opinion: str = "",
    to: str | None = None,
    handlers: Iterable[int] | None = None,
    subcategory: str | None = None,
    now: dt.datetime | None = None,
    _action: str = "submit",
) -> WorkOrder:
    """提交 (create/realize nodes) or 批准 (approve nodes, via ``approve``). 提交 at an approve
    node is its 批准 (故障报修's 接收确认 became one, to allow its 退单): maker ≠ checker holds.

    ``subcategory``: the 小类别 picked on the create step with it (``pick_subcategory``). 提交 of
    the create step names a blank 小类别 ``field_required`` where the order's category has some
    at its site, with the form's other problems, as the seat's intake does: an order the IVR's
    故障报修留言 opened (it names none), or one sent back to it stored before intake asked."""
    now = now or utcnow()
    await pick_subcategory(session, user, order, subcategory)
    definition, node = await open_order(session, user, order)
    if node.type != "approve" and _action == "approve":
        raise ActionRefused("not_an_approve_node", f"{node.id} is not an approve node")
    maker = node.type == "approve" and order.created_by_id == user.id
    if maker and _action == "approve":
        raise ActionRefused("maker_checker", "the person who entered an order cannot approve it")
    pending = await pending_assignments(session, order)
    mine = await my_assignment(session, user, order, pending)
    if maker:  # 提交 at an approve node is its 批准: by one of its holders, never the maker
        raise ActionRefused("maker_checker", "the person who entered an order cannot approve it")
    # Everything that can refuse is checked before anything changes: a refusal leaves the order as it was.
    known = await directory.load(session)
    site_codes = known.site_codes
    moments = _moments(known, order.site_id, order.created_at, now)
    form = opinion_in_form(definition, node, order.form, form, opinion)
    new_form, problems = changed_form(
        definition, node, order.form, form, site_codes, moments, known.closed_sites(order.site_id)
    )
    if node.id == VISIT_NODE:
        from ticketing import surveys  # surveys builds on the engine (its complaints are orders)

        # the visit step's satisfaction is the recorded survey's, never a second answer beside it
        try:
            new_form = dict(await surveys.step_form(session, order, definition, node, new_form, form))
        except ActionRefused:
            if problems:  # the values refused are named first, as they always were
                raise FieldErrors(in_form_order(definition, problems)) from None
            raise
    new_site = form_site(definition, new_form, site_codes)
    problems |= await contractor_problems(
        session, order, definition, order.form, new_form, new_site or order.site_id
    )
    problems |= await crews.picked(session, definition, node, order.form, new_form, new_site or order.site_id)
    if node.type == "create":
        problems |= await subcategory_problems(session, order.site_id, order.category, order.subcategory)
    # every field's problem at once: the values refused, the required ones left empty
    refuse_all(definition, node, new_form, problems, head=INTAKE_HEAD)
    said_in = definition.opinion_field(node)
    if said_in is not None:  # the step's 处理意见 is its field: the action's words are the field's
        opinion = str(new_form.get(said_in) or "")
    others = [a for a in pending if a.id != mine.id]
    completes = not (mine.mode in ("all", "sequential") and others)
    if completes and node.contractor:
        await contractors.require_reply(session, order)
    before = snapshot(order)
    await crews.record_picks(session, user, order, definition, node, order.form, new_form)
    if completes:
        target = choose_exit(definition, node, order, to, new_form)
        # the next step's handlers are those of the site the form now names
        order.site_id = new_site or order.site_id
        try:
            operators = await plan_entry(session, user, order, node, target, new_form, handlers)
        finally:
            order.site_id = before["site_id"]
    await write_form(session, order, definition, new_form)
    await _follow_site(session, user, order, new_site)
    mine.state, mine.acted_at = "done", now
    await add_comment(session, order, user, _action, opinion)
    if not completes:
        await audit(session, user, _action, order, before, opinion=opinion)
        return order  # 会签 / sequence: the node completes when everyone has acted
    await cancel_others(session, order, now)
    if node.locks_category:
        order.category_locked = True
    await _spawn(session, user, order, definition, node, now)
    await notify.on_leave(session, order, node.id)
    await enter_node(session, user, order, definition, target, now, action=_action, operators=operators)
    await audit(session, user, _action, order, before, opinion=opinion)
    return order


async def pick_subcategory(
    session: AsyncSession, user: User, order: WorkOrder, subcategory: str | None
) -> None:
    """The 小类别 the create step's holder picked on the order page (None, or the order's own:
    nothing to do): one of the order's category's offered at its site (``field_bad_option``
    else), as intake offers them; its fields and the values it decides follow it
    (``actions.change_category``). After the create step the category is the workflow's to
    keep (``field_not_editable``); a blank one is no pick (``field_required``)."""
    if subcategory is None or subcategory == order.subcategory:
        return
    _, node = await open_order(session, user, order)
    await my_assignment(session, user, order)
    if node.type != "create":
        raise FieldErrors({"subcategory": "field_not_editable"})
    if not subcategory.strip():
        raise FieldErrors({"subcategory": "field_required"})
    if subcategory not in {
        entry.code for entry in await subcategories(session, order.site_id, order.category)
    }:
        raise FieldErrors({"subcategory": "field_bad_option"})
    await change_category(session, user, order, order.category, subcategory)


def opinion_in_form(
    definition: Definition,
    node: Node,
    stored: Mapping[str, Any],
    form: Mapping[str, Any] | None,
    opinion: str,
) -> Mapping[str, Any] | None:
    """The form an action submits at a step whose 处理意见 is a field of its form
    (``Definition.opinion_field``: 回复客户's 处理意见): there the field is the action's opinion, one
    text. An opinion sent beside it fills the field when that is left empty (a client that sends
    ``opinion`` alone); one that says otherwise than the field is refused (``opinion_disagrees``)
    rather than one of the two being dropped."""
    said_in = definition.opinion_field(node)
    if said_in is None or is_blank(opinion):
        return form
    written = (form or {}).get(said_in, stored.get(said_in))
    if is_blank(written):
        return {**(form or {}), said_in: opinion}
    if str(written).strip() != opinion.strip():
        raise ActionRefused(
            "opinion_disagrees",
            f"the step's opinion is its field {said_in!r}; the opinion sent says otherwise",
            field=said_in,
        )
    return form


async def approve(session: AsyncSession, user: User, order: WorkOrder, **kwargs: Any) -> WorkOrder:
    return await submit_step(session, user, order, _action="approve", **kwargs)


async def reject(
    session: AsyncSession, user: User, order: WorkOrder, *, opinion: str, now: dt.datetime | None = None
) -> WorkOrder:
    """退回: only from approve nodes, along the node's reject exit (default: back to the create node)."""
    now = now or utcnow()
    definition, node = await open_order(session, user, order)
    if node.type != "approve":
        raise ActionRefused(
            "reject_not_allowed", f"{node.id} is a {node.type} node; only approve nodes can reject"
        )
    if not opinion.strip():
        raise ActionRefused("opinion_required", "a rejection needs an opinion")
    mine = await my_assignment(session, user, order)
    back = next((ex for ex in node.exits if ex.kind == "reject" and evaluate(ex.when, order.form)), None)
    target = definition.node(back.to if back else definition.create_node.id)
    operators = await plan_entry(session, user, order, node, target, order.form)
    before = snapshot(order)
    mine.state, mine.acted_at = "done", now
    await add_comment(session, order, user, "reject", opinion)
    await cancel_others(session, order, now)
    # its handlers read 退单 (as the workflow names it), from where, by whom and why: not 新工单
    sent_back_as = (back.name if back else "") or "退回"
    notice = screen_alerts.returned(node.name or node.status, sent_back_as, user, opinion.strip())
    await enter_node(
        session, user, order, definition, target, now, action="reject", operators=operators, notice=notice
    )
    await audit(session, user, "reject", order, before, opinion=opinion)
    return order


async def _spawn(
    session: AsyncSession, user: User, order: WorkOrder, definition: Definition, node: Node, now: dt.datetime
) -> None:
    """Follow-up orders a node creates on completion (e.g. a complaint from a dissatisfied visit-back).

    One per link kind: an order already linked that way (the visit-back survey opened the
    complaint first, or the step was done again) gets no second one, but the words the spawn
    would have copied into it are added to it (``_add_to_linked``). ``{number}`` in the
    spawned title and form values is the source order's number."""
    for spec in node.spawn:
        if not evaluate(spec.get("when"), order.form):
            continue
        kind = spec.get("link", "follow_up")
        copy = spec.get("copy") or {}
        linked = await session.scalar(
            select(WorkOrder)
            .join(OrderLink, OrderLink.to_order_id == WorkOrder.id)
            .where(OrderLink.from_order_id == order.id, OrderLink.kind == kind)
            .order_by(OrderLink.id)
            .limit(1)
        )
        if linked is not None:
            await _add_to_linked(session, user, order, linked, copy)
            continue
        form = {dst: order.form.get(src) for src, dst in copy.items()}
        form.update(
            {
                k: v.replace("{number}", order.number) if isinstance(v, str) else v
                for k, v in (spec.get("form") or {}).items()
            }
        )
        made = functools.partial(
            create_order,
            session,
            user,
            workflow=spec["workflow"],
            site_id=order.site_id,
            form=form,
            customer_id=order.customer_id,
            caller_number=order.caller_number,
            caller_number_stored=True,
            title=spec.get("title", order.title).replace("{number}", order.number),
            opinion=f"由 {order.number} 生成",
            now=now,
        )
        try:
            if "submit" in spec:
                child = await made(submit=bool(spec["submit"]))
            else:
                # sent on past its create step when it can be, as the survey's complaint is
                # (nothing is written by a refusal); else it waits there for its creator
                try:
                    child = await made(submit=True)
                except (FieldErrors, ActionRefused):
                    child = await made(submit=False)
        except FieldErrors as refused:
            if "category" not in refused.problems:
                raise
            # the step's 提交 names what refused it: the follow-up's category at the order's site
            category = (await store.latest(session, spec["workflow"])).definition.category
            raise await not_offered(
                session,
                "spawn_category_not_offered",
                order.site_id,
                category,
                f"{node.id}'s follow-up order",
            ) from None
        await link_orders(session, user, order, child, kind)


async def _add_to_linked(
    session: AsyncSession, user: User, source: WorkOrder, linked: WorkOrder, copy: Mapping[str, str]
) -> None:
    """The text a spawn copies (回访意见 → 投诉内容) reaches the follow-up already linked: its
    handler must see what the customer said without opening the source order. Appended to the
    field while the linked order is still at its create step (audited), and an annotation on
    its timeline either way; other copied values (a site, a choice) stay as the order has them."""
    definition = await with_subtype_fields(
        session, await store.definition_for(session, linked.workflow_id), linked.subcategory
    )
    added = {}
    for src, dst in copy.items():
        value = source.form.get(src)
        text = value.strip() if isinstance(value, str) else ""
        kind = (definition.fields.get(dst) or {}).get("type")
        if text and kind in ("text", "textarea") and text not in str(linked.form.get(dst) or ""):
            added[dst] = (src, text)
    if not added:
        return
    if linked.is_open and linked.current_node == definition.create_node.id:
        before = snapshot(linked)
        merged = {
            dst: "\n".join(filter(None, (str(linked.form.get(dst) or ""), text)))
            for dst, (_, text) in added.items()
        }
        await write_form(session, linked, definition, {**linked.form, **merged})
        await audit(session, user, "save", linked, before, opinion=None)
    notes = "\n".join(f"{source.number} {src}：{text}" for src, text in added.values())
    await add_comment(session, linked, user, "annotate", notes)
    await session.flush()


async def link_orders(
    session: AsyncSession, user: User | None, a: WorkOrder, b: WorkOrder, kind: str = "related"
) -> None:
    session.add(OrderLink(from_order_id=a.id, to_order_id=b.id, kind=kind))
    await record(session, user, "order.link", "work_order", a.id, after={"to": b.number, "kind": kind})
    await session.flush()
