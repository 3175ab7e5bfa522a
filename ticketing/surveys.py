"""Visit-back surveys (满意度回访): dimensions per site × category, results per order,
and a follow-up complaint spawned from a dissatisfied answer.

One visit-back per order: the survey records what the customer said, which the
satisfaction reports and quality control count, so a second answer is refused once
one is recorded (a correction is an opinion on the order, never a rewritten answer).
One complaint per order's dissatisfaction: the 满意度回访 step (是否投诉 / 回访满意度=不满意)
and a dissatisfied survey both lead to the same linked complaint.

The survey is the visit step's record, not a second one beside it: an order whose category
has survey dimensions cannot leave its visit step (``VISIT_NODE``) before its survey is
recorded (``survey_required``), and the step's satisfaction field (回访满意度, 回访结果: the
step's select with a 不满意 option) is taken from the survey (``step_form``), so the two
never disagree. ``visit_back`` records the survey and completes the step in one go (the
order page's 满意度回访 panel is the step's form). Orders visited back by the step alone
before that (or of a category without dimensions) are counted by the satisfaction report
from the step's field (``ticketing.reports.satisfaction``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import directory
from ticketing.audit import record
from ticketing.categories import config_categories, not_offered
from ticketing.errors import ActionRefused, FieldErrors, Forbidden, require_admin
from ticketing.models import OrderLink, SurveyDimension, SurveyResult, User, WorkOrder
from ticketing.users import can_access
from ticketing.workflow import store
from ticketing.workflow.definition import Definition, Node
from ticketing.workflow.engine import VISIT_NODE, create_order, link_orders, submit_step
from ticketing.workflow.steps import VOIDED_STATUS, pending_assignments

#: the workflow node where the team leader visits the customer back (fault_repair, aftersales_repair):
#: ``VISIT_NODE``, imported from the engine, which takes that step's satisfaction from the survey
#: the longest remark (回访意见) a survey keeps, in characters; it opens a follow-up complaint too
REMARK_LIMIT = 1000
#: the link from a surveyed order to the complaint its dissatisfaction opened
COMPLAINT_LINK = "follow_up_complaint"
#: the answers of a visit step's satisfaction field that say the customer was not satisfied
DISSATISFIED = ("不满意", "非常不满意")
#: the dimension whose answer is the visit-back's overall level (``overall_satisfied``), and the
#: step's level when it is one of the field's options
OVERALL_DIMENSION = "综合评价"
#: the visit step's field that is the survey's remark (the panel's box of that name): one 回访意见
#: on the archived order, the survey record and the complaint it opens
REMARK_FIELD = "回访意见"


def satisfaction_field(definition: Definition, node: Node) -> str | None:
    """The visit step's satisfaction field: the first select the step may fill (required or
    editable) with a dissatisfied option (fault_repair's 回访满意度, aftersales_repair's 回访结果)."""
    if node.id != VISIT_NODE:
        return None
    for name, perm in node.fields.items():
        spec = definition.fields.get(name) or {}
        if perm in ("required", "editable") and spec.get("type") == "select":
            if any(str(o) in DISSATISFIED for o in _labels(spec)):
                return name
    return None


def remark_field(definition: Definition, node: Node) -> str | None:
    """The visit step's 回访意见 (``REMARK_FIELD``) when the step may fill it with text: the
    survey's remark, not written beside it (``step_form``)."""
    if node.id != VISIT_NODE or node.fields.get(REMARK_FIELD) not in ("required", "editable"):
        return None
    kind = (definition.fields.get(REMARK_FIELD) or {}).get("type", "text")
    return REMARK_FIELD if kind in ("text", "textarea") else None


def _labels(spec: Mapping[str, Any]) -> list[str]:
    return [
        str(o.get("value", o.get("label")) if isinstance(o, Mapping) else o)
        for o in spec.get("options") or []
    ]


def overall_satisfied(dims: Mapping[str, SurveyDimension], answers: Mapping[str, str]) -> bool:
    """The visit-back's overall level (``SurveyResult.satisfied``: the order's 回访满意度, the 满意率
    of the reports, a follow-up complaint), as a 95598 centre counts it: the customer's own
    综合评价 when the questionnaire has that dimension (one 不满意 on 抢修时效 with 综合评价 满意 is
    counted under 抢修时效, not as an unhappy customer); without it, satisfied only when every
    dimension was answered satisfied. ``answers`` are checked against ``dims`` already."""
    if OVERALL_DIMENSION in dims:
        return _satisfied(dims[OVERALL_DIMENSION], answers[OVERALL_DIMENSION])
    return bool(dims) and all(_satisfied(dim, answers[name]) for name, dim in dims.items())


def overall_rule(names: Iterable[str]) -> str:
    """How ``overall_satisfied`` decides for the dimensions of these names, said on the 满意度回访
    panel (texts ``survey.rule.*``): ``overall_dimension`` (by 综合评价) or ``every_dimension``."""
    return "overall_dimension" if OVERALL_DIMENSION in set(names) else "every_dimension"


def step_level(options: list[str], result: SurveyResult) -> str:
    """The step's satisfaction the survey says: a dissatisfied option when the visit-back was
    (``overall_satisfied``); else the 综合评价 answer when the field has it (非常满意, 满意), else 满意."""
    if not result.satisfied:
        return next((o for o in options if o in DISSATISFIED), options[-1] if options else "不满意")
    overall = (result.answers or {}).get(OVERALL_DIMENSION)
    if overall in options and overall not in DISSATISFIED:
        return overall
    if "满意" in options:
        return "满意"
    return next((o for o in options if o not in DISSATISFIED), "满意")


async def recorded(session: AsyncSession, order: WorkOrder) -> SurveyResult | None:
    """The order's visit-back survey, if recorded."""
    return await session.scalar(
        select(SurveyResult).where(SurveyResult.order_id == order.id).order_by(SurveyResult.id).limit(1)
    )


async def recorded_fields(
    session: AsyncSession, order: WorkOrder, definition: Definition, node: Node
) -> dict[str, str]:
    """What the recorded survey fills in on the visit step, for the order page to show from the
    moment it is recorded, whoever recorded it (the step's holder sees its greyed 回访满意度 with
    the level, not a blank it cannot fill): the satisfaction field's level as ``step_form``
    derives it, and the 回访意见 when the survey has a remark. Nothing before it is recorded, at
    another step, or for a category without dimensions."""
    field = satisfaction_field(definition, node)
    if field is None or not await order_dimensions(session, order):
        return {}
    result = await recorded(session, order)
    if result is None:
        return {}
    filled = {field: step_level(_labels(definition.fields.get(field) or {}), result)}
    said = remark_field(definition, node)
    if said is not None and result.remark:
        filled[said] = result.remark
    return filled


async def step_form(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    node: Node,
    form: Mapping[str, Any],
    submitted: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    """The visit step's form as submitted, its satisfaction field and its 回访意见 taken from
    the survey.

    Refused (``survey_required``) while the order's survey is not recorded, when its category
    has dimensions; refused (``survey_disagrees``) when the form names a level the survey
    contradicts (不满意 for a satisfied survey, or a satisfied level for a dissatisfied one). A
    level submitted (in ``submitted``) that the survey agrees with is kept (非常满意 rather than
    满意); none submitted, it is derived (a value 暂存 earlier is not the customer's answer).
    The survey's remark is the step's 回访意见 (``remark_field``), refused (``survey_remark_disagrees``)
    when the form names other words; a survey recorded without one leaves the field to the step."""
    field = satisfaction_field(definition, node)
    if field is None or not await order_dimensions(session, order):
        return form  # no questionnaire for this order: the step's field is the record
    result = await recorded(session, order)
    if result is None:
        raise ActionRefused(
            "survey_required",
            f"{order.number}: record the visit-back survey (满意度回访) first; the step takes {field} from it",
            field=field,
        )
    level = (submitted or {}).get(field)
    if level in (None, ""):
        level = step_level(_labels(definition.fields.get(field) or {}), result)
    elif (level in DISSATISFIED) == bool(result.satisfied):
        raise ActionRefused(
            "survey_disagrees",
            f"{field}={level} contradicts the recorded survey ({'satisfied' if result.satisfied else 'dissatisfied'})",
            field=field,
        )
    said = remark_field(definition, node)
    if said is None or not result.remark:
        return {**form, field: level}
    written = (submitted or {}).get(said)
    if isinstance(written, str) and written.strip() not in ("", result.remark):
        raise ActionRefused(
            "survey_remark_disagrees",
            f"{said} is the visit-back survey's remark ({result.remark!r}), not other words",
            field=said,
        )
    return {**form, field: level, said: result.remark}


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
    sort = len([d for d in await dimensions_for(session, site_id, category) if d.site_id == site_id])
    row = SurveyDimension(site_id=site_id, category=category, name=name, options=options, sort=sort)
    session.add(row)
    await session.flush()
    await record(session, actor, "survey.add_dimension", "survey_dimension", row.id, after={"name": name})
    return row


async def dimensions_for(session: AsyncSession, site_id: int | None, category: str) -> list[SurveyDimension]:
    """The category's dimensions as ``site_id`` is given them, down the site tree as categories
    are: the site's own set if it has one, else its parent's (a 供电所 uses its 供电局's), …,
    else the shared one (``site_id`` null). One level's set whole, never a mix."""
    return (await dimensions_source(session, site_id, category))[1]


async def dimensions_source(
    session: AsyncSession, site_id: int | None, category: str
) -> tuple[int | None, list[SurveyDimension]]:
    """``dimensions_for`` with the level it comes from: the site whose own set it is, or None
    for the shared set (or no set at all)."""
    levels = (await directory.load(session)).lineage(site_id)
    rows = list(
        await session.scalars(
            select(SurveyDimension)
            .where(
                SurveyDimension.category == category,
                or_(SurveyDimension.site_id.in_(levels), SurveyDimension.site_id.is_(None))
                if levels
                else SurveyDimension.site_id.is_(None),
            )
            .order_by(SurveyDimension.sort, SurveyDimension.id)
        )
    )
    for level in levels:
        own = [d for d in rows if d.site_id == level]
        if own:
            return level, own
    return None, [d for d in rows if d.site_id is None]


async def order_dimensions(session: AsyncSession, order: WorkOrder) -> list[SurveyDimension]:
    """The order's questionnaire: its own category's dimensions where it has any (the site's
    own, else its parent's…, else the shared ones: ``dimensions_for``), else its workflow's category's (a 协调单 is visited back with the
    fault flow's). One category's set, never a mix: the answers are checked against it."""
    for category in await config_categories(session, order):
        dims = await dimensions_for(session, order.site_id, category)
        if dims:
            return dims
    return []


def survey_due(order: WorkOrder, dimensions: list[SurveyDimension] | None = None) -> bool:
    """Whether the order may be visited back now: at its 满意度回访 step, or closed (the order
    page shows the survey form by the same rule). Before that nothing was repaired or answered
    yet, and a survey recorded then would stand for the order for good. A voided order (作废:
    invalid or a duplicate) is never due one: nothing was done for that customer. Given its
    questionnaire (``order_dimensions``), an order with none (a one-step 信息咨询, a complaint)
    is never due one either: its category is not visited back (``record_survey`` refuses it as
    ``survey_not_surveyed``)."""
    if order.status == VOIDED_STATUS or dimensions == []:
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
    granted: bool = False,
) -> SurveyResult:
    """Store the answers; a dissatisfied answer opens a new complaint order linked to this one
    (the surveyed order itself is not reopened), or names the one its visit-back step opened.
    ``granted``: the caller checked a narrower right to this one order's survey instead of the
    user's data scope (a visit-back campaign contact whose call is the agent's: the assignment
    grants the survey of that order, and the complaint it opens, and nothing else).
    A second survey of the same order is refused: the first one is what the customer said; so
    is one before the order reached its visit-back step (``survey_due``), and one of an order
    whose category has no visit-back dimensions (``survey_not_surveyed``: nothing to ask, and
    a survey is satisfied only by the answers given, never by default)."""
    if not granted and not await can_access(session, user, order):
        raise Forbidden("the order's site is outside your data scope", order=order.number)
    if len(remark) > REMARK_LIMIT:
        raise ActionRefused(
            "survey_remark_too_long", f"the remark is {len(remark)} characters, at most {REMARK_LIMIT}"
        )
    if await session.scalar(select(SurveyResult.id).where(SurveyResult.order_id == order.id).limit(1)):
        raise ActionRefused("survey_recorded", f"{order.number} has its visit-back survey already")
    dims = {d.name: d for d in await order_dimensions(session, order)}
    if not dims:
        # nothing to ask (a one-step consult, a complaint): an empty survey would be stored as
        # satisfied and counted by the satisfaction report although nobody said anything
        raise ActionRefused(
            "survey_not_surveyed", f"{order.number}: its category has no visit-back dimensions"
        )
    if not survey_due(order):
        raise ActionRefused(
            "survey_not_due", f"{order.number} is at {order.current_node}, not at its visit-back step"
        )
    problems = {}
    for name, dim in dims.items():
        label = answers.get(name)
        if not any(o.get("label") == label for o in dim.options):
            problems[name] = "survey_bad_answer" if label else "survey_missing_answer"
    unknown = set(answers) - set(dims)
    for name in unknown:
        problems[name] = "survey_unknown_dimension"
    if problems:
        raise ActionRefused(
            "survey_invalid", "; ".join(f"{k}: {v}" for k, v in problems.items()), problems=problems
        )
    # satisfied only by what the customer answered: their 综合评价, else every dimension
    satisfied = overall_satisfied(dims, answers)
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
        unhappy = [f"{name}：{label}" for name, label in answers.items() if not _satisfied(dims[name], label)]
        # the handler needs both: what the customer said and which dimensions they were unhappy with
        content = f"回访不满意（{'、'.join(unhappy)}）"
        if remark:
            content = f"{remark}\n{content}"
        complaint = await follow_up_complaint(
            session, user, order, complaint_workflow, content, granted=granted
        )
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


async def visit_back(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    answers: Mapping[str, str],
    *,
    remark: str = "",
    form: Mapping[str, Any] | None = None,
    opinion: str = "",
) -> tuple[SurveyResult, bool]:
    """满意度回访 as one action: record the survey and, when the order waits at its visit step
    for ``user``, complete that step with ``form`` (是否投诉…; its satisfaction field and its
    回访意见 from the survey, ``step_form``). The remark is the survey's 回访意见: one given only
    as the form's 回访意见 is the survey's too, so the order, the survey and the complaint it
    opens carry the same words. Returns the survey and whether the step was completed. Anyone
    else (a campaign's agent, the order closed) only records the survey: the step's handler then
    submits it and it takes the survey's level and remark."""
    written = (form or {}).get(REMARK_FIELD)
    if not remark and isinstance(written, str):
        remark = written.strip()
    result = await record_survey(session, user, order, answers, remark=remark)
    if not order.is_open or order.current_node != VISIT_NODE:
        return result, False
    if not any(a.user_id == user.id for a in await pending_assignments(session, order)):
        return result, False
    step = dict(form or {})
    definition = await store.definition_for(session, order.workflow_id)
    node = definition.node(VISIT_NODE)
    field = satisfaction_field(definition, node)
    # the step's level is the survey's (``step_form``): the panel's answers, never a dropdown's
    step = {k: v for k, v in step.items() if k != field and node.permission(k) in ("required", "editable")}
    await submit_step(session, user, order, form=step, opinion=opinion)
    return result, True


def _satisfied(dimension: SurveyDimension, label: str) -> bool:
    option = next(o for o in dimension.options if o.get("label") == label)
    return bool(option.get("satisfied", True))


async def follow_up_complaint(
    session: AsyncSession,
    user: User,
    order: WorkOrder,
    workflow: str,
    content: str,
    *,
    granted: bool = False,
) -> WorkOrder:
    """The complaint an order's dissatisfied visit-back opened: the one already linked, else a
    new one pre-filled from the order (its site as 所属区域, a title naming it, its customer and
    number to call, what the customer said as 投诉内容) and submitted past its create step (登记)
    through the engine's submit, so it goes where the complaint workflow sends it (报事审核: the
    team leaders, maker ≠ checker; with that step switched off, 处理 at the area's handlers)
    rather than waiting in the list of whoever recorded the survey (a campaign's agent). One the
    workflow cannot send on (no 所属区域: an order without a site; nobody to take the next step)
    waits at 登记 for its creator, as one taken at intake and saved there does. ``granted``:
    ``record_survey``'s (the complaint is at the surveyed order's site)."""
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

    async def made(submit: bool) -> WorkOrder:
        return await create_order(
            session,
            user,
            workflow=workflow,
            site_id=order.site_id,
            customer_id=order.customer_id,
            caller_number=order.caller_number,
            caller_number_stored=True,
            title=title,
            submit=submit,
            link_call=False,
            form=form,
            opinion=f"由 {order.number} 回访生成",
            scope_granted=granted,
        )

    try:
        try:
            complaint = await made(submit=site is not None)
        except ActionRefused as refused:
            if refused.error_id != "no_operator":
                raise
            # nobody may take the next step: it waits at 登记 (nothing was written by the refusal)
            complaint = await made(submit=False)
    except FieldErrors as refused:
        if "category" not in refused.problems:
            raise
        # the complaint category is 停用 or not offered at the order's site (not the user's)
        category = (await store.latest(session, workflow)).definition.category
        raise await not_offered(
            session, "survey_complaint_not_offered", order.site_id, category, "the visit-back complaint"
        ) from None
    await link_orders(session, user, order, complaint, COMPLAINT_LINK)
    return complaint
