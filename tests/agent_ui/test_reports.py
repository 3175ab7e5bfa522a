"""报表 over the API: who may see them, the figures, the scope, the CSV and Excel exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from agent_ui.report_tables import GROUPS
from agent_ui.reports import MAX_DAYS
from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered
from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.agent_states import AgentStateRecorder
from ticketing.calls import CallLinker
from ticketing.sites import site_by_code

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-20"  # a past day: open intervals are clipped at now
PERIOD = {"from": DAY, "to": DAY}


def t(hms: str) -> float:
    h, m, s = (int(x) for x in hms.split(":"))
    return dt.datetime(2026, 11, 20, h, m, s, tzinfo=TZ).timestamp()


def csv_rows(body: bytes) -> list[list[str]]:
    """An export's CSV as rows, without the byte-order mark it starts with for Excel."""
    return list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))


@pytest.fixture
async def calls(world):
    """Two service calls on 2026-11-20: one answered by 1001 after 10 s (talk 60, ACW 20),
    one abandoned after 40 s; 1001 signed in 08:00–09:00."""
    maker = world.services.sessionmaker
    linker, recorder = CallLinker(maker), AgentStateRecorder(maker)
    for event in [
        CallOffered(
            call_id="r1", agent_id="1001", caller="13800001111", queue="service", offered_at=t("08:10:00")
        ),
        CallAnswered(call_id="r1", agent_id="1001", queue="service", answered_at=t("08:10:10")),
        CallEnded(
            call_id="r1",
            direction="inbound",
            outcome="answered",
            caller="13800001111",
            queue="service",
            agent_id="1001",
            started_at=t("08:10:00"),
            queued_at=t("08:10:00"),
            answered_at=t("08:10:10"),
            ended_at=t("08:11:10"),
            recording="/var/spool/asterisk/monitor/r1.wav",
        ),
        CallEnded(
            call_id="r2",
            direction="inbound",
            outcome="abandoned_queue",
            caller="13800002222",
            queue="service",
            started_at=t("08:20:00"),
            queued_at=t("08:20:00"),
            ended_at=t("08:20:40"),
        ),
    ]:
        await linker.handle(event)
    previous = "logged_out"
    for at, state, reason, call_id in [
        ("08:00:00", "not_ready", "登录", ""),
        ("08:01:00", "ready", "", ""),
        ("08:10:00", "talking", "", "r1"),
        ("08:11:10", "after_call_work", "话后处理", "r1"),
        ("08:11:30", "ready", "", ""),
        ("08:40:00", "not_ready", "小休", ""),
        ("09:00:00", "logged_out", "", ""),
    ]:
        await recorder.handle(
            AgentStateChanged(
                agent_id="1001",
                state=state,
                previous=previous,
                seconds_in_previous=0.0,
                reason=reason,
                call_id=call_id,
                at=t(at),
            )
        )
        previous = state
    return world


async def test_an_agent_or_handler_gets_403_and_nobody_signed_in_401(client, calls):
    assert (await client.get("/api/reports/queues", params=PERIOD)).status == 401
    await login(client, "1001")
    for path in ("/api/reports", "/api/reports/queues", "/api/reports/calls/export", "/reports"):
        resp = await client.get(path, params=PERIOD, headers={"Accept": "application/json"})
        assert resp.status == 403, path
        assert (await resp.json())["error_id"] == "role.forbidden"


async def test_team_leader_sees_queue_figures(client, calls):
    await login(client, "3001")
    resp = await client.get("/api/reports/queues", params={**PERIOD, "interval": "60"})
    assert resp.status == 200
    data = await resp.json()
    assert data["title"] == "队列时段报表"
    keys = [c["key"] for c in data["columns"]]
    rows = [dict(zip(keys, r, strict=True)) for r in data["rows"]]
    hour, total = rows
    # the queue by the wallboard's name (综合服务), in the table as in the exports
    assert (hour["queue"], hour["interval"]) == ("综合服务", "2026-11-20 08:00")
    assert total["interval"] == "合计"
    # 2 offered, 1 answered within 20 s, 1 abandoned; ASA 10 s, AHT 60 talk + 20 ACW
    assert (hour["offered"], hour["answered"], hour["abandoned"]) == (2, 1, 1)
    assert (hour["service_level"], hour["asa"], hour["aht"], hour["abandon_rate"]) == (0.5, 10.0, 80.0, 0.5)
    assert data["summary"]["service_level"] == 0.5
    assert [c["type"] for c in data["charts"]] == ["bar", "line"]
    # threshold 5 s: the 10 s answer is outside it
    strict = await (await client.get("/api/reports/queues", params={**PERIOD, "threshold": "5"})).json()
    assert strict["summary"]["service_level"] == 0.0
    # another day: nothing
    empty = await (await client.get("/api/reports/queues", params={"from": "2026-11-21"})).json()
    assert empty["rows"] == []


async def test_call_detail_and_agent_report(client, calls):
    await login(client, "9001")
    data = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    keys = [c["key"] for c in data["columns"]]
    first = dict(zip(keys, data["rows"][-1], strict=True))  # newest first: the day's first call last
    assert data["total"] == 2
    assert first["started_at"] == "2026-11-20 08:10:00"  # site time
    assert (first["agent_id"], first["agent_name"], first["wait"], first["talk"], first["acw"]) == (
        "1001",
        "王坐席",
        10.0,
        60.0,
        20.0,
    )
    assert first["recording"] == "/recordings/recording/r1/play"
    # codes in words: 方向 and 结果 as the reader says them
    second = dict(zip(keys, data["rows"][0], strict=True))  # the later call, listed first
    assert (first["direction"], first["outcome"], second["outcome"]) == ("呼入", "已接通", "排队中放弃")
    agents = await (await client.get("/api/reports/agents", params=PERIOD)).json()
    keys = [c["key"] for c in agents["columns"]]
    assert "pause:小休" in keys
    labels = {c["key"]: c["label"] for c in agents["columns"]}
    assert labels["pause:小休"] == "暂停·小休"  # shown as 时:分:秒: the export's heading says （秒）
    row = dict(zip(keys, agents["rows"][0], strict=True))
    assert (row["login"], row["talk"], row["acw"], row["handled"]) == (3600, 70, 20, 1)
    assert row["pause:小休"] == 1200


async def test_bad_filters_are_refused(client, calls):
    await login(client, "3001")
    for params in (
        {"from": "26/11/2026"},
        {"interval": "45"},
        {"site": "x"},
    ):
        resp = await client.get("/api/reports/queues", params=params)
        assert resp.status == 400, params
        assert (await resp.json())["error_id"] == "request.invalid"
    # a period refused says why, on the page and for the export alike
    for path in ("/api/reports/queues", "/api/reports/calls/export"):
        resp = await client.get(path, params={"from": DAY, "to": "2026-11-01", "format": "csv"})
        body = await resp.json()
        assert resp.status == 400 and body["error_id"] == "report.range_reversed", path
        assert body["message"] == "结束日期早于开始日期，请重新选择。"
        resp = await client.get(path, params={"from": "2025-01-01", "to": "2026-01-02", "format": "csv"})
        body = await resp.json()
        assert resp.status == 400 and body["error_id"] == "report.range_too_long", path
        assert f"{MAX_DAYS} 天" in body["message"]
    # the longest period allowed still runs
    resp = await client.get("/api/reports/queues", params={"from": "2025-01-01", "to": "2026-01-01"})
    assert resp.status == 200
    assert (await client.get("/api/reports/nope")).status == 404
    assert (await client.get("/api/reports/queues/export", params={"format": "pdf"})).status == 400


async def test_a_bureau_leader_keeps_to_the_bureau(client, world, calls):
    async with world.services.sessionmaker.begin() as db:
        bureau = await site_by_code(db, "HD")
        hq = await site_by_code(db, "HQ")
        await users.create_user(
            db,
            "4001",
            "海淀班长",
            PASSWORD,
            roles=["team_leader"],
            must_change_password=False,
            site_id=bureau.id,
        )
    await login(client, "4001")
    data = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    assert data["total"] == 0  # the calls were HQ agents' and HQ queues'
    catalog = await (await client.get("/api/reports")).json()
    assert [s["name"] for s in catalog["sites"]] == ["海淀供电局"]
    resp = await client.get("/api/reports/calls", params={**PERIOD, "site": str(hq.id)})
    assert resp.status == 403 and (await resp.json())["error_id"] == "scope.forbidden"


async def test_reports_are_reads_without_csrf_and_every_route_is_documented(client, calls):
    await login(client, "3001")
    # GETs change nothing, so they carry no CSRF token; there is no write to forge
    resp = await client.get("/api/reports/queues/export", params={**PERIOD, "format": "csv"})
    assert resp.status == 200
    assert (await client.post("/api/reports/queues", json={})).status in (403, 405)
    spec = await (await client.get("/api/openapi.json")).json()
    for path in ("/api/reports", "/api/reports/{name}", "/api/reports/{name}/export"):
        op = spec["paths"][path]["get"]
        assert op["x-permission"] == "report.view"
        assert op["x-roles"] == ["admin", "supervisor", "team_leader"]


async def test_csv_export(client, calls):
    await login(client, "3001")
    resp = await client.get("/api/reports/calls/export", params={**PERIOD, "format": "csv"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    text = (await resp.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["开始时间", "方向", "号码", "队列"]
    # newest first, as the page lists them: the abandoned call, then the answered one before it
    assert len(rows) == 3 and rows[2][4] == "1001" and rows[2][3] == "综合服务"
    assert (rows[2][1], rows[2][6], rows[1][6]) == ("呼入", "已接通", "排队中放弃")
    # the agents on each call come last, so the columns before keep their places
    assert (rows[0][-1], rows[2][-1], rows[1][-1]) == ("经手坐席", "1001", "")


async def test_an_order_title_that_is_a_formula_is_exported_as_text(client, world):
    # an agent types the title, or a caller's message fills it in: it must not run in Excel
    from ticketing import create_order
    from ticketing.models import User

    hostile = '=HYPERLINK("http://evil.example/","点击查看详情")'
    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        handler = await db.get(User, world.people["2001"])
        await create_order(
            db,
            agent,
            workflow="aftersales_repair",
            site_id=handler.site_id,
            title=hostile,
            form={"产品型号": "K1", "故障描述": "不制冷", "上门地址": "海淀路1号"},
            now=dt.datetime(2026, 11, 1, 9, tzinfo=TZ),  # long overdue
        )
    await login(client, "3001")
    resp = await client.get("/api/reports/overdue/export", params={"format": "csv"})
    rows = csv_rows(await resp.read())
    assert rows[0][3] == "标题" and "'" + hostile in [r[3] for r in rows[1:]]
    assert hostile not in [r[3] for r in rows[1:]]
    resp = await client.get("/api/reports/overdue/export", params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    titles = [(c.data_type, c.value) for c in sheet["D"][1:]]
    # a workbook needs no visible apostrophe: the text is a string, never a formula
    assert ("s", hostile) in titles and all(kind == "s" for kind, _ in titles)


async def test_xlsx_export_opens_with_the_figures(client, calls):
    await login(client, "3001")
    resp = await client.get(
        "/api/reports/queues/export", params={**PERIOD, "format": "xlsx", "interval": "30"}
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    sheet = book.active
    assert sheet.title == "队列时段报表"
    assert [c.value for c in sheet[1]] == [
        "队列",
        "时段",
        "呼入量",
        "接通量",
        "放弃量",
        "短时放弃",
        "服务水平",
        "平均应答（秒）",
        "平均处理时长（秒）",
        "放弃率",
    ]
    assert [c.value for c in sheet[2]] == ["综合服务", "2026-11-20 08:00", 2, 1, 1, 0, 0.5, 10, 80, 0.5]
    # a rate reads as a percentage in Excel (50.0%), its value still the fraction
    assert (sheet["G2"].number_format, sheet["J2"].number_format) == ("0.0%", "0.0%")
    assert sheet["C2"].number_format == "General"
    assert sheet["A3"].value == "综合服务" and sheet["B3"].value == "合计"
    assert sheet.freeze_panes == "A2"
    # English headers when the session's language is English
    await client.post("/lang", data={"lang": "en", "_csrf": await _csrf(client)})
    resp = await client.get("/api/reports/agents/export", params={**PERIOD, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    assert sheet["A1"].value == "Staff no." and sheet["A2"].value == "1001" and sheet["C2"].value == 3600
    # a shipped pause reason is said in English too
    assert "Paused·Short break (s)" in [c.value for c in sheet[1]]
    resp = await client.get(
        "/api/reports/queues/export", params={**PERIOD, "interval": "60", "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    assert sheet["A3"].value == "General service" and sheet["B3"].value == "Total"
    resp = await client.get("/api/reports/queues", params={**PERIOD, "interval": "60"})
    assert (await resp.json())["rows"][-1][1] == "Total"
    # the call detail's codes in English words, its headings capitalised alike
    resp = await client.get("/api/reports/calls/export", params={**PERIOD, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    assert (sheet["B1"].value, sheet["B2"].value, sheet["G2"].value, sheet["G3"].value) == (
        "Direction",
        "Inbound",
        "Abandoned in queue",
        "Answered",
    )
    assert sheet.cell(row=1, column=sheet.max_column).value == "Agents on the call"


async def _csrf(client) -> str:
    return (await (await client.get("/api/session")).json())["csrf"]


async def test_order_reports_render(client, calls):
    await login(client, "9001")
    for name in dict(GROUPS)["orders"]:
        resp = await client.get(f"/api/reports/{name}", params=PERIOD)
        assert resp.status == 200, name
        data = await resp.json()
        assert data["columns"] and data["title"] != f"report.{name}"
    page = await client.get("/reports")
    assert page.status == 200
    html = await page.text()
    assert "报表" in html and 'id="report-filters"' in html


async def test_post_call_survey_and_campaign_outcome_reports(client, calls):
    from ivr.events import SurveyAnswered
    from ticketing.models import Campaign, CampaignContact, Disposition

    maker = calls.services.sessionmaker
    await CallLinker(maker).handle(SurveyAnswered(call_id="r1", score=5, caller="13800001111"))
    async with maker.begin() as db:
        campaign = Campaign(
            name="回访",
            kind="visit_back",
            queue="service",
            created_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
        )
        db.add(campaign)
        await db.flush()
        db.add_all(
            [
                CampaignContact(campaign_id=campaign.id, number="13800001111", source_key="a", state="done",
                                attempts=1, last_outcome="answered", disposition="satisfied"),
                CampaignContact(campaign_id=campaign.id, number="13800002222", source_key="b", state="failed",
                                attempts=3, last_outcome="no_answer"),
            ]
        )  # fmt: skip
        # a finished import list whose result codes are one an admin added (by its label) and
        # one nobody described (as it is)
        listed = Campaign(
            name="名单",
            kind="list",
            status="finished",
            queue="service",
            created_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
        )
        db.add_all([listed, Disposition(code="vip", label="大客户")])
        await db.flush()
        db.add_all(
            [
                CampaignContact(campaign_id=listed.id, number=f"1380000333{n}", source_key=f"c{n}", state="done",
                                attempts=1, last_outcome="answered", disposition=code)
                for n, code in enumerate(["vip", "vip", "mystery"])
            ]
        )  # fmt: skip
    await login(client, "3001")
    survey = await (await client.get("/api/reports/survey", params=PERIOD)).json()
    assert survey["title"] == "来电满意度评价"
    keys = [c["key"] for c in survey["columns"]]
    row = dict(zip(keys, survey["rows"][0], strict=True))
    assert (row["agent_id"], row["count"], row["mean"], row["satisfied"], row["score5"]) == (
        "1001",
        1,
        5.0,
        1.0,
        1,
    )
    detail = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    keys = [c["key"] for c in detail["columns"]]
    assert dict(zip(keys, detail["rows"][-1], strict=True))["survey"] == 5
    outcomes = await (await client.get("/api/reports/campaigns", params=PERIOD)).json()
    labels = {c["key"]: c["label"] for c in outcomes["columns"]}
    assert labels["state_done"] == "已完成" and labels["reach_rate"] == "接通率"
    keys = [c["key"] for c in outcomes["columns"]]
    row = dict(zip(keys, outcomes["rows"][0], strict=True))
    assert (row["name"], row["contacts"], row["state_done"], row["state_failed"], row["attempts"]) == (
        "回访", 2, 1, 1, 4
    )  # fmt: skip
    assert row["reach_rate"] == 0.5 and row["dispositions"] == "满意 1"
    # 类型, 状态 and 结果代码 in words
    assert (row["kind"], row["status"]) == ("满意度回访", "草稿")
    other = dict(zip(keys, outcomes["rows"][1], strict=True))
    assert (other["kind"], other["status"], other["dispositions"]) == (
        "导入名单",
        "已结束",
        "大客户 2，mystery 1",
    )
    xlsx = await client.get("/api/reports/campaigns/export", params={**PERIOD, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(await xlsx.read())).active
    assert sheet.cell(row=2, column=1).value == "回访"
    assert [sheet.cell(row=2, column=c).value for c in (2, 3)] == ["满意度回访", "草稿"]
    assert sheet.cell(row=2, column=sheet.max_column).value == "满意 1"
    await client.post("/lang", data={"lang": "en", "_csrf": await _csrf(client)})
    resp = await client.get("/api/reports/campaigns/export", params={**PERIOD, "format": "csv"})
    rows = csv_rows(await resp.read())
    assert (rows[1][1], rows[1][2], rows[1][-1]) == ("Visit-back", "Draft", "Satisfied 1")
    assert (rows[2][1], rows[2][2], rows[2][-1]) == ("Imported list", "Finished", "大客户 2，mystery 1")


async def test_step_times_keep_to_the_period_and_name_the_steps_in_the_workflows_order(client, world):
    """环节处理时长: the orders received in the period, each step by its name in the workflow's own
    order (报修 before 预约, though ``appoint`` sorts before ``report``), the workflow by its name."""
    from ticketing import create_order, submit_step
    from ticketing.models import User

    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        handler = await db.get(User, world.people["2001"])
        for start, minutes in ((dt.datetime(2026, 11, 20, 9, tzinfo=TZ), 15), (dt.datetime.now(TZ), 45)):
            order = await create_order(
                db,
                agent,
                workflow="aftersales_repair",
                site_id=handler.site_id,
                form={"产品型号": "K1", "故障描述": "不制冷", "上门地址": "海淀路1号"},
                now=start,
            )
            await submit_step(
                db,
                handler,
                order,
                form={"预约时间": "2026-11-21 10:00", "维修人员": "赵"},
                now=start + dt.timedelta(minutes=minutes),
            )
    await login(client, "3001")
    catalog = await (await client.get("/api/reports")).json()
    assert {"key": "aftersales_repair", "name": "售后报修"} in catalog["workflows"]
    assert catalog["max_days"] == MAX_DAYS
    resp = await client.get(
        "/api/reports/cycle_time_steps", params={**PERIOD, "workflow": "aftersales_repair"}
    )
    data = await resp.json()
    assert data["rows"] == [["报修", 1, 0.0], ["预约", 1, 15.0]]  # not today's order
    assert data["summary"] == {"workflow": "aftersales_repair", "workflow_name": "售后报修"}
    assert data["charts"][0]["labels"] == ["报修", "预约"]
    earlier = await client.get(
        "/api/reports/cycle_time_steps",
        params={"from": "2026-01-01", "to": "2026-01-02", "workflow": "aftersales_repair"},
    )
    assert (await earlier.json())["rows"] == []
    # no workflow chosen: the one the period's orders ran on most; a period without orders, the
    # first the catalog offers
    busiest = await (await client.get("/api/reports/cycle_time_steps", params=PERIOD)).json()
    assert busiest["summary"]["workflow"] == "aftersales_repair"
    quiet = {"from": "2026-01-01", "to": "2026-01-02"}
    first = await (await client.get("/api/reports/cycle_time_steps", params=quiet)).json()
    assert first["summary"]["workflow"] == catalog["workflows"][0]["key"]
    # 流程处理时长 names each workflow too (信息咨询, not consult)
    async with world.services.sessionmaker.begin() as db:
        await create_order(
            db,
            agent,
            workflow="consult",
            site_id=agent.site_id,
            form={"咨询内容": "电价", "答复内容": "见官网"},
            now=dt.datetime(2026, 11, 20, 9, tzinfo=TZ),
        )
    by_workflow = await (await client.get("/api/reports/cycle_time", params=PERIOD)).json()
    assert [r[0] for r in by_workflow["rows"]] == ["信息咨询"]
    assert by_workflow["charts"][0]["labels"] == ["信息咨询"]
    # the export says the same
    resp = await client.get(
        "/api/reports/cycle_time_steps/export",
        params={**PERIOD, "workflow": "aftersales_repair", "format": "csv"},
    )
    rows = csv_rows(await resp.read())
    assert [r[0] for r in rows[1:]] == ["报修", "预约"]


async def test_an_order_of_a_workflow_no_category_names_shows_the_workflows_name(client, world):
    """An imported workflow with no category row (QA's qa_sla): 超期工单 and its export name the
    category by the workflow's name, as the order lists do, never by the raw code."""
    from ticketing import create_order
    from ticketing.models import User
    from ticketing.workflow.store import import_definition

    flow = {
        "key": "qa_sla",
        "name": "时限测试流程",
        "category": "qa_sla",
        "fields": {"说明": {"type": "text"}},
        "nodes": [
            {"id": "start", "type": "create", "fields": {"说明": "editable"}, "exits": [{"to": "handle"}]},
            {
                "id": "handle",
                "name": "处理",
                "type": "realize",
                "operators": {"batches": [[{"user": "2001"}]]},
                "sla": {"limit": "2h"},
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive"},
        ],
    }
    async with world.services.sessionmaker.begin() as db:
        await import_definition(db, flow, actor=await db.get(User, world.people["9001"]))
        handler = await db.get(User, world.people["2001"])
        order = await create_order(
            db,
            await db.get(User, world.people["1001"]),
            workflow="qa_sla",
            site_id=handler.site_id,
            form={"说明": "超期"},
            now=dt.datetime(2026, 11, 1, 9, tzinfo=TZ),  # long overdue
        )
        number = order.number
    await login(client, "3001")
    data = await (await client.get("/api/reports/overdue")).json()
    assert [r[1] for r in data["rows"] if r[0] == number] == ["时限测试流程"]
    resp = await client.get("/api/reports/overdue/export", params={"format": "csv"})
    rows = csv_rows(await resp.read())
    assert [r[1] for r in rows[1:] if r[0] == number] == ["时限测试流程"]
