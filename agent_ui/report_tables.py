"""Every report as one table: columns, rows, an optional summary and charts.

The JSON API, the CSV and the Excel export all come from the same ``ReportTable``,
so what a supervisor sees on the page is what they download. The figures are
computed by ``ticketing.reports`` (orders) and ``ticketing.call_reports`` (calls,
queues, agents); this module only picks, labels and shapes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.errors import UiError
from campaigns import report as campaign_report
from ticketing import call_reports, reports
from ticketing.models import Disposition, Site, User
from ticketing.models.campaigns import CONTACT_STATES
from ticketing.workflow import store

#: the most rows one export carries (the page shows ``size`` at a time)
EXPORT_LIMIT = 50_000


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str  # a texts key (report.c.*), for pause reasons followed by "·" and the reason
    #: text | int | seconds | duration | percent | time | number | link | order; a duration is
    #: whole seconds the page shows as 时:分:秒 and the exports keep as seconds (their heading
    #: says so: ``label``)
    kind: str = "text"


@dataclasses.dataclass(frozen=True)
class ReportQuery:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    tz: str
    queue: str = ""
    number: str = ""  # the call detail's 号码: normalised digits, all of a number or a part
    site_id: int | None = None
    interval: int | str = 30
    threshold: float = call_reports.SERVICE_LEVEL_SECONDS
    workflow: str = ""
    contractor_id: int | None = None  # orders dispatched to this contractor (外委单位)
    offset: int = 0
    limit: int | None = None  # None: every row (exports)
    #: the hotline's queues (``board_today.own_queues``): the queue report's 合计 and summary count only
    #: these, another queue on the same Asterisk comes after them as 其他队列 (None: every queue)
    own_queues: frozenset[str] | None = None


class TextKey(str):
    """A cell that is a texts key, said in the reader's language (the JSON and the exports);
    ``fallback``: what to show when no text has that key (a code nobody gave words yet)."""

    fallback: str | None

    def __new__(cls, key: str, fallback: str | None = None) -> TextKey:
        cell = super().__new__(cls, key)
        cell.fallback = fallback
        return cell


class Phrase(tuple):
    """A cell of several parts run together, each ``TextKey`` said in the reader's language."""


def say(value: Any, t: Callable[[str], str]) -> Any:
    """A cell as the reader reads it: ``TextKey`` and ``Phrase`` cells said through ``t``."""
    if isinstance(value, TextKey):
        said = t(value)  # a key missing from the texts comes back as itself
        return value.fallback if said == value and value.fallback is not None else said
    if isinstance(value, Phrase):
        return "".join(str(say(part, t)) for part in value)
    return value


def worded(prefix: str, value: str) -> TextKey | str:
    """A stored code (``inbound``, ``finished``…) as the words of texts' ``prefix.value``; the code
    itself where the texts have none, nothing for no code."""
    return TextKey(f"{prefix}.{value}", fallback=value) if value else ""


#: the queue table's own words (queue.name, queue.waiting…) are no queue's name (i18n.js queueName)
_QUEUE_WORDS = frozenset(("title", "name", "waiting", "longest", "ready"))


def queue_name(queue: str) -> TextKey | str:
    """A queue as the wallboard names it: a shipped one in words (complaint → 投诉, texts'
    ``queue.*``), any other as it is named."""
    if not queue or queue in _QUEUE_WORDS:
        return queue
    return TextKey(f"queue.{queue}", fallback=queue)


#: the label of a report's totals rows
TOTAL = TextKey("report.totals")


@dataclasses.dataclass
class ReportTable:
    name: str
    columns: list[Column]
    rows: list[list[Any]]
    total: int | None = None  # rows in all pages, where the report pages
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    charts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: what the report counts, in all, where that is not its rows (the orders of orders_by_*)
    counted: int | None = None

    def rows_in(self, t: Callable[[str], str]) -> list[list[Any]]:
        """The rows with every ``TextKey`` and ``Phrase`` cell said through ``t``."""
        return [[say(v, t) for v in row] for row in self.rows]

    def to_json(self, t: Callable[[str], str]) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": t(f"report.{self.name}"),
            "columns": [{"key": c.key, "label": label(c, t), "kind": c.kind} for c in self.columns],
            "rows": self.rows_in(t),
            # rows in all pages (the pager's); ``total``: what the report counts in all, which is
            # its rows but for the reports counting orders per row (their orders)
            "row_count": self.row_count,
            "total": self.row_count if self.counted is None else self.counted,
            "summary": self.summary,
            "charts": [
                {**c, "title": t(c["title"]), "series": [{**s, "name": t(s["name"])} for s in c["series"]]}
                for c in self.charts
            ],
        }

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.total is None else self.total

    def summary_rows(self, t: Callable[[str], str]) -> list[list[Any]]:
        """The summary the page shows above the table, as rows for the exports (after the table
        and a blank row): the queue report's overall 呼入, 服务水平, ASA, AHT and 放弃率."""
        if self.name != "queues" or not self.summary:
            return []
        s = self.summary

        def percent(v: Any) -> str:
            return "—" if v is None else f"{v * 100:.1f}%"

        def seconds(v: Any) -> Any:
            return "—" if v is None else v

        return [
            [],
            [t("report.summary")],
            [t("report.s.offered"), s.get("offered")],
            [t("report.s.service_level"), percent(s.get("service_level"))],
            [t("report.s.asa"), seconds(s.get("asa"))],
            [t("report.s.aht"), seconds(s.get("aht"))],
            [t("report.s.abandon_rate"), percent(s.get("abandon_rate"))],
        ]


def label(column: Column, t: Callable[[str], str], *, export: bool = False) -> str:
    """The column's heading; "report.c.pause·小休" is the pause heading and the reason, translated
    where it is one of the shipped reasons (texts' ``reason.*``), else as an admin typed it. In
    an export a duration's heading says its unit (登录时长（秒）): the file keeps seconds to add up."""
    key, _, rest = column.label.partition("·")
    heading = t(key)
    if rest:
        reason_key = f"reason.{rest}"
        said = t(reason_key)  # a key missing from the texts comes back as itself
        heading = f"{heading}·{rest if said == reason_key else said}"
    if export and column.kind == "duration":
        heading += t("report.unit.seconds")
    return heading


def _chart(
    kind: str, title: str, labels: list[Any], series: dict[str, list[Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "labels": [str(x) for x in labels],
        "series": [{"name": k, "values": v} for k, v in series.items()],
        **extra,
    }


def _bar_by_first_two(title: str, rows: list[list[Any]], series: str) -> dict[str, Any]:
    """A bar chart of one bar a row, named by the row's first two cells read together (a
    handler's 工号 and name, a cause and its severity, a dimension and an answer), as long as its
    third (the count)."""
    return _chart("bar", title, [f"{r[0]} {r[1]}" for r in rows], {series: [r[2] for r in rows]})


def _local(moment: dt.datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# --- calls, queues, agents ---------------------------------------------------------------


async def calls(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    asked = call_reports.CallsQuery(
        q.start, q.end, viewer=viewer, site_id=q.site_id, queue=q.queue, number=q.number
    )
    found = await call_reports.call_detail(db, asked, offset=q.offset, limit=q.limit)
    columns = [
        Column("started_at", "report.c.started_at", "time"),
        Column("direction", "report.c.direction"),
        Column("number", "report.c.number"),
        Column("queue", "report.c.queue"),
        Column("agent_id", "report.c.agent_id"),
        Column("agent_name", "report.c.agent_name"),
        Column("outcome", "report.c.outcome"),
        Column("wait", "report.c.wait", "seconds"),
        Column("talk", "report.c.talk", "seconds"),
        Column("hold", "report.c.hold", "seconds"),
        Column("acw", "report.c.acw", "seconds"),
        Column("survey", "report.c.survey", "int"),
        Column("recording", "report.c.recording", "link"),
        Column("orders", "report.c.orders", "order"),
        Column("handled_by", "report.c.handled_by"),  # last: earlier columns keep their places
    ]
    rows = []
    for r in found["rows"]:
        rows.append(
            [
                _local(r["started_at"], q.tz),
                worded("report.direction", r["direction"]),
                r["number"],
                _queues_of(r),
                r["agent_id"],
                r["agent_name"],
                worded("report.outcome", r["outcome"]),
                r["wait"],
                r["talk"],
                r["hold"],
                r["acw"],
                r["survey"],
                f"/recordings/recording/{r['call_id']}/play" if r["recording"] else "",
                " ".join(r["orders"]),
                "、".join(r["handled_by"]),
            ]
        )
    return ReportTable("calls", columns, rows, total=found["total"])


def _queues_of(row: dict[str, Any]) -> Any:
    """The call's queue; a call in several (a transfer to a queue) each in turn with its wait
    and who answered there: 综合服务 4.0s 1001 → 投诉 6.0s 1002."""
    legs = row.get("queue_legs") or []
    if len(legs) < 2:
        return queue_name(row["queue"])
    parts: list[Any] = []
    for leg in legs:
        if parts:
            parts.append(" → ")
        parts += [queue_name(leg["queue"]), f" {leg['wait']}s"]
        if leg.get("agent_id"):
            parts.append(f" {leg['agent_id']}")
    return Phrase(parts)


QUEUE_COLUMNS = [
    Column("queue", "report.c.queue"),
    Column("interval", "report.c.interval"),
    Column("offered", "report.c.offered", "int"),
    Column("answered", "report.c.answered", "int"),
    Column("abandoned", "report.c.abandoned", "int"),
    Column("short_abandoned", "report.c.short_abandoned", "int"),
    Column("service_level", "report.c.service_level", "percent"),
    Column("asa", "report.c.asa", "seconds"),
    Column("aht", "report.c.aht", "seconds"),
    Column("abandon_rate", "report.c.abandon_rate", "percent"),
]


async def queues(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    asked = call_reports.QueueQuery(
        q.start,
        q.end,
        interval=q.interval,
        tz=q.tz,
        threshold=q.threshold,
        viewer=viewer,
        site_id=q.site_id,
        queue=q.queue,
        own_queues=q.own_queues,
    )
    found = await call_reports.queue_intervals(db, asked)
    keys = [c.key for c in QUEUE_COLUMNS]

    def named(r: dict[str, Any]) -> Any:
        # a queue that is not the hotline's says so: 其他队列：cti-a
        if asked.counts_in_total(r["queue"]):
            return queue_name(r["queue"])
        return Phrase((TextKey("report.other_queue"), queue_name(r["queue"])))

    cell = {"queue": named}
    total_cell = {**cell, "interval": lambda _r: TOTAL}
    rows = []
    # the hotline's queues (their rows, then their totals), then the other queues' block
    for own in (True, False):
        for found_rows, how in ((found["rows"], cell), (found["totals"], total_cell)):
            rows += [
                [how[k](r) if k in how else r[k] for k in keys]
                for r in found_rows
                if asked.counts_in_total(r["queue"]) == own
            ]
    by = found["by_interval"]
    labels = [r["interval"][11:] if q.interval != "day" else r["interval"] for r in by]
    charts = [
        _chart(
            "bar",
            "report.chart.calls_by_interval",
            labels,
            {
                "report.c.answered": [r["answered"] for r in by],
                "report.c.abandoned": [r["abandoned"] for r in by],
            },
            stacked=True,
        ),
        _chart(
            "line",
            "report.chart.service_level",
            labels,
            {"report.c.service_level": [r["service_level"] for r in by]},
            percent=True,
        ),
    ]
    summary = {**found["overall"], "threshold": found["threshold"], "interval": found["interval"]}
    return ReportTable("queues", QUEUE_COLUMNS, rows, summary=summary, charts=charts)


async def agents(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    asked = call_reports.CallsQuery(q.start, q.end, viewer=viewer, site_id=q.site_id)
    found = await call_reports.agent_report(db, asked)
    reasons = found["reasons"]
    columns = [
        Column("agent_id", "report.c.agent_id"),
        Column("agent_name", "report.c.agent_name"),
        # a shift's times as 时:分:秒 in the page (8:00:00, not 28800)
        Column("login", "report.c.login", "duration"),
        Column("ready", "report.c.ready", "duration"),
        # 签入未就绪: signed in, not yet 就绪 (no break: not in 暂停)
        Column("after_login", "report.c.after_login", "duration"),
        Column("pause", "report.c.pause", "duration"),
        *(Column(f"pause:{r}", f"report.c.pause·{r}", "duration") for r in reasons),
        Column("talk", "report.c.agent_talk", "duration"),
        Column("hold", "report.c.agent_hold", "duration"),
        Column("acw", "report.c.agent_acw", "duration"),
        Column("handled", "report.c.handled", "int"),
        Column("occupancy", "report.c.occupancy", "percent"),
    ]
    # every agent's row, then the 合计 (the sums; the occupancy of all their time)
    totals = [{**found["total"], "agent_id": TOTAL}] if found["total"] else []
    rows = [
        [
            r["agent_id"],
            r["agent_name"],
            r["login"],
            r["ready"],
            r["after_login"],
            r["pause"],
            *(r["pauses"].get(x, 0) for x in reasons),
            r["talk"],
            r["hold"],
            r["acw"],
            r["handled"],
            r["occupancy"],
        ]
        for r in [*found["rows"], *totals]
    ]
    labels = [f"{r['agent_id']} {r['agent_name']}" for r in found["rows"]]
    charts = [
        _chart(
            "bar", "report.chart.handled", labels, {"report.c.handled": [r["handled"] for r in found["rows"]]}
        ),
        _chart(
            "bar",
            "report.chart.occupancy",
            labels,
            {"report.c.occupancy": [r["occupancy"] for r in found["rows"]]},
            percent=True,
        ),
    ]
    return ReportTable("agents", columns, rows, charts=charts)


# --- orders ------------------------------------------------------------------------------


def _orders_by(group: str) -> Callable[[AsyncSession, User, ReportQuery], Awaitable[ReportTable]]:
    async def build(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
        found = await reports.orders_by(
            db,
            group,
            start=q.start,
            end=q.end,
            viewer=viewer,
            site_id=q.site_id,
            contractor_id=q.contractor_id,
        )
        names = await store.category_names(db) if group == "category" else {}
        rows = [[names.get(k, k), n] for k, n in found]
        columns = [Column("group", f"report.c.{group}"), Column("count", "report.c.count", "int")]
        if group in ("category", "site"):
            # 作废 apart: the count is the orders that stand, the voided (duplicates) beside it
            voided = await reports.voided_by(
                db,
                group,
                start=q.start,
                end=q.end,
                viewer=viewer,
                site_id=q.site_id,
                contractor_id=q.contractor_id,
            )
            seen = {k for k, _ in found}
            found = [*found, *((k, 0) for k in sorted(voided) if k not in seen)]
            rows = [[names.get(k, k), n, voided.get(k, 0)] for k, n in found]
            columns.append(Column("voided", "report.c.voided", "int"))
        chart = _chart(
            "bar", f"report.orders_by_{group}", [r[0] for r in rows], {"report.c.count": [r[1] for r in rows]}
        )
        # ``total``: the orders (the counts added up), not the rows (the groups)
        return ReportTable(
            f"orders_by_{group}", columns, rows, charts=[chart], counted=sum(r[1] for r in rows)
        )

    return build


async def overdue(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    # overdue is a state of now, not of the period: every open order past its deadline
    scope = {"viewer": viewer, "site_id": q.site_id, "contractor_id": q.contractor_id}
    chosen = await reports.overdue(db, **scope, offset=q.offset, limit=q.limit)  # this page only
    total = await reports.overdue_count(db, **scope)
    names = await store.category_names(db)
    sites = dict((await db.execute(select(Site.id, Site.name))).all())
    rows = [
        [
            o.number,
            names.get(o.category, o.category),
            o.status,
            o.title,
            sites.get(o.site_id, ""),
            _local(o.created_at, q.tz),
            _local(o.due_at, q.tz),
        ]
        for o in chosen
    ]
    columns = [
        Column("number", "report.c.order", "order"),
        Column("category", "report.c.category"),
        Column("status", "report.c.status"),
        Column("title", "report.c.title"),
        Column("site", "report.c.site"),
        Column("created_at", "report.c.created_at", "time"),
        Column("due_at", "report.c.due_at", "time"),
    ]
    return ReportTable("overdue", columns, rows, total=total)


async def cycle_time(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    found = await reports.cycle_time_by_workflow(
        db, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id
    )
    columns = [
        Column("workflow", "report.c.workflow"),
        Column("closed", "report.c.closed", "int"),
        Column("hours", "report.c.mean_hours", "number"),
    ]
    # each workflow by its name (故障报修), as the steps report names it, not its key (fault_repair)
    names = dict(await reports.workflows(db))
    rows = [[names.get(key, key), *rest] for key, *rest in found]
    chart = _chart(
        "bar", "report.c.mean_hours", [r[0] for r in rows], {"report.c.mean_hours": [r[2] for r in rows]}
    )
    return ReportTable("cycle_time", columns, rows, charts=[chart])


async def cycle_time_steps(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    """Per step of one workflow (default: the one with the most orders in the period, else the
    first the catalog offers), each step by its name, in the workflow's order, over the orders
    received in the period."""
    listed = dict(await reports.workflows(db))
    busiest = await reports.busiest_workflow(db, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id)
    workflow = q.workflow or busiest or next(iter(listed), "")
    steps = await reports.workflow_steps(db, workflow)
    found = await reports.cycle_time_by_step(
        db, workflow, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id
    )
    columns = [
        Column("node", "report.c.node"),
        Column("completed", "report.c.completed", "int"),
        Column("minutes", "report.c.mean_minutes", "number"),
    ]
    rows = [[steps.get(node, node), n, minutes] for node, n, minutes in found]
    chart = _chart(
        "bar", "report.c.mean_minutes", [r[0] for r in rows], {"report.c.mean_minutes": [r[2] for r in rows]}
    )
    summary = {"workflow": workflow, "workflow_name": listed.get(workflow, workflow)}
    return ReportTable("cycle_time_steps", columns, rows, summary=summary, charts=[chart])


async def top_handlers(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    found = await reports.top_handlers(
        db, start=q.start, end=q.end, limit=50, viewer=viewer, site_id=q.site_id
    )
    columns = [
        Column("staff_no", "report.c.agent_id"),
        Column("name", "report.c.agent_name"),
        Column("actions", "report.c.actions", "int"),
    ]
    rows = [list(r) for r in found]
    chart = _bar_by_first_two("report.top_handlers", rows, "report.c.actions")
    return ReportTable("top_handlers", columns, rows, charts=[chart])


async def complaint_causes(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    found = await reports.complaint_causes(db, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id)
    columns = [
        Column("cause", "report.c.cause"),
        Column("severity", "report.c.severity"),
        Column("count", "report.c.count", "int"),
    ]
    rows = [list(r) for r in found]
    chart = _bar_by_first_two("report.complaint_causes", rows, "report.c.count")
    return ReportTable("complaint_causes", columns, rows, charts=[chart])


async def satisfaction(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    found = await reports.satisfaction(db, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id)
    columns = [
        Column("dimension", "report.c.dimension"),
        Column("answer", "report.c.answer"),
        Column("count", "report.c.count", "int"),
    ]
    rows = [
        [dim, answer, n]
        for dim, answers in sorted(found["by_dimension"].items())
        for answer, n in sorted(answers.items(), key=lambda a: -a[1])
    ]
    summary = {"total": found["total"], "satisfied": found["satisfied"], "rate": found["rate"]}
    chart = _bar_by_first_two("report.satisfaction", rows, "report.c.count")
    return ReportTable("satisfaction", columns, rows, summary=summary, charts=[chart])


async def survey(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    asked = call_reports.CallsQuery(q.start, q.end, viewer=viewer, site_id=q.site_id, queue=q.queue)
    found = await call_reports.survey_report(db, asked)
    columns = [
        Column("agent_id", "report.c.agent_id"),
        Column("agent_name", "report.c.agent_name"),
        Column("count", "report.c.count", "int"),
        Column("mean", "report.c.mean_score", "number"),
        Column("satisfied", "report.c.satisfied_rate", "percent"),
        *(Column(f"score{n}", f"report.c.score{n}", "int") for n in range(1, 6)),
    ]
    rows = [
        [r["agent_id"], r["agent_name"], r["count"], r["mean"], r["satisfied"], *r["by_score"].values()]
        for r in found["rows"]
    ]
    chart = _chart(
        "bar",
        "report.survey",
        [f"{r[0]} {r[1]}".strip() for r in rows],
        {"report.c.mean_score": [r[3] for r in rows]},
    )
    return ReportTable("survey", columns, rows, summary=found["total"], charts=[chart])


async def campaigns(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    found = await campaign_report.campaign_outcomes(db, q.start, q.end, viewer=viewer, site_id=q.site_id)
    # 结果代码 in words: the shipped ones from the texts, one an admin added by its label
    labels = dict((await db.execute(select(Disposition.code, Disposition.label))).all())
    states = list(CONTACT_STATES) + sorted(
        {s for r in found["rows"] for s in r["states"]} - set(CONTACT_STATES)
    )
    columns = [
        Column("name", "report.c.campaign"),
        Column("kind", "report.c.campaign_kind"),
        Column("status", "report.c.status"),
        Column("queue", "report.c.queue"),
        Column("contacts", "report.c.contacts", "int"),
        *(
            Column(
                f"state_{s}",
                f"report.c.state_{s}" if s in CONTACT_STATES else f"report.c.contact_state·{s}",
                "int",
            )
            for s in states
        ),
        Column("attempts", "report.c.attempts", "int"),
        Column("answered", "report.c.answered", "int"),
        Column("reach_rate", "report.c.reach_rate", "percent"),
        Column("dispositions", "report.c.dispositions"),
    ]
    rows = [
        [
            r["name"],
            worded("camp.kind", r["kind"]),
            worded("camp.status", r["status"]),
            queue_name(r["queue"]),
            r["contacts"],
            *(r["states"].get(s, 0) for s in states),
            r["attempts"],
            r["answered"],
            r["reach_rate"],
            _dispositions(r["dispositions"], labels),
        ]
        for r in found["rows"]
    ]
    chart = _chart(
        "bar",
        "report.campaigns",
        [r[0] for r in rows],
        {"report.c.contacts": [r[4] for r in rows], "report.c.answered": [r[-3] for r in rows]},
    )
    return ReportTable("campaigns", columns, rows, charts=[chart])


#: the attempts view's figures and their headings: every call placed, by how it ended (the
#: contacts' outcomes report counts each contact once, by its last)
ATTEMPT_COLUMNS = [
    Column("attempts", "report.c.attempts", "int"),
    Column("answered", "camp.outcome.answered", "int"),
    Column("late", "camp.late_answers", "int"),
    Column("no_answer", "camp.outcome.no_answer", "int"),
    Column("busy", "camp.outcome.busy", "int"),
    Column("failed", "camp.outcome.failed", "int"),
    Column("abandoned", "camp.outcome.abandoned", "int"),
    Column("agent_missed", "camp.outcome.agent_missed", "int"),
    Column("reach_rate", "report.c.reach_rate", "percent"),
]


async def campaign_attempts(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    """外呼拨打统计: the calls the campaigns placed, per campaign and day, then each campaign's
    合计 over the period; the summary adds up every campaign."""
    found = await campaign_report.campaign_attempts(
        db, q.start, q.end, tz=q.tz, viewer=viewer, site_id=q.site_id
    )
    columns = [Column("name", "report.c.campaign"), Column("date", "report.c.date"), *ATTEMPT_COLUMNS]
    keys = [c.key for c in ATTEMPT_COLUMNS]
    rows = [[r["name"], r["date"], *(r[k] for k in keys)] for r in found["rows"]]
    rows += [[r["name"], TOTAL, *(r[k] for k in keys)] for r in found["totals"]]
    by_day = found["by_day"]
    chart = _chart(
        "bar",
        "report.campaign_attempts",
        [r["date"] for r in by_day],
        {
            f"camp.outcome.{outcome}": [r[outcome] for r in by_day]
            for outcome in ("answered", "no_answer", "busy", "failed", "abandoned")
        },
        stacked=True,
    )
    summary = {k: found["overall"][k] for k in keys}  # reach_rate: of every campaign's calls
    return ReportTable("campaign_attempts", columns, rows, summary=summary, charts=[chart])


def _dispositions(counts: dict[str, int], labels: dict[str, str]) -> Phrase:
    """满意 3，不满意 1: each result code in words with its count, the most given first."""
    parts: list[Any] = []
    for given, n in sorted(counts.items(), key=lambda d: -d[1]):
        if parts:
            parts.append("，")
        parts += [TextKey(f"camp.disposition.{given}", fallback=labels.get(given, given)), f" {n}"]
    return Phrase(parts)


async def contractors(db: AsyncSession, viewer: User, q: ReportQuery) -> ReportTable:
    """外委单位: dispatches in the period per contractor, replies and the mean time to reply."""
    found = await reports.by_contractor(
        db, start=q.start, end=q.end, viewer=viewer, site_id=q.site_id, contractor_id=q.contractor_id
    )
    rows = [list(r) for r in found]
    columns = [
        Column("contractor", "report.c.contractor"),
        Column("dispatched", "report.c.dispatched", "int"),
        Column("replied", "report.c.replied", "int"),
        Column("pending", "report.c.pending", "int"),
        Column("reply_hours", "report.c.reply_hours", "number"),
    ]
    chart = _chart(
        "bar", "report.contractors", [r[0] for r in rows], {"report.c.dispatched": [r[1] for r in rows]}
    )
    return ReportTable("contractors", columns, rows, charts=[chart])


REPORTS: dict[str, Callable[[AsyncSession, User, ReportQuery], Awaitable[ReportTable]]] = {
    "queues": queues,
    "agents": agents,
    "calls": calls,
    "orders_by_category": _orders_by("category"),
    "orders_by_status": _orders_by("status"),
    "orders_by_site": _orders_by("site"),
    "orders_by_handler": _orders_by("handler"),
    "overdue": overdue,
    "cycle_time": cycle_time,
    "cycle_time_steps": cycle_time_steps,
    "top_handlers": top_handlers,
    "complaint_causes": complaint_causes,
    "satisfaction": satisfaction,
    "survey": survey,
    "campaigns": campaigns,
    "campaign_attempts": campaign_attempts,
    "contractors": contractors,
}
#: the report picker's groups, in order: what a report counts (calls, outbound calls, orders),
#: every report in exactly one
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("calls", ("queues", "agents", "calls", "survey")),
    ("campaigns", ("campaigns", "campaign_attempts")),
    (
        "orders",
        (
            "orders_by_category",
            "orders_by_status",
            "orders_by_site",
            "orders_by_handler",
            "overdue",
            "cycle_time",
            "cycle_time_steps",
            "top_handlers",
            "complaint_causes",
            "satisfaction",
            "contractors",
        ),
    ),
)
#: reports whose rows come a page at a time (the others are short: one row per group)
PAGED = frozenset({"calls", "overdue"})


async def build(db: AsyncSession, viewer: User, name: str, q: ReportQuery) -> ReportTable:
    report = REPORTS.get(name)
    if report is None:
        raise UiError("not_found")
    return await report(db, viewer, q)
