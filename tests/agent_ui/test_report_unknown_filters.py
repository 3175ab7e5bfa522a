"""报表 filtered by a queue, workflow, contractor or site there is none of: a 400 in words naming
what was asked for (QA: /api/reports/queues?queue=nosuch answered 200 with no rows, which reads
as "no calls"), for the report and its export alike; the names the catalog offers, and a queue
only history still has, keep working."""

from __future__ import annotations

from cti.call_events import CallEnded
from tests.agent_ui.conftest import login
from tests.agent_ui.test_reports import PERIOD, calls, t  # noqa: F401 (the fixture)
from ticketing.calls import CallLinker


async def _refused(client, path: str, params: dict) -> dict:
    resp = await client.get(path, params={**PERIOD, "format": "csv", **params})
    body = await resp.json()
    assert resp.status == 400, (path, params, body)
    return body


async def test_unknown_names_are_refused_in_words(client, calls):  # noqa: F811
    await login(client, "3001")
    cases = [
        (
            "queues",
            {"queue": "nosuch"},
            "report.unknown_queue",
            "没有名为“nosuch”的队列，请从队列列表中选择。",
        ),
        ("calls", {"queue": "nosuch"}, "report.unknown_queue", "nosuch"),
        ("cycle_time_steps", {"workflow": "nosuch"}, "report.unknown_workflow", "没有流程“nosuch”"),
        ("orders_by_category", {"contractor": "987654"}, "report.unknown_contractor", "987654 的外委单位"),
        ("orders_by_category", {"contractor": str(2**31)}, "report.unknown_contractor", "外委单位"),
        ("orders_by_site", {"site": "987654"}, "report.unknown_site", "没有编号为 987654 的单位"),
    ]
    for report, params, error_id, words in cases:
        for path in (f"/api/reports/{report}", f"/api/reports/{report}/export"):
            body = await _refused(client, path, params)
            assert body["error_id"] == error_id, (path, body)
            assert words in body["message"], body
            assert body["details"]["field"] == next(iter(params))


async def test_a_long_unknown_name_is_cut_in_the_message(client, calls):  # noqa: F811
    await login(client, "3001")
    body = await _refused(client, "/api/reports/queues", {"queue": "q" * 300})
    assert body["details"]["unknown"] == "q" * 64


async def test_the_catalogs_names_and_a_retired_queue_still_run(client, calls):  # noqa: F811
    # a queue nobody has a skill for any more: its calls are still reported
    await CallLinker(calls.services.sessionmaker).handle(
        CallEnded(
            call_id="old1",
            direction="inbound",
            outcome="abandoned_queue",
            caller="13800003333",
            queue="retired_q",
            started_at=t("09:20:00"),
            queued_at=t("09:20:00"),
            ended_at=t("09:20:30"),
        )
    )
    await login(client, "3001")
    catalog = await (await client.get("/api/reports")).json()
    assert "retired_q" not in catalog["queues"]
    for queue in [*catalog["queues"], "retired_q"]:
        resp = await client.get("/api/reports/queues", params={**PERIOD, "queue": queue})
        assert resp.status == 200, (queue, await resp.json())
    for workflow in catalog["workflows"]:
        resp = await client.get(
            "/api/reports/cycle_time_steps", params={**PERIOD, "workflow": workflow["key"]}
        )
        assert resp.status == 200, workflow
    calls_report = await (
        await client.get("/api/reports/calls", params={**PERIOD, "queue": "retired_q"})
    ).json()
    assert calls_report["total"] == 1


async def test_english_says_it_too(client, calls):  # noqa: F811
    token = await login(client, "3001")
    await client.post("/lang", data={"_csrf": token, "lang": "en", "next": "/reports"}, allow_redirects=False)
    resp = await client.get("/api/reports/queues", params={**PERIOD, "queue": "nosuch"})
    body = await resp.json()
    assert resp.status == 400
    assert "no queue named “nosuch”" in body["message"]
