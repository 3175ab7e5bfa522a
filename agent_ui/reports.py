"""报表: the report page, the reports as JSON, and their CSV / Excel export.

Team leaders, supervisors and admins (``report.view``). Every report runs inside the
viewer's data scope (``ticketing.reports`` / ``ticketing.call_reports``); the period is
whole days in the site's time zone, ``from`` and ``to`` both included (default: today).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import exists, or_, select

from agent_ui.auth import current_user
from agent_ui.board_today import own_queues
from agent_ui.bodies import date_range, day_start, int_param
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.locale import language
from agent_ui.report_tables import (
    EXPORT_LIMIT,
    GROUPS,
    PAGED,
    REPORTS,
    ReportQuery,
    ReportTable,
    build,
    label,
)
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES, TEXTS
from agent_ui.work import read_only
from cti.phones import InvalidPhoneNumber, normalize
from ticketing.call_reports import INTERVALS, SERVICE_LEVEL_SECONDS
from ticketing.ids import parse_id
from ticketing.models import Contractor, Interaction, Site, User
from ticketing.reports import to_csv, to_xlsx, workflows
from ticketing.sites import in_tree_order
from ticketing.users import scope_paths, staffed_queues

routes = web.RouteTableDef()
MAX_DAYS = 366
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _interval(request: web.Request) -> int | str:
    raw = request.query.get("interval", "30")
    if raw == "day":
        return raw
    if raw.isdigit() and int(raw) in INTERVALS:
        return int(raw)
    raise UiError("request.invalid", "interval must be 15, 30, 60 or day", field="interval")


def _number(request: web.Request) -> str:
    """The call detail's 号码 filter as the calls store numbers (+86 138-0000-0001 → 13800000001),
    or a part of one (the last digits a caller gave); "" for none."""
    raw = request.query.get("number", "").strip()
    if not raw:
        return ""
    try:
        return normalize(raw)
    except InvalidPhoneNumber:
        raise UiError("request.invalid", "number must have digits", field="number") from None


def report_query(request: web.Request, *, export: bool = False) -> ReportQuery:
    tz = request.app[SERVICES].site_timezone
    today = dt.datetime.now(ZoneInfo(tz)).date()
    first, last = date_range(request, today)
    last = last or first  # one day: from's
    if (last - first).days >= MAX_DAYS:
        raise UiError(
            "report.range_too_long", f"a report covers at most {MAX_DAYS} days", field="to", days=MAX_DAYS
        )
    site = request.query.get("site", "")
    site_id = parse_id(site) if site else None  # ticketing.ids: no 20-digit id reaches the database
    if site and site_id is None:
        raise UiError("request.invalid", "site must be a site id", field="site")
    page = int_param(request, "page", 1, low=1, high=100_000)
    size = int_param(request, "size", 50, low=1, high=500)
    return ReportQuery(
        start=day_start(first, tz),
        end=day_start(last + dt.timedelta(days=1), tz),
        tz=tz,
        queue=request.query.get("queue", "").strip(),
        number=_number(request),
        site_id=site_id,
        interval=_interval(request),
        threshold=int_param(request, "threshold", int(SERVICE_LEVEL_SECONDS), low=1, high=600),
        workflow=request.query.get("workflow", "").strip(),
        contractor_id=int_param(request, "contractor", 0, low=0, high=2**31) or None,
        offset=0 if export else (page - 1) * size,
        limit=EXPORT_LIMIT if export else size,
    )


async def _run(request: web.Request, *, export: bool = False) -> tuple[ReportTable, Any, ReportQuery]:
    name = request.match_info["name"]
    if name not in REPORTS:
        raise UiError("not_found")
    query = report_query(request, export=export)
    lang = await language(request)
    texts = request.app[TEXTS]
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        await _check_site(db, user, query.site_id)
        query = dataclasses.replace(query, own_queues=await own_queues(db, services))
        await _check_named(db, query)
        table = await build(db, user, name, query)
    return table, lambda key: texts.get(lang, key), query


def _unknown(what: str, field: str, value: object) -> UiError:
    """A filter naming something there is none of: said in words with what was asked for (cut
    to 64 characters), where an empty report would read as "nothing happened" (QA: queue=nosuch
    answered 200 with no rows)."""
    shown = str(value)[:64]
    return UiError(f"report.unknown_{what}", f"no {what} {shown!r}", field=field, unknown=shown)


async def _check_named(db: Any, query: ReportQuery) -> None:
    """The queue, workflow and contractor a report is filtered by exist: a queue the hotline has
    (``own_queues``) or one calls were in (a retired queue keeps its
    history), a workflow orders may have run on (disabled ones too), a contractor by its id."""
    if query.queue and query.queue not in (query.own_queues or ()):
        queue_path = Interaction.payload["queue_path"].as_string()
        in_calls = select(Interaction.id).where(
            Interaction.kind == "call",
            or_(
                Interaction.payload["queue"].as_string() == query.queue,
                queue_path.contains(f"|{query.queue}|", autoescape=True),
            ),
        )
        if not await db.scalar(select(exists(in_calls))):
            raise _unknown("queue", "queue", query.queue)
    if query.workflow and query.workflow not in dict(await workflows(db)):
        raise _unknown("workflow", "workflow", query.workflow)
    contractor = query.contractor_id
    # an integer column: an id beyond it names none (and is not put to PostgreSQL)
    if contractor is not None and (contractor >= 2**31 or await db.get(Contractor, contractor) is None):
        raise _unknown("contractor", "contractor", contractor)


async def _check_site(db: Any, user: User, site_id: int | None) -> None:
    """A site filter outside the viewer's scope is refused, not silently emptied; one that does
    not exist is said so (``report.unknown_site``, 400)."""
    if site_id is None:
        return
    path = await db.scalar(select(Site.path).where(Site.id == site_id))
    if path is None:
        raise _unknown("site", "site", site_id)
    paths = await scope_paths(db, user)
    if paths is not None and not any(path.startswith(p) for p in paths):
        raise UiError("scope.forbidden")


def _period(query: ReportQuery, t: Any) -> str:
    """The days a report covers, for its file's name: a month's file and its first day's would
    otherwise be named alike (2026-11-01, or 2026-11-01至2026-11-29)."""
    tz = ZoneInfo(query.tz)
    first = query.start.astimezone(tz).date()
    last = (query.end.astimezone(tz) - dt.timedelta(days=1)).date()
    if first == last:
        return str(first)
    return t("report.file_period").format(first=first, last=last)


def _absolute_links(table: ReportTable, rows: list[list[Any]], origin: str) -> list[list[Any]]:
    """A file read away from the page has no page to be relative to: its links (a recording's
    /recordings/…) are written whole, on the host the export was asked of (``origin``)."""
    links = [i for i, c in enumerate(table.columns) if c.kind == "link"]
    for row in rows:
        for i in links:
            if isinstance(row[i], str) and row[i].startswith("/"):
                row[i] = origin + row[i]
    return rows


@routes.get("/reports")
@requires("report.view")
async def reports_page(request: web.Request) -> web.Response:
    """报表: the report page."""
    return await request.app[TEMPLATES].response(request, "reports.html", {"groups": GROUPS})


@routes.get("/api/reports")
@requires("report.view")
async def report_catalog(request: web.Request) -> web.Response:
    """The reports, the sites and queues the viewer may filter by, the workflows (for the steps
    report: key and name) and the longest period (days)"""
    lang = await language(request)
    texts = request.app[TEXTS]
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        paths = await scope_paths(db, user)
        stmt = select(Site)
        if paths is not None:
            stmt = stmt.where(or_(*(Site.path.startswith(p) for p in paths)) if paths else Site.id.is_(None))
        sites = [
            {"id": s.id, "name": s.name, "kind": s.kind, "path": s.path}
            for s in await in_tree_order(db, await db.scalars(stmt))
        ]
        queues = await staffed_queues(db, services.default_skills)
        listed = [{"key": k, "name": n} for k, n in await workflows(db)]
    return web.json_response(
        {
            "reports": [
                {"name": n, "title": texts.get(lang, f"report.{n}"), "paged": n in PAGED} for n in REPORTS
            ],
            "sites": sites,
            "queues": queues,
            "workflows": listed,
            "max_days": MAX_DAYS,
            "intervals": [str(i) for i in INTERVALS],
            "threshold": SERVICE_LEVEL_SECONDS,
        }
    )


@routes.get("/api/reports/{name}")
@requires("report.view")
async def report_json(request: web.Request) -> web.Response:
    """One report: from, to (YYYY-MM-DD), queue, site, interval (15|30|60|day), threshold (s), workflow, page, size"""
    table, t, _ = await _run(request)
    return web.json_response(jsonable(table.to_json(t)))


@routes.get("/api/reports/{name}/export")
@requires("report.view")
async def report_export(request: web.Request) -> web.Response:
    """One report as a file: format=csv|xlsx, same filters as the report (every row, up to 50,000)"""
    fmt = request.query.get("format", "xlsx")
    if fmt not in FORMATS:
        raise UiError("request.invalid", "format must be csv or xlsx", field="format")
    table, t, query = await _run(request, export=True)
    headers = [label(c, t, export=True) for c in table.columns]
    title = t(f"report.{table.name}")
    filename = f"{title}-{_period(query, t)}.{fmt}"
    rows = _absolute_links(table, table.rows_in(t), str(request.url.origin())) + table.summary_rows(t)
    body = (
        to_csv(headers, rows).encode("utf-8")
        if fmt == "csv"
        else to_xlsx(title, headers, rows, [c.kind for c in table.columns])
    )
    return web.Response(
        body=body,
        content_type=FORMATS[fmt].split(";")[0],
        charset="utf-8" if fmt == "csv" else None,
        headers={
            "Content-Disposition": f"attachment; filename=\"report.{fmt}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
