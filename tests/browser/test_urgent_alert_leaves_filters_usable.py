"""QA: the urgent 已超期 提醒 that waits for 知道了 lay over the page and hid 超期工单's date and
受理人 filters and 报表's queue and workflow selects until it was acknowledged. In Chromium, with
the alert up (not acknowledged), every filter on both pages is clear of it and takes a real
click (Playwright's click refuses an element another one covers), and the alert is still there,
at the top of the page, above the filters."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
LEADER = "2001"  # the team leader: told of every overrun, reads the reports


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _clear_and_clickable(page, form: str, controls: list[str]) -> None:
    """Each control of ``form`` is outside every urgent alert's box and takes a click where it is;
    the alerts stay up, above the form, in view."""
    alerts = page.locator(".urgent-alert")
    expect(alerts.first).to_be_visible()
    boxes = [alerts.nth(i).bounding_box() for i in range(alerts.count())]
    top = page.locator(form).bounding_box()
    for box in boxes:
        assert box["y"] >= 0 and box["y"] + box["height"] <= top["y"], (box, top)  # in view, above
    for selector in controls:
        control = page.locator(selector)
        expect(control).to_be_visible()
        spot = control.bounding_box()
        for box in boxes:
            assert not _overlaps(box, spot), (selector, box, spot)
        control.click(timeout=3_000)  # fails if the alert receives the click instead
    expect(alerts.first).to_be_visible()  # not acknowledged by any of it


def test_the_overrun_alert_leaves_the_lists_and_reports_filters_usable(sla_console, browser):  # noqa: F811
    server, numbers = sla_console
    with signed_in(browser, server, LEADER) as page:
        page.goto(f"{server.url}/lists/overdue")
        assert server.fire_timers(dt.timedelta(hours=2)) >= 1  # 接收确认's 30 minutes are over
        alert = page.locator(".urgent-alert")
        expect(alert).to_contain_text("已超期")
        expect(alert).to_contain_text(numbers["order"])

        # 超期工单: the date and 受理人 (handler) filters, and the search, work with it up
        filters = "#list-filters"
        _clear_and_clickable(
            page,
            filters,
            [f'{filters} input[name="{n}"]' for n in ("number", "caller", "receiver", "from", "to")]
            + [f"{filters} select[name=category]", f"{filters} button[type=submit]"],
        )
        page.fill(f'{filters} input[name="receiver"]', "1001")
        day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        page.fill(f'{filters} input[name="from"]', day)
        with page.expect_request(lambda r: "/api/orders?" in r.url and "receiver=1001" in r.url) as sent:
            page.click(f"{filters} button[type=submit]")
        assert f"from={day}" in sent.value.url

        # 报表: the queue select (call reports) and the workflow select (环节处理时长)
        page.goto(f"{server.url}/reports")
        expect(page.locator(".urgent-alert")).to_be_visible()  # still unacknowledged on the next page
        _clear_and_clickable(
            page, "#report-filters", ["#report-name", "#report-period", "#report-queue", "#report-site"]
        )
        page.select_option("#report-name", "cycle_time_steps")
        _clear_and_clickable(
            page, "#report-filters", ["#report-workflow", "#report-filters button[type=submit]"]
        )

        # 知道了 still takes it away; the page's controls move back up into the room it had
        form_top = page.locator("#report-filters").bounding_box()["y"]
        page.locator(".urgent-alert").get_by_role("button", name="知道了").click()
        expect(page.locator(".urgent-alert")).to_have_count(0)
        assert page.locator("#report-filters").bounding_box()["y"] < form_top
