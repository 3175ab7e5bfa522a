"""Visit-back surveys (满意度回访): dimensions per site × category, results per order,
and a follow-up complaint spawned from a dissatisfied answer.

One visit-back per order: the survey records what the customer said, which the
satisfaction reports and quality control count, so a second answer is refused once
one is recorded (a correction is an opinion on the order, never a rewritten answer).
One complaint per order's dissatisfaction: the 满意度回访 step (是否投诉 / 回访满意度=不满意)
and a dissatisfied survey both lead to the same linked complaint.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import directory
from ticketing.audit import record
from ticketing.categories import config_categories
from ticketing.errors import ActionRefused, Forbidden, require_admin
from ticketing.models import OrderLink, SurveyDimension, SurveyResult, User, WorkOrder
from ticketing.users import can_access
from ticketing.workflow.engine import create_order, link_orders
from ticketing.workflow.steps import VOIDED_STATUS

#: the workflow node where the team leader visits the customer back (fault_repair, aftersales_repair)
VISIT_NODE = "visit"
#: the longest remark (回访意见) a survey keeps, in characters; it opens a follow-up complaint too
REMARK_LIMIT = 1000
#: the link from a surveyed order to the complaint its dissatisfaction opened
COMPLAINT_LINK = "follow_up_complaint"


async def add_dimension(
    session: AsyncSession,
    actor: User,
    category: str,
    name: str,
    options: list[dict],
    *,
    site_id: int | None = None,
) -> SurveyDimension:
    """A scoring dimension for (site, category); options are ``{label, satisfied}``."""
    require_admin(actor, "configure surveys")
    if not options or any("label" not in o for o in options):
        raise ActionRefused("survey_bad_options", "each option needs a label")
    sort = len(await dimensions_for(session, site_id, category))
    row = SurveyDimension(site_id=site_id, category=category, name=name, options=options, sort=sort)
    session.add(row)
    await session.flush()
    await record(session, actor, "survey.add_dimension", "survey_dimension", row.id, after={"name": name})
    return row


async def dimensions_for(session: AsyncSession, site_id: int | None, category: str) -> list[SurveyDimension]:
    """The site's own dimensions for the category if it has any, else the defaults."""
    rows = list(
        await session.scalars(
            select(SurveyDimension)
            .where(
                SurveyDimension.category == category,
                or_(SurveyDimension.site_id == site_id, SurveyDimension.site_id.is_(None)),
            )
            .order_by(SurveyDimension.sort, SurveyDimension.id)
        )
    )
    own = [d for d in rows if d.site_id is not None and d.site_id == site_id]
    return own or [d for d in rows if d.site_id is None]


async def order_dimensions(session: AsyncSession, order: WorkOrder) -> list[SurveyDimension]:
    """The order's questionnaire: its own category's dimensions where it has any (the site's
    own, else the defaults), else its workflow's category's (a 协调单 is visited back with the
    fault flow's). One category's set, never a mix: the answers are checked against it."""
    for category in await config_categories(session, order):
        dims = await dimensions_for(session, order.site_id, category)
        if dims:
            return dims
    return []


def survey_due(order: WorkOrder) -> bool:
    """Whether the order may be visited back now: at its 满意度回访 step, or closed (the order
    page shows the survey form by the same rule). Before that nothing was repaired or answered
    yet, and a survey recorded then would stand for the order for good. A voided order (作废:
    invalid or a duplicate) is never due one: nothing was done for that customer."""
    if order.status == VOIDED_STATUS:
        return False
    return order.current_node == VISIT_NODE or not order.is_open


async def record_survey(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    answers: Mapping[str, str],
    *,
    remark: str = "",
    complaint_workflow: str | None = "complaint",
) -> SurveyResult:
    """Store the answers; a dissatisfied answer opens a new complaint order linked to this one
    (the surveyed order itself is not reopened), or names the one its visit-back step opened.
    A second survey of the same order is refused: the first one is what the customer said; so
    is one before the order reached its visit-back step (``survey_due``)."""
    if not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if len(remark) > REMARK_LIMIT:
        raise ActionRefused(
            "survey_remark_too_long", f"the remark is {len(remark)} characters, at most {REMARK_LIMIT}"
        )
    if await session.scalar(select(SurveyResult.id).where(SurveyResult.order_id == order.id).limit(1)):
        raise ActionRefused("survey_recorded", f"{order.number} has its visit-back survey already")
    if not survey_due(order):
        raise ActionRefused(
            "survey_not_due", f"{order.number} is at {order.current_node}, not at its visit-back step"
        )
    dims = {d.name: d for d in await order_dimensions(session, order)}
    problems = {}
    satisfied = True
    for name, dim in dims.items():
        label = answers.get(name)
        option = next((o for o in dim.options if o.get("label") == label), None)
        if option is None:
            problems[name] = "survey_bad_answer" if label else "survey_missing_answer"
            continue
        satisfied = satisfied and bool(option.get("satisfied", True))
    unknown = set(answers) - set(dims)
    for name in unknown:
        problems[name] = "survey_unknown_dimension"
    if problems:
        raise ActionRefused(
            "survey_invalid", "; ".join(f"{k}: {v}" for k, v in problems.items()), problems=problems
        )
    result = SurveyResult(
        order_id=order.id, user_id=user.id, answers=dict(answers), satisfied=satisfied, remark=remark
    )
    try:
        # a savepoint: the refusal below leaves the caller's transaction usable
        async with session.begin_nested():
            session.add(result)
    except IntegrityError:
        # another submission of this order's survey passed the read above at the same moment and
        # was stored first (ix_survey_results_order_id is unique)
        raise ActionRefused("survey_recorded", f"{order.number} has its visit-back survey already") from None
    from campaigns.store import close_surveyed  # campaigns builds on ticketing, not the other way

    await close_surveyed(session, order_id=order.id)  # the visit-back campaign calls no one about it
    if not satisfied and complaint_workflow:
        unhappy = [f"{name}:{label}" for name, label in answers.items() if not _satisfied(dims[name], label)]
        # the handler needs both: what the customer said and which dimensions they were unhappy with
        content = f"回访不满意（{'、'.join(unhappy)}）"
        if remark:
            content = f"{remark}\n{content}"
        complaint = await follow_up_complaint(session, user, order, complaint_workflow, content)
        result.follow_up_order_id = complaint.id
    await record(
        session,
        user,
        "survey.record",
        "work_order",
        order.id,
        after={"answers": dict(answers), "satisfied": satisfied, "follow_up": result.follow_up_order_id},
    )
    return result


def _satisfied(dimension: SurveyDimension, label: str) -> bool:
    option = next(o for o in dimension.options if o.get("label") == label)
    return bool(option.get("satisfied", True))


async def follow_up_complaint(
    session: AsyncSession, user: User, order: WorkOrder, workflow: str, content: str
) -> WorkOrder:
    """The complaint an order's dissatisfied visit-back opened: the one already linked, else a
    new one pre-filled from the order (its site as 所属区域, a title naming it, its customer and
    number to call), waiting at its create step for the team leader to complete."""
    linked = await session.scalar(
        select(WorkOrder)
        .join(OrderLink, OrderLink.to_order_id == WorkOrder.id)
        .where(OrderLink.from_order_id == order.id, OrderLink.kind == COMPLAINT_LINK)
        .order_by(OrderLink.id)
        .limit(1)
    )
    if linked is not None:
        return linked
    site = (await directory.load(session)).sites.get(order.site_id) if order.site_id else None
    title = f"回访不满意：{order.number}"
    form = {"类别1": "一类", "严重程度": "一般", "标题": title, "投诉内容": content}
    if site is not None:
        form["所属区域"] = site.code
    complaint = await create_order(
        session,
        user,
        workflow=workflow,
        site_id=order.site_id,
        customer_id=order.customer_id,
        caller_number=order.caller_number,
        title=title,
        submit=False,
        link_call=False,
        form=form,
        opinion=f"由 {order.number} 回访生成",
    )
    await link_orders(session, user, order, complaint, COMPLAINT_LINK)
    return complaint
