"""Outsourced contractors (外委单位): the register, dispatching a step to one, and its reply.

A contractor has no login. A workflow node with ``contractor: {field: 外委单位}`` sends the
order to the contractor chosen in that form field when the order enters it: a
``ContractorDispatch`` row, an opinion and an audit row naming who dispatched, and SMS /
email in the notifications outbox (the admin's ``audience: contractor`` templates of the
category × node, or a plain default). The node's operators are internal users; one of them
records the contractor's reply (``record_reply``) before the step can be submitted. The
node's time limit runs as for any step, in working time.

A contractor that orders were dispatched to can be disabled (停用), never deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cti.phones import InvalidPhoneNumber, checked, is_mobile
from ticketing import notify
from ticketing.audit import record, record_change
from ticketing.categories import config_categories, own_first
from ticketing.errors import ActionRefused, FieldErrors, clean_texts, require_admin
from ticketing.ids import fetch, known, whole
from ticketing.models import (
    Contractor,
    ContractorDispatch,
    Notification,
    NotificationTemplate,
    Site,
    User,
    WorkOrder,
    utcnow,
)
from ticketing.sites import site_problem
from ticketing.workflow.store import step_choices

RESULTS = ("done", "partial", "failed")
CHANNELS = ("sms", "email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EDITABLE = ("name", "contact_person", "phones", "email", "site_id", "categories", "sort")
#: the message a contractor gets when no ``audience: contractor`` template is configured
DEFAULT_SUBJECT = "外委派工:工单 {{ order.number }}"
DEFAULT_BODY = (
    "{{ contractor.name }}:工单 {{ order.number }} 派给贵单位处理。"
    "{% if form.故障地址 %}地址:{{ form.故障地址 }}。{% endif %}"
    "{% if order.title %}{{ order.title }}。{% endif %}"
    "{% if due_at %}请于 {{ due_at }} 前处理完毕并回复。{% endif %}"
)


def view(c: Contractor) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "contact_person": c.contact_person,
        "phones": list(c.phones or []),
        "email": c.email,
        "site_id": c.site_id,
        "categories": list(c.categories or []),
        "active": c.active,
        "sort": c.sort,
    }


async def _cleaned(
    session: AsyncSession, values: Mapping[str, Any], current: Contractor | None
) -> dict[str, Any]:
    """The register's values from an admin's input, or FieldErrors naming each bad field."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(values) - set(_EDITABLE)
    for name in unknown:
        problems[name] = "field_unknown"
    out.update(clean_texts(values, {"name": 100, "contact_person": 64, "email": 128}, problems))
    if current is None and not out.get("name") and "name" not in problems:
        problems["name"] = "field_required"
    elif "name" in out and not out["name"]:
        problems["name"] = "field_required"
    if out.get("email") and not _EMAIL.match(out["email"]):
        problems["email"] = "field_bad_email"
    if "phones" in values:
        raw = values["phones"] or []
        if isinstance(raw, str):
            raw = [p for p in re.split(r"[,，;；\s]+", raw) if p]
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            problems["phones"] = "field_not_text"
        else:
            # a contact number (cti.phones.checked): a mobile or a landline, never an extension, a
            # short code or a mobile a digit short, as a crew's and a customer's
            try:
                out["phones"] = list(dict.fromkeys(checked(p) for p in raw))
            except InvalidPhoneNumber as bad:
                problems["phones"] = bad.problem
    if "categories" in values:
        raw = values["categories"] or []
        if isinstance(raw, str):
            raw = [c for c in re.split(r"[,，\s]+", raw) if c]
        if not isinstance(raw, list) or not all(isinstance(c, str) and len(c) <= 32 for c in raw):
            problems["categories"] = "field_not_text"
        else:
            # the categories orders are of (a workflow new orders start on), and those it
            # already serves whose workflows were disabled since
            choices = await step_choices(session)
            known = {w["category"] for w in choices} | {c["code"] for w in choices for c in w["categories"]}
            known.update(current.categories or () if current else ())
            if any(c not in known for c in raw):
                problems["categories"] = "field_unknown_category"
            else:
                out["categories"] = list(dict.fromkeys(raw))
    if "site_id" in values:
        site_id = values["site_id"]
        if site_id in (None, ""):
            out["site_id"] = None
        elif problem := await site_problem(session, site_id, current.site_id if current else None):
            problems["site_id"] = problem  # an area already served is kept, 停用 or not
        else:
            out["site_id"] = site_id
    if "sort" in values:
        sort = values["sort"]
        if not whole(sort):
            problems["sort"] = "field_not_number"
        else:
            out["sort"] = sort
    if out.get("name") and "name" not in problems:
        taken = await session.scalar(
            select(Contractor.id).where(
                Contractor.name == out["name"], Contractor.id != (current.id if current else -1)
            )
        )
        if taken is not None:
            problems["name"] = "field_duplicate"
    if problems:
        raise FieldErrors(problems)
    return out


async def create(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> Contractor:
    require_admin(actor, "change the contractor register")
    row = Contractor(**{"phones": [], "categories": [], **await _cleaned(session, values, None)})
    session.add(row)
    await session.flush()
    await record(session, actor, "contractor.create", "contractor", row.id, after=view(row))
    return row


async def get(session: AsyncSession, contractor_id: int) -> Contractor:
    return await known(session, Contractor, contractor_id, "contractor", "contractor")


async def update_contractor(
    session: AsyncSession, actor: User | None, contractor_id: int, values: Mapping[str, Any]
) -> Contractor:
    require_admin(actor, "change the contractor register")
    row = await get(session, contractor_id)
    changes = await _cleaned(session, values, row)
    await record_change(session, actor, row, changes, view, "contractor.update", "contractor")
    return row


async def set_active(
    session: AsyncSession, actor: User | None, contractor_id: int, active: bool
) -> Contractor:
    """停用 / 启用: a disabled contractor keeps its history but takes no new dispatches."""
    require_admin(actor, "change the contractor register")
    row = await get(session, contractor_id)
    action = "contractor.enable" if active else "contractor.disable"
    await record_change(session, actor, row, {"active": active}, view, action, "contractor")
    return row


async def delete(session: AsyncSession, actor: User | None, contractor_id: int) -> None:
    """Only a contractor nothing was ever dispatched to; otherwise disable it."""
    require_admin(actor, "change the contractor register")
    row = await get(session, contractor_id)
    used = await session.scalar(select(exists().where(ContractorDispatch.contractor_id == row.id)))
    if used:
        raise ActionRefused(
            "contractor_in_use",
            f"orders were dispatched to {row.name}: disable it instead",
            contractor=row.id,
        )
    await record(session, actor, "contractor.delete", "contractor", row.id, before=view(row))
    await session.delete(row)
    await session.flush()


async def listing(
    session: AsyncSession,
    *,
    active_only: bool = False,
    category: str = "",
) -> list[Contractor]:
    """The register in display order; ``category``: contractors serving it (or every category)."""
    stmt = select(Contractor).order_by(Contractor.sort, Contractor.name)
    if active_only:
        stmt = stmt.where(Contractor.active.is_(True))
    rows = list(await session.scalars(stmt))
    if category:
        rows = [c for c in rows if not c.categories or category in c.categories]
    return rows


async def candidates(
    session: AsyncSession, *, category: str | Sequence[str], site_id: int | None
) -> list[Contractor]:
    """The contractors an order of ``category`` at ``site_id`` may be dispatched to, in display
    order: active, serving the category, and with the site inside their service area.
    ``category`` may be several codes (an order's ``categories.config_categories``): serving
    any of them is enough."""
    codes = (category,) if isinstance(category, str) else tuple(category)
    rows = await listing(session, active_only=True)
    paths = await _site_paths(session, [site_id, *(c.site_id for c in rows)])
    return [c for c in rows if _refusal(c, codes, site_id, paths) is None]


def _refusal(
    contractor: Contractor, categories: Sequence[str], site_id: int | None, paths: Mapping[int, str]
) -> str | None:
    """Why ``contractor`` may not take an order of ``categories`` at ``site_id``, or None.

    A contractor serving any of the order's categories takes it: the one picked (协调单) or its
    workflow's (fault), whose register entries predate the picked category being kept.

    The service area is a site and covers its whole subtree (a bureau's contractor serves its
    outlets); a contractor without one serves everywhere. An order without a site can only go
    to those, since nobody can tell whether it lies inside an area.
    """
    if not contractor.active:
        return "contractor_inactive"
    if contractor.categories and not set(categories) & set(contractor.categories):
        return "contractor_wrong_category"
    if contractor.site_id is not None:
        area = paths.get(contractor.site_id)
        place = paths.get(site_id) if site_id is not None else None
        if area is None or place is None or not place.startswith(area):
            return "contractor_out_of_area"
    return None


async def why_not(
    session: AsyncSession, value: Any, categories: Sequence[str], site_id: int | None
) -> str | None:
    """Why the contractor a form names (``value``, its id) may not take an order of
    ``categories`` at ``site_id``: ``contractor_unknown``, or ``_refusal``'s reason; None when it
    may. The one check behind the contractor field, on 暂存 as on dispatch."""
    row = await fetch(session, Contractor, value)
    if row is None:
        return "contractor_unknown"
    paths = await _site_paths(session, [site_id, row.site_id])
    return _refusal(row, categories, site_id, paths)


async def _site_paths(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Site.id, Site.path).where(Site.id.in_(wanted)))
    return {site_id: path for site_id, path in rows}


# -- dispatching ------------------------------------------------------------------------------
def _field_value(node: Any, form: Mapping[str, Any]) -> tuple[str, Any]:
    field = node.contractor["field"]
    return field, form.get(field)


async def check_dispatch(
    session: AsyncSession, order: WorkOrder, node: Any, form: Mapping[str, Any]
) -> Contractor:
    """The contractor ``node`` dispatches ``order`` to, or FieldErrors naming the form field
    (checked before the order moves, so a refusal changes nothing): it must exist, be active,
    serve the order's category and have the order's site in its service area."""
    field, value = _field_value(node, form)
    if value in (None, ""):
        raise FieldErrors({field: "contractor_required"})
    refusal = await why_not(session, value, await config_categories(session, order), order.site_id)
    if refusal is not None:
        raise FieldErrors({field: refusal})
    return await fetch(session, Contractor, value)  # in the session already: no second read


async def dispatch(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    node: Any,
    now: dt.datetime,
) -> ContractorDispatch:
    """Send the order (now at ``node``) to the contractor in the node's field and tell them."""
    from ticketing.workflow.steps import add_comment  # steps imports this module

    contractor = await check_dispatch(session, order, node, order.form)
    row = ContractorDispatch(
        order_id=order.id,
        contractor_id=contractor.id,
        node=node.id,
        dispatched_by_id=user.id if user else None,
        dispatched_at=now,
    )
    session.add(row)
    await add_comment(
        session,
        order,
        user,
        "dispatch_contractor",
        f"派往外委单位:{contractor.name}",
        contractor=contractor.name,
    )
    await session.flush()
    await record(
        session,
        user,
        "order.dispatch_contractor",
        "work_order",
        order.id,
        after={
            "contractor_id": contractor.id,
            "contractor": contractor.name,
            "node": node.id,
            "dispatch": row.id,
        },
    )
    await _notify(session, order, node, contractor)
    return row


def _addresses(contractor: Contractor) -> dict[str, str]:
    mobile = next((p for p in contractor.phones or [] if is_mobile(p)), "")
    return {"sms": mobile, "email": contractor.email or ""}


async def _notify(
    session: AsyncSession, order: WorkOrder, node: Any, contractor: Contractor
) -> list[Notification]:
    channels = tuple(node.contractor.get("channels") or CHANNELS)
    keys = await config_categories(session, order)
    found = await session.scalars(
        select(NotificationTemplate)
        .where(
            NotificationTemplate.category.in_(keys),
            NotificationTemplate.node == node.id,
            NotificationTemplate.audience == "contractor",
            NotificationTemplate.enabled.is_(True),
        )
        .order_by(NotificationTemplate.id.desc())
    )
    # per channel the order's own category's, else its workflow's category's
    templates = {t.channel: t for t in own_first(found, keys, lambda t: t.channel)}
    context = {**await notify.order_context(session, order), "contractor": view(contractor)}
    addresses = _addresses(contractor)
    rows = []
    for channel in channels:
        if not addresses.get(channel):
            continue
        template = templates.get(channel)
        # the subject on one line, as every subject; a template that cannot be filled is recorded
        # failed with the reason, and the dispatch (the step change) goes on
        subject, body, error = notify.fill_unattended(
            template.subject if template else DEFAULT_SUBJECT,
            template.body if template else DEFAULT_BODY,
            context,
            order=order,
            what=f"contractor {channel} template {template.id if template else '(default)'} ({node.id})",
        )
        row = Notification(
            channel=channel,
            recipient=addresses[channel],
            order_id=order.id,
            subject=subject[:200],
            body=body[: notify.SMS_LIMIT if channel == "sms" else None],
            state="failed" if error else "pending",
            error=error,
        )
        notify.enqueue(session, row)
        rows.append(row)
    return rows


async def cancel_pending(session: AsyncSession, order: WorkOrder, node_id: str, now: dt.datetime) -> None:
    """The order left the contractor's step without a reply (退回, 强制归档…)."""
    await session.execute(
        update(ContractorDispatch)
        .where(
            ContractorDispatch.order_id == order.id,
            ContractorDispatch.node == node_id,
            ContractorDispatch.state == "pending",
        )
        .values(state="cancelled")
    )


async def current_dispatch(session: AsyncSession, order: WorkOrder) -> ContractorDispatch | None:
    """The latest dispatch of the order's current step (pending or replied)."""
    return await session.scalar(
        select(ContractorDispatch)
        .where(
            ContractorDispatch.order_id == order.id,
            ContractorDispatch.node == order.current_node,
            ContractorDispatch.state != "cancelled",
        )
        .order_by(ContractorDispatch.id.desc())
        .limit(1)
    )


async def require_reply(session: AsyncSession, order: WorkOrder) -> None:
    found = await current_dispatch(session, order)
    if found is None or found.state != "replied":
        raise ActionRefused("contractor_reply_missing", "record the contractor's reply before submitting")


async def record_reply(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    *,
    reply: str,
    result: str = "done",
    now: dt.datetime | None = None,
) -> ContractorDispatch:
    """An internal handler of the step writes down what the contractor answered (回复结果)."""
    from ticketing.workflow.steps import add_comment, my_assignment, open_order

    now = now or utcnow()
    _definition, node = await open_order(session, user, order)
    if not getattr(node, "contractor", None):
        raise ActionRefused("not_a_contractor_step", f"{node.id} does not dispatch to a contractor")
    await my_assignment(session, user, order)
    problems = {}
    if not isinstance(reply, str) or not reply.strip():
        problems["reply"] = "field_required"
    elif len(reply) > 2000:
        problems["reply"] = "field_too_long"
    if result not in RESULTS:
        problems["result"] = "field_bad_option"
    if problems:
        raise FieldErrors(problems)
    row = await current_dispatch(session, order)
    if row is None:
        raise ActionRefused("no_contractor_dispatch", f"{order.number} was not dispatched at {node.id}")
    contractor = await session.get(Contractor, row.contractor_id)
    before = {"state": row.state, "reply": row.reply, "result": row.result}
    row.state, row.reply, row.result = "replied", reply.strip(), result
    row.replied_by_id, row.replied_at = user.id, now
    await add_comment(
        session, order, user, "contractor_reply", row.reply, contractor=contractor.name, result=result
    )
    await record(
        session,
        user,
        "order.contractor_reply",
        "work_order",
        order.id,
        before=before,
        after={"state": row.state, "reply": row.reply, "result": result, "contractor": contractor.name},
    )
    await session.flush()
    return row


async def dispatch_view(session: AsyncSession, order: WorkOrder) -> dict[str, Any] | None:
    row = await current_dispatch(session, order)
    if row is None:
        return None
    contractor = await session.get(Contractor, row.contractor_id)
    names = dict(
        (
            await session.execute(
                select(User.id, User.name).where(
                    User.id.in_([row.dispatched_by_id or 0, row.replied_by_id or 0])
                )
            )
        ).all()
    )
    return {
        "id": row.id,
        "contractor": view(contractor),
        "state": row.state,
        "dispatched_at": row.dispatched_at.isoformat(),
        "dispatched_by": names.get(row.dispatched_by_id),
        "replied_at": row.replied_at.isoformat() if row.replied_at else None,
        "replied_by": names.get(row.replied_by_id),
        "reply": row.reply,
        "result": row.result,
    }


def dispatched_to(contractor_ids: Iterable[int]) -> Any:
    """A WHERE clause: the order was dispatched (and not cancelled) to one of these contractors."""
    return exists().where(
        ContractorDispatch.order_id == WorkOrder.id,
        ContractorDispatch.contractor_id.in_(list(contractor_ids)),
        ContractorDispatch.state != "cancelled",
    )
