"""The team leader's visit-back survey (满意度回访) on an order: the site × category
dimensions, earlier results, and recording a new one (a dissatisfied answer opens a
linked complaint order in ``ticketing.surveys``). At the order's 满意度回访 step the survey
is the step's form: posting it (with the step's other fields, ``form``, and ``opinion``)
records it and completes the step for its handler (``ticketing.surveys.visit_back``); the
step's own 提交 is refused until a survey is recorded (``survey_required``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.roles import requires
from agent_ui.services import SERVICES
from agent_ui.work import read_only, unit_of_work
from ticketing import surveys
from ticketing.models import SurveyResult, WorkOrder
from ticketing.workflow import engine, store

routes = web.RouteTableDef()


async def survey_view(db, order: WorkOrder) -> dict:
    """The order's survey as the order page and the campaign card show it."""
    dims = await surveys.order_dimensions(db, order)
    results = list(
        await db.scalars(
            select(SurveyResult).where(SurveyResult.order_id == order.id).order_by(SurveyResult.id)
        )
    )
    follow_ups = {
        r.follow_up_order_id: await db.scalar(
            select(WorkOrder.number).where(WorkOrder.id == r.follow_up_order_id)
        )
        for r in results
        if r.follow_up_order_id
    }
    step_field = remark_field = None
    if dims and order.is_open and order.current_node == surveys.VISIT_NODE:
        definition = await store.definition_for(db, order.workflow_id)
        node = definition.node(surveys.VISIT_NODE)
        step_field = surveys.satisfaction_field(definition, node)
        remark_field = surveys.remark_field(definition, node) if step_field else None
    return {
        # the visit step's satisfaction field (回访满意度): the survey's, not typed on the step
        "step_field": step_field,
        # the visit step's 回访意见: the survey's remark (the panel's box feeds it), not typed
        # beside it; a survey recorded without one leaves it to the step
        "remark_field": remark_field,
        # whether a survey may be recorded now (at the 满意度回访 step or closed, none recorded yet)
        # (never for a category without dimensions: such orders are not visited back)
        "due": surveys.survey_due(order, dims) and not results,
        "dimensions": [{"name": d.name, "options": list(d.options)} for d in dims],
        # how the overall level (满意 / 不满意 of the order, the 满意率) is decided, said on the panel:
        # overall_dimension (the 综合评价 answer) or every_dimension (none 不满意)
        "overall_rule": surveys.overall_rule(d.name for d in dims),
        "results": [
            {
                "answers": r.answers,
                "satisfied": r.satisfied,
                "remark": r.remark,
                "at": jsonable(r.created_at),
                "follow_up": follow_ups.get(r.follow_up_order_id),
            }
            for r in results
        ],
    }


def survey_answers(body: dict[str, Any]) -> tuple[dict[str, str], str]:
    """A survey's ``answers`` (dimension → option) and its ``remark`` (trimmed) from a request
    body: the order page's and the campaign card's alike."""
    answers = body.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise UiError("request.invalid", "answers must map each dimension to an option", field="answers")
    remark = body.get("remark") or ""
    if not isinstance(remark, str):
        raise UiError("request.invalid", "remark must be text", field="remark")
    return answers, remark.strip()


@routes.get("/api/orders/{key}/survey")
@requires("order.read")
async def get_survey(request: web.Request) -> web.Response:
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        return web.json_response(await survey_view(db, order))


@routes.post("/api/orders/{key}/survey")
@requires("order.visit_back")
async def record_survey(request: web.Request) -> web.Response:
    body = await json_body(request)
    answers, remark = survey_answers(body)
    form = body.get("form") or {}
    if not isinstance(form, dict):
        raise UiError("request.invalid", "form must map fields to values", field="form")
    opinion = body.get("opinion") or ""
    if not isinstance(opinion, str):
        raise UiError("request.invalid", "opinion must be text", field="opinion")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        # at the 满意度回访 step, for its handler, the survey is the step's form: both in one go
        _, completed = await surveys.visit_back(
            db, user, order, answers, remark=remark, form=form, opinion=opinion.strip()
        )
        view = await survey_view(db, order)
        view["completed"] = completed
        view["status"] = order.status
    return web.json_response(view, status=201)
