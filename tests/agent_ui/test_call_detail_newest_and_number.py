"""报表 → 通话明细 lists the newest call first and finds a caller's calls by 号码 (QA 2026-11-29
#20: page 1 started at the day's first call, the latest on the last page, and no 号码 filter).
The exports list the same rows in the same order as the page."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import PERIOD, calls, csv_rows  # noqa: F401 (fixture)


def _column(data: dict, key: str) -> list:
    at = [c["key"] for c in data["columns"]].index(key)
    return [row[at] for row in data["rows"]]


async def test_the_newest_call_comes_first_on_the_page_and_in_the_export(client, calls):  # noqa: F811
    await login(client, "3001")
    page = await (await client.get("/api/reports/calls", params=PERIOD)).json()
    assert _column(page, "started_at") == ["2026-11-20 08:20:00", "2026-11-20 08:10:00"]
    export = csv_rows(
        await (await client.get("/api/reports/calls/export", params={**PERIOD, "format": "csv"})).read()
    )
    assert [row[0] for row in export[1:]] == ["2026-11-20 08:20:00", "2026-11-20 08:10:00"]


async def test_the_number_filter_finds_a_callers_calls_by_all_or_part_of_the_number(client, calls):  # noqa: F811
    await login(client, "3001")
    for typed in ("13800002222", "+86 138-0000-2222", "2222"):
        found = await (await client.get("/api/reports/calls", params={**PERIOD, "number": typed})).json()
        assert (found["total"], _column(found, "number")) == (1, ["13800002222"]), typed
    export = csv_rows(
        await (
            await client.get(
                "/api/reports/calls/export", params={**PERIOD, "number": "1111", "format": "csv"}
            )
        ).read()
    )
    assert [row[2] for row in export[1:]] == ["13800001111"]
    none = await (await client.get("/api/reports/calls", params={**PERIOD, "number": "13900000000"})).json()
    assert (none["total"], none["rows"]) == (0, [])


async def test_a_number_without_digits_is_refused_in_words(client, calls):  # noqa: F811
    await login(client, "3001")
    resp = await client.get("/api/reports/calls", params={**PERIOD, "number": "张三"})
    assert resp.status == 400
    body = await resp.json()
    assert body["error_id"] == "request.invalid" and "number" in str(body), body
