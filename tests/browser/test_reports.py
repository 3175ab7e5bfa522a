"""报表 in the real Chromium: a supervisor opens the report page, changes the period and
downloads the Excel. No Asterisk needed: the console runs in-process on a seeded SQLite
database holding yesterday's calls (written through ticketing's CallLinker, as in production)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import InProcessConsole, seeded_console  # noqa: F401 (InProcessConsole: still imported from here)

pytestmark = [pytest.mark.browser]
TZ = ZoneInfo("Asia/Shanghai")
SUPERVISOR = "3001"  # the demo's 质检 supervisor


async def _seed(url: str, day: dt.date) -> None:
    from cti.call_events import CallEnded
    from ticketing.calls import CallLinker
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    maker = sessionmaker(engine)
    async with maker.begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=5)
    linker = CallLinker(maker)
    nine = dt.datetime.combine(day, dt.time(9), TZ).timestamp()
    # three calls at 09:00–09:30: answered after 8 s, answered after 50 s, abandoned after 30 s
    for n, (answered_after, outcome) in enumerate(
        [(8, "answered"), (50, "answered"), (30, "abandoned_queue")]
    ):
        queued = nine + n * 300
        await linker.handle(
            CallEnded(
                call_id=f"story-{n}",
                direction="inbound",
                outcome=outcome,
                caller="13800001111",
                queue="service",
                agent_id="1001" if outcome == "answered" else "",
                started_at=queued,
                queued_at=queued,
                answered_at=queued + answered_after if outcome == "answered" else 0.0,
                ended_at=queued + answered_after + (120 if outcome == "answered" else 0),
            )
        )
    await engine.dispose()


@pytest.fixture
def report_console(tmp_path):
    yesterday = dt.datetime.now(TZ).date() - dt.timedelta(days=1)
    with seeded_console(tmp_path / "reports.db", _seed, yesterday) as server:
        yield server, yesterday


def test_a_supervisor_reads_yesterdays_queue_report_and_downloads_the_excel(
    report_console, browser, screenshots, tmp_path
):
    server, yesterday = report_console
    with signed_in(browser, server, SUPERVISOR, accept_downloads=True) as page:
        page.click("nav a[href='/reports']")
        expect(page.locator("h2#report-title")).to_have_text("报表")
        today = dt.datetime.now(TZ).date()
        expect(page.locator("#reports")).to_have_attribute("data-loaded", f"queues {today} {today}")
        expect(page.locator("#report-empty")).to_be_visible()  # nothing today

        page.select_option("#report-period", "yesterday")
        expect(page.locator("#reports")).to_have_attribute("data-loaded", f"queues {yesterday} {yesterday}")
        expect(page.locator("#report-empty")).to_be_hidden()
        rows = page.locator("#report-table tbody tr")
        expect(rows).to_have_count(2)  # 09:00 and the queue's total
        first = rows.nth(0).locator("td")
        expect(first.nth(0)).to_have_text("综合服务")  # the queue as the wallboard names it
        expect(page.locator("#report-filters [name=queue] option[value=service]")).to_have_text("综合服务")
        expect(first.nth(1)).to_have_text(f"{yesterday} 09:00")
        expect(first.nth(2)).to_have_text("3")  # offered
        # 1 of 3 answered within 20 s
        expect(page.locator("#report-summary [data-key='report.s.service_level'] dd")).to_have_text("33.3%")
        # answered after 8 and 50 s: in seconds said in Chinese, as the rest of the page
        expect(page.locator("#report-summary [data-key='report.s.asa'] dd")).to_have_text(
            re.compile(r"^29(\.0)? 秒$")
        )
        expect(page.locator("#report-charts figure.chart svg")).to_have_count(2)
        expect(page.locator("#report-charts figure[data-type=line] circle")).to_have_count(1)
        page.screenshot(path=str(screenshots / "reports.png"))

        with page.expect_download() as info:
            page.click("#export-xlsx")
        target = tmp_path / "queues.xlsx"
        info.value.save_as(target)
        assert info.value.suggested_filename.endswith(".xlsx")
        sheet = openpyxl.load_workbook(target).active
        assert sheet["A1"].value == "队列" and sheet["G1"].value == "服务水平"
        assert [c.value for c in sheet[2]][:5] == ["综合服务", f"{yesterday} 09:00", 3, 2, 1]
        assert sheet["G2"].value == pytest.approx(0.3333) and sheet["G2"].number_format == "0.0%"

        # the export links follow the filters before 查询, and offer nothing for a refused period
        page.fill("#report-to", str(today))
        expect(page.locator("#export-csv")).to_have_attribute(
            "href", re.compile(f"from={yesterday}&to={today}&")
        )
        page.fill("#report-to", str(yesterday - dt.timedelta(days=1)))
        expect(page.locator("#export-xlsx")).to_have_attribute("aria-disabled", "true")
        assert page.get_attribute("#export-xlsx", "href") is None
        page.click("#report-filters button[type=submit]")
        expect(page.locator("#toasts .toast.refused").last).to_have_text("结束日期早于开始日期，请重新选择。")
        # yesterday's rows are gone: left under the refused dates they would read as that period's
        expect(page.locator("#report-table tbody tr")).to_have_count(0)
        expect(page.locator("#report-summary dd")).to_have_count(0)
        expect(page.locator("#report-heading")).to_have_text("")
        expect(page.locator("#reports")).not_to_have_attribute("data-loaded", re.compile("."))
        page.fill("#report-to", str(yesterday))
        expect(page.locator("#export-xlsx")).not_to_have_attribute("aria-disabled", "true")
        expect(page.locator("#export-xlsx")).to_have_attribute(
            "href", re.compile(f"from={yesterday}&to={yesterday}&.*format=xlsx$")
        )

        # 环节处理时长: the workflow picked by its name, the summary naming it
        page.select_option("#report-name", "cycle_time_steps")
        page.select_option("#report-workflow", "fault_repair")
        page.click("#report-filters button[type=submit]")
        expect(page.locator("#report-summary [data-key='report.s.workflow'] dd")).to_have_text("故障报修")
