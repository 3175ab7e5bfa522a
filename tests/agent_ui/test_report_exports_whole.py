"""报表 as QA read them side by side (round: KPI correctness): the exports carry the queue report's
summary and whole recording links, a call in progress reads 通话中 and counts in no report yet,
and an order report's ``total`` is its orders, not its rows."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from cti.call_events import CallAnswered, CallOffered
from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import PERIOD, TZ, calls, csv_rows, t  # noqa: F401 (fixture)
from ticketing.calls import CallLinker


async def test_the_queue_reports_exports_end_with_the_summary_the_page_shows(client, calls):  # noqa: F811
    await login(client, "3001")
    page = await (await client.get("/api/reports/queues", params=PERIOD)).json()
    assert (page["summary"]["offered"], page["summary"]["service_level"]) == (2, 0.5)
    rows = csv_rows(
        await (await client.get("/api/reports/queues/export", params={**PERIOD, "format": "csv"})).read()
    )
    assert rows[-7:] == [
        [],
        ["汇总"],
        ["呼入", "2"],
        ["服务水平", "50.0%"],
        ["平均应答时间", "10.0"],
        ["平均处理时长", "80.0"],
        ["放弃率", "50.0%"],
    ]
    resp = await client.get("/api/reports/queues/export", params={**PERIOD, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    found = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0] in ("呼入", "服务水平")}
    assert found == {"呼入": 2, "服务水平": "50.0%"}


async def test_the_call_detail_export_links_the_recording_whole(client, calls):  # noqa: F811
    await login(client, "3001")
    rows = csv_rows(
        await (await client.get("/api/reports/calls/export", params={**PERIOD, "format": "csv"})).read()
    )
    column = rows[0].index("录音")
    host = f"http://{client.server.host}:{client.server.port}"
    assert rows[2][column] == f"{host}/recordings/recording/r1/play"  # newest first: r1 last
    assert rows[1][column] == ""
    # the page keeps its own relative link
    page = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    assert page["rows"][-1][column] == "/recordings/recording/r1/play"


async def test_a_call_in_progress_reads_in_progress_and_counts_in_no_report_yet(client, calls):  # noqa: F811
    linker = CallLinker(calls.services.sessionmaker)
    await linker.handle(
        CallOffered(
            call_id="r3", agent_id="1001", caller="13800003333", queue="service", offered_at=t("08:30:00")
        )
    )
    await linker.handle(
        CallAnswered(call_id="r3", agent_id="1001", queue="service", answered_at=t("08:30:04"))
    )
    await login(client, "3001")
    detail = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    keys = [c["key"] for c in detail["columns"]]
    outcomes = [dict(zip(keys, r, strict=True))["outcome"] for r in detail["rows"]]
    assert outcomes == ["通话中", "排队中放弃", "已接通"]  # newest first
    queues = await (await client.get("/api/reports/queues", params={**PERIOD, "interval": "day"})).json()
    agents = await (await client.get("/api/reports/agents", params=PERIOD)).json()
    handled = agents["rows"][0][[c["key"] for c in agents["columns"]].index("handled")]
    assert queues["summary"]["answered"] == handled == 1


async def test_an_order_reports_total_is_its_orders_and_row_count_its_rows(client, world):
    from ticketing import create_order
    from ticketing.models import User

    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        handler = await db.get(User, world.people["2001"])
        for n in range(3):
            await create_order(
                db,
                agent,
                workflow="aftersales_repair",
                site_id=handler.site_id,
                title=f"不制冷 {n}",
                form={"产品型号": "K1", "故障描述": "不制冷", "上门地址": "海淀路1号"},
                now=dt.datetime(2026, 11, 20, 9, n, tzinfo=TZ),
            )
    await login(client, "9001")
    data = await (await client.get("/api/reports/orders_by_category", params=PERIOD)).json()
    counts = [r[1] for r in data["rows"]]
    assert sum(counts) == 3 and len(data["rows"]) == 1
    assert (data["total"], data["row_count"]) == (3, 1)


async def test_the_call_detail_shows_each_queue_a_transferred_call_was_in(client, world):
    from tests.ticketing.test_call_report_queue_legs import transferred

    linker = CallLinker(world.services.sessionmaker)
    shift = t("09:20:00") - dt.datetime(2026, 11, 26, 9, 20, tzinfo=TZ).timestamp()  # to 2026-11-20
    for event in transferred("x1"):
        fields = {k: v + shift for k, v in vars(event).items() if k.endswith("_at") and v}
        if hasattr(event, "queue_legs"):
            fields["queue_legs"] = tuple(
                (q, a + shift, b + shift, o, who) for q, a, b, o, who in event.queue_legs
            )
            fields["legs"] = tuple((who, a + shift, b + shift) for who, a, b in event.legs)
        await linker.handle(type(event)(**{**vars(event), **fields}))
    await login(client, "3001")
    detail = await (await client.get("/api/reports/calls", params={**PERIOD, "queue": "service"})).json()
    keys = [c["key"] for c in detail["columns"]]
    (row,) = [dict(zip(keys, r, strict=True)) for r in detail["rows"]]
    assert (row["queue"], row["wait"], row["handled_by"]) == (
        "综合服务 4.0s 1001 → 投诉 6.0s 1002",
        10.0,
        "1001、1002",
    )
