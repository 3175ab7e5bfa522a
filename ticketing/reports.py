"""Reports on known data: orders by category/status/site/handler, overdue, cycle times,
who handles most, complaint causes, satisfaction; export to CSV (UTF-8 with BOM for Excel)
and to Excel (.xlsx). The call, queue and agent reports are in ``ticketing.call_reports``.
The database adds the figures up; the process reads one row per group.

Every report takes an optional ``viewer``: with it, only orders of the viewer's sites count;
and an optional ``site_id``: only orders of that site and the sites below it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, exists, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import surveys
from ticketing.call_reports import ReportSql
from ticketing.contractors import dispatched_to
from ticketing.models import (
    Assignment,
    Comment,
    Contractor,
    ContractorDispatch,
    Site,
    SurveyResult,
    User,
    WorkflowDefinition,
    WorkOrder,
    utcnow,
)
from ticketing.users import order_scope_clause
from ticketing.workflow import store
from ticketing.workflow.engine import VISIT_NODE
from ticketing.workflow.steps import VOIDED_STATUS, with_subtype_fields
from ticketing.workflow.store import intake_order, parsed

GROUPS = {"category": WorkOrder.category, "status": WorkOrder.status, "site": Site.name}


def counted() -> ColumnElement[bool]:
    """The orders the reports count as handled: a voided order (作废, ``VOIDED_STATUS``) was
    closed, not handled, so it is in no cycle time, count by category or site, nor satisfaction."""
    return WorkOrder.status != VOIDED_STATUS


async def _scoped(session: AsyncSession, stmt: Any, viewer: User | None, site_id: int | None = None) -> Any:
    """Limit to the viewer's sites (三级权限: a branch supervisor's report covers that branch)
    and to ``site_id``'s subtree."""
    if viewer is not None:
        stmt = stmt.where(await order_scope_clause(session, viewer))
    if site_id is not None:
        path = await session.scalar(select(Site.path).where(Site.id == site_id))
        subtree = (
            select(Site.id).where(Site.path.startswith(path)) if path else select(Site.id).where(false())
        )
        stmt = stmt.where(WorkOrder.site_id.in_(subtree))
    return stmt


async def _sql(session: AsyncSession) -> ReportSql:
    return ReportSql((await session.connection()).dialect.name)


def _period(stmt: Any, column: Any, start: dt.datetime | None, end: dt.datetime | None) -> Any:
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


def _counted_by(group: str) -> Any:
    """The orders counted per ``GROUPS[group]``."""
    column = GROUPS[group]
    stmt = select(column, func.count(WorkOrder.id)).group_by(column)
    if group == "site":
        stmt = stmt.select_from(WorkOrder).join(Site, Site.id == WorkOrder.site_id)
    return stmt


async def _received(
    session: AsyncSession,
    stmt: Any,
    start: dt.datetime | None,
    end: dt.datetime | None,
    viewer: User | None,
    site_id: int | None,
    contractor_id: int | None = None,
) -> Any:
    """``stmt`` over the orders received in the period (an end None: open) that ``viewer`` may
    see, of ``site_id``'s sites, and dispatched to ``contractor_id`` (外委单位) when given."""
    if contractor_id is not None:
        stmt = stmt.where(dispatched_to([contractor_id]))
    return await _scoped(session, _period(stmt, WorkOrder.created_at, start, end), viewer, site_id)


async def orders_by(
    session: AsyncSession,
    group: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
) -> list[tuple[str, int]]:
    """Order counts by category, status, site or handler (whoever holds a pending step);
    ``contractor_id``: only orders dispatched to that contractor (外委单位). Voided orders
    (作废: invalid or duplicates) are counted apart (``voided_by``): by status they are their own
    row 已作废, by category or site they are left out of the count."""
    if group == "handler":
        stmt = (
            select(User.name, func.count(func.distinct(Assignment.order_id)))
            .join(Assignment, Assignment.user_id == User.id)
            .join(WorkOrder, WorkOrder.id == Assignment.order_id)
            .where(Assignment.state == "pending")
            .group_by(User.name)
        )
    elif group in GROUPS:
        stmt = _counted_by(group)
    else:
        raise ValueError(f"unknown grouping {group!r}")
    if group != "status":
        stmt = stmt.where(counted())
    stmt = await _received(session, stmt, start, end, viewer, site_id, contractor_id)
    rows = [(str(k), int(n)) for k, n in (await session.execute(stmt)).all()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


async def voided_by(
    session: AsyncSession,
    group: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
) -> dict[str, int]:
    """作废: the voided orders received in the period, by category or site (``orders_by``'s
    groups, which leave them out)."""
    if group not in ("category", "site"):
        raise ValueError(f"unknown grouping {group!r}")
    stmt = _counted_by(group).where(WorkOrder.status == VOIDED_STATUS)
    stmt = await _received(session, stmt, start, end, viewer, site_id, contractor_id)
    return {str(k): int(n) for k, n in (await session.execute(stmt)).all()}


async def overdue(
    session: AsyncSession,
    now: dt.datetime | None = None,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[WorkOrder]:
    """Open orders past their deadline, the most overdue first; ``offset`` and ``limit`` pick a
    page of them (``overdue_count`` counts them all)."""
    stmt = (await _overdue(session, now, viewer, site_id, contractor_id)).order_by(
        WorkOrder.due_at, WorkOrder.id
    )
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(await session.scalars(stmt))


async def overdue_count(
    session: AsyncSession,
    now: dt.datetime | None = None,
    *,
    viewer: User | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
) -> int:
    stmt = await _overdue(session, now, viewer, site_id, contractor_id)
    return int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


async def _overdue(
    session: AsyncSession,
    now: dt.datetime | None,
    viewer: User | None,
    site_id: int | None,
    contractor_id: int | None,
) -> Any:
    stmt = select(WorkOrder).where(WorkOrder.is_open.is_(True), WorkOrder.due_at < (now or utcnow()))
    return await _received(session, stmt, None, None, viewer, site_id, contractor_id)  # whenever received


async def cycle_time_by_workflow(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
) -> list[tuple[str, int, float]]:
    """(workflow, closed orders, mean hours from creation to close); added up by the database
    in whole microseconds. A voided order (作废) was closed, not handled: it does not count."""
    sql = await _sql(session)
    took = sql.micros(WorkOrder.closed_at) - sql.micros(WorkOrder.created_at)
    stmt = await _received(
        session,
        select(WorkOrder.workflow_key, func.count(), func.sum(took))
        .where(WorkOrder.closed_at.is_not(None), counted())
        .group_by(WorkOrder.workflow_key),
        start,
        end,
        viewer,
        site_id,
    )
    return sorted((k, n, _mean(us, n, 3600, 2)) for k, n, us in (await session.execute(stmt)).all())


def _mean(micros: Any, n: int, unit: int, digits: int) -> float:
    """The mean of ``n`` spans that add up to ``micros`` µs, in ``unit`` seconds, rounded: as
    Python's mean of each span's ``total_seconds() / unit`` (the same float where the spans'
    sum is exact, a last bit apart otherwise)."""
    return round(int(micros) / 1e6 / unit / n, digits)


async def cycle_time_by_step(
    session: AsyncSession,
    workflow_key: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
) -> list[tuple[str, int, float]]:
    """(node, steps completed, mean minutes from assignment to action) over the orders received
    in the period (as ``cycle_time_by_workflow``: a voided order's steps do not count), in the workflow's own order of steps
    (``workflow_steps``); a step no version defines comes after, by id."""
    sql = await _sql(session)
    took = sql.micros(Assignment.acted_at) - sql.micros(Assignment.assigned_at)
    stmt = await _received(
        session,
        select(Assignment.node, func.count(), func.sum(took))
        .join(WorkOrder, WorkOrder.id == Assignment.order_id)
        .where(WorkOrder.workflow_key == workflow_key, Assignment.state == "done", counted())
        .group_by(Assignment.node),
        start,
        end,
        viewer,
        site_id,
    )
    found = [(node, n, _mean(us, n, 60, 1)) for node, n, us in (await session.execute(stmt)).all()]
    place = {node: i for i, node in enumerate(await workflow_steps(session, workflow_key))}
    return sorted(found, key=lambda r: (place.get(r[0], len(place)), r[0]))


async def busiest_workflow(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
) -> str | None:
    """The workflow with the most orders received in the period that ``viewer`` may see (voided
    ones not counted, as ``cycle_time_by_step``), the first in intake's order on a tie; None with
    no order: what 环节处理时长 shows unless asked for another."""
    stmt = await _received(
        session,
        select(WorkOrder.workflow_key, func.count()).where(counted()).group_by(WorkOrder.workflow_key),
        start,
        end,
        viewer,
        site_id,
    )
    counts = dict((await session.execute(stmt)).all())
    if not counts:
        return None
    place = {key: i for i, (key, _) in enumerate(await workflows(session))}
    return min(counts, key=lambda key: (-counts[key], place.get(key, len(place)), key))


async def workflows(session: AsyncSession) -> list[tuple[str, str]]:
    """Every workflow orders may have run on, disabled ones too: (key, its newest version's name),
    in intake's order (the top categories'), then by key."""
    names: dict[str, str] = {}
    for key, name in await session.execute(
        select(WorkflowDefinition.key, WorkflowDefinition.name).order_by(WorkflowDefinition.version)
    ):
        names[key] = name or key
    return [(k, names[k]) for k in await intake_order(session, names)]


async def workflow_steps(session: AsyncSession, workflow_key: str) -> dict[str, str]:
    """The steps of a workflow, node id -> the node's name, in the newest version's order, then
    the steps only older versions have (their orders keep the version they started on)."""
    steps: dict[str, str] = {}
    for row in await session.scalars(
        select(WorkflowDefinition)
        .where(WorkflowDefinition.key == workflow_key)
        .order_by(WorkflowDefinition.version.desc())
    ):
        for node in parsed(row).nodes:
            steps.setdefault(node.id, node.name or node.id)
    return steps


async def by_contractor(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
) -> list[tuple[str, int, int, int, float | None]]:
    """外委: per contractor, (name, dispatched, replied, still pending, mean hours to reply)
    for dispatches made in the period; cancelled dispatches do not count."""
    sql = await _sql(session)
    replied = ContractorDispatch.state == "replied"
    took = sql.micros(ContractorDispatch.replied_at) - sql.micros(ContractorDispatch.dispatched_at)
    stmt = (
        select(
            Contractor.name,
            func.count(),
            func.sum(case((replied, 1), else_=0)),
            func.sum(case((replied, took), else_=0)),
        )
        .join(ContractorDispatch, ContractorDispatch.contractor_id == Contractor.id)
        .join(WorkOrder, WorkOrder.id == ContractorDispatch.order_id)
        .where(ContractorDispatch.state != "cancelled")
        .group_by(Contractor.name)
    )
    if contractor_id is not None:
        stmt = stmt.where(Contractor.id == contractor_id)
    stmt = await _scoped(
        session, _period(stmt, ContractorDispatch.dispatched_at, start, end), viewer, site_id
    )
    out = [
        (name, n, int(done), n - int(done), _mean(us, int(done), 3600, 2) if done else None)
        for name, n, done, us in (await session.execute(stmt)).all()
    ]
    return sorted(out, key=lambda r: (-r[1], r[0]))


async def top_handlers(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 10,
    viewer: User | None = None,
    site_id: int | None = None,
) -> list[tuple[str, str, int]]:
    """(工号, name, actions taken: submit/approve/reject) — who handles most."""
    stmt = (
        select(User.staff_no, User.name, func.count(Comment.id))
        .join(Comment, Comment.user_id == User.id)
        .join(WorkOrder, WorkOrder.id == Comment.order_id)
        .where(Comment.action.in_(("submit", "approve", "reject")))
        .group_by(User.staff_no, User.name)
        .order_by(func.count(Comment.id).desc(), User.staff_no)
        .limit(limit)
    )
    stmt = await _scoped(session, _period(stmt, Comment.created_at, start, end), viewer, site_id)
    return [(s, n, int(c)) for s, n, c in (await session.execute(stmt)).all()]


async def complaint_causes(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
) -> list[tuple[str, str, int]]:
    """(类别1, 严重程度, count) over complaint orders, counted by the database; a field as
    Python's ``str()`` writes it ("" when missing, None, True, 3).

    The class is the order's one: where its 小类别 decides 类别1 (一类投诉: 一类, the workflow's
    ``subcategory`` binding, ``Definition.subcategory_values``), the 小类别's, so an order saved
    before the two were held together (一类投诉 with 类别1 三类) counts where its title says."""
    sql = await _sql(session)
    cause = sql.form_text(WorkOrder.form, "类别1")
    severity = sql.form_text(WorkOrder.form, "严重程度")
    stmt = await _received(
        session,
        select(WorkOrder.workflow_id, WorkOrder.subcategory, cause, severity, func.count())
        .where(WorkOrder.category == "complaint")
        .group_by(WorkOrder.workflow_id, WorkOrder.subcategory, cause, severity),
        start,
        end,
        viewer,
        site_id,
    )
    classes: dict[tuple[int, str], Any] = {}
    counted_as: defaultdict[tuple[str, str], int] = defaultdict(int)
    for workflow_id, subcategory, a, b, n in (await session.execute(stmt)).all():
        if subcategory and (workflow_id, subcategory) not in classes:
            definition = await with_subtype_fields(
                session, await store.definition_for(session, workflow_id), subcategory
            )
            classes[(workflow_id, subcategory)] = definition.bound.get("类别1")
        bound = classes.get((workflow_id, subcategory)) if subcategory else None
        counted_as[(str(a) if bound is None else str(bound), str(b))] += int(n)
    counts = [(a, b, n) for (a, b), n in counted_as.items()]
    return sorted(counts, key=lambda r: (-r[2], r[0], r[1]))


async def satisfaction(
    session: AsyncSession,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    viewer: User | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    """Totals and, per dimension, the count of each answer (counted by the database; the
    answers of each dimension in the order they were first given). Every visited-back order
    counts once: by its survey, or, with none recorded, by its visit step's satisfaction
    field (回访满意度 / 回访结果, listed as a dimension of that name; ``_step_only_visits``).
    A survey without answers (``{}``: stored satisfied by default before ``record_survey``
    refused orders without dimensions) says nothing and is not counted."""
    sql = await _sql(session)
    given = sql.json_pairs(SurveyResult.answers)
    base = _period(
        # a survey of an order voided afterwards (作废 at its visit-back step) does not count
        select(SurveyResult.id)
        .join(WorkOrder, WorkOrder.id == SurveyResult.order_id)
        .where(counted(), exists(select(true()).select_from(given))),
        SurveyResult.created_at,
        start,
        end,
    )
    chosen = (await _scoped(session, base, viewer, site_id)).subquery("chosen")
    total, satisfied = (
        await session.execute(
            select(func.count(), func.sum(case((SurveyResult.satisfied.is_(True), 1), else_=0))).where(
                SurveyResult.id.in_(select(chosen.c.id))
            )
        )
    ).one()
    total, satisfied = int(total), int(satisfied or 0)
    answers = sql.json_pairs(SurveyResult.answers)
    by_dimension: dict[str, dict[str, int]] = defaultdict(dict)
    for dim, label, n in await session.execute(
        select(answers.c.key, answers.c.value, func.count())
        .select_from(SurveyResult)
        .join(answers, true())
        .where(SurveyResult.id.in_(select(chosen.c.id)))
        .group_by(answers.c.key, answers.c.value)
        .order_by(func.min(SurveyResult.id), answers.c.key, answers.c.value)
    ):
        by_dimension[dim][label] = int(n)
    for field, label, n in await _step_only_visits(session, start, end, viewer, site_id):
        by_dimension[field][label] = by_dimension[field].get(label, 0) + n
        total += n
        satisfied += n if label not in surveys.DISSATISFIED else 0
    return {
        "total": total,
        "satisfied": satisfied,
        "rate": round(satisfied / total, 4) if total else None,
        "by_dimension": dict(by_dimension),
    }


async def _step_only_visits(
    session: AsyncSession,
    start: dt.datetime | None,
    end: dt.datetime | None,
    viewer: User | None,
    site_id: int | None,
) -> list[tuple[str, str, int]]:
    """Orders visited back by their 满意度回访 step with no survey recorded, as (the step's
    satisfaction field, its value, count), in the period the step was done: orders archived
    before the step took its level from the survey (``ticketing.surveys.step_form``), and
    those of a category without survey dimensions, whose step's field is their only record.
    Each visited order counts once, by its survey if it has one, else by its step."""
    visited = _period(
        select(Assignment.order_id).where(Assignment.node == VISIT_NODE, Assignment.state == "done"),
        Assignment.acted_at,
        start,
        end,
    )
    base = select(WorkOrder.id).where(
        WorkOrder.id.in_(visited),
        ~exists().where(SurveyResult.order_id == WorkOrder.id),
        counted(),
    )
    chosen = (await _scoped(session, base, viewer, site_id)).subquery("step_only")
    found: list[tuple[str, str, int]] = []
    workflows = await session.scalars(
        select(WorkOrder.workflow_id).where(WorkOrder.id.in_(select(chosen.c.id))).distinct()
    )
    for workflow_id in sorted(workflows):
        definition = await store.definition_for(session, workflow_id)
        try:
            field = surveys.satisfaction_field(definition, definition.node(VISIT_NODE))
        except KeyError:
            continue
        if field is None:
            continue
        level = (await _sql(session)).form_text(WorkOrder.form, field)
        for label, n in await session.execute(
            select(level, func.count())
            .where(WorkOrder.workflow_id == workflow_id, WorkOrder.id.in_(select(chosen.c.id)))
            .where(level.not_in(("", "None")))
            .group_by(level)
            .order_by(level)
        ):
            found.append((field, str(label), int(n)))
    return found


#: how a cell Excel, WPS or LibreOffice would take for a formula begins (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: text that is only a number (-12.5, +3, 1e-3): a spreadsheet reads it as that number, never a formula
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def sheet_cell(value: Any) -> Any:
    """A cell as the CSV export writes it. Report cells carry text people typed or callers sent
    (an order's title, a caller id, a campaign's name): text a spreadsheet would run as a formula
    when it opens the CSV (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3+cmd|…``) gets a leading ``'``
    so it shows as the text it is; numbers, negative ones too, stay numbers that Excel can sum.
    The workbook export needs no such mark (``to_xlsx``)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text starting with a BOM so Excel opens the Chinese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([sheet_cell(h) for h in headers])
    for row in rows:
        writer.writerow([sheet_cell(v) for v in row])
    return out.getvalue()


#: Excel number formats per report column kind; a percent is stored as its fraction (0.2857)
XLSX_FORMATS = {"percent": "0.0%"}


def to_xlsx(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], kinds: Sequence[str] = ()
) -> bytes:
    """An Excel workbook with one sheet: a bold, frozen header row and the rows as typed cells
    (numbers stay numbers, so Excel can sum them); ``kinds`` (per column: percent…) gives
    number cells their format (0.2857 shows as 28.6%)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    # Excel refuses sheet titles over 31 characters or with []:*?/\
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "report"
    sheet.append(list(headers))
    for cell in sheet[1]:
        _as_text(cell)
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in headers]
    for row in rows:
        values = ["" if v is None else v for v in row]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            _as_text(cell)
        for cell, kind in zip(sheet[sheet.max_row], kinds, strict=False):
            if kind in XLSX_FORMATS and isinstance(cell.value, int | float):
                cell.number_format = XLSX_FORMATS[kind]
        widths = [max(w, len(str(v))) for w, v in zip(widths, values, strict=False)] + widths[len(values) :]
    for i, width in enumerate(widths, start=1):
        # CJK characters are about two columns wide
        sheet.column_dimensions[get_column_letter(i)].width = min(60, 2 * width + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(cell: Any) -> None:
    """In a workbook a cell is a formula only by its type, and openpyxl gives that type to text
    starting with ``=`` alone: such text is kept a string, as typed, marked as text
    (``quotePrefix``, Excel's hidden apostrophe) so that editing the cell does not make it a
    formula either. Text starting with - + @ is a string already and is written unchanged; a
    visible ``'`` as in the CSV would only garble a title such as ``-停电咨询``."""
    if cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
