"""QA: a bureau's own non-working day (a typhoon closure, a local holiday) could not be entered, so
its deadlines kept counting; the calendar engine read a site calendar's ``holidays`` and
``workdays`` but neither 单位管理's page nor its API set them. Now ``holidays`` (本单位休息日)
and ``workdays`` (本单位上班日) are edited with the site: dates checked with errors naming the
line, none twice, no day in both lists; stored sorted, audited with the site's other changes,
and the site's order deadlines count by them (a day off wins over a national make-up day)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.agent_ui.conftest import login
from tests.agent_ui.test_site_admin_api import SH, _audit, _deadline, _flow_on_hd, _send
from ticketing.models import Site


async def _calendar(world, site_id: int) -> dict | None:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.calendar).where(Site.id == site_id))


async def test_bad_dates_are_refused_naming_the_line_and_nothing_is_saved(client, world):
    admin = await login(client, "9001")
    hd = await _flow_on_hd(world)
    url = f"/api/admin/sites/{hd}"

    status, body = await _send(client, url, admin, {"holidays": ["2026-09-15", "", "2026-13-01"]}, "PATCH")
    assert (status, body["details"]["problems"]) == (422, {"holidays": "field_bad_date"})
    assert body["details"]["rows"] == {"holidays": 3}
    assert "本单位休息日第 3 行（不是日期，应如 2026-09-15）" in body["message"]
    for bad in (["2026-02-30"], ["1926-09-15"], ["明天"], 20260915, [20260915]):
        status, body = await _send(client, url, admin, {"workdays": bad}, "PATCH")
        assert (status, body["details"]["problems"]) == (422, {"workdays": "field_bad_date"}), bad

    # the same day twice, in two spellings: the second named
    status, body = await _send(client, url, admin, {"holidays": ["2026-09-15", "2026年9月15日"]}, "PATCH")
    assert body["details"]["problems"] == {"holidays": "field_date_repeated"}
    assert "本单位休息日第 2 行（与前面的日期重复）" in body["message"]

    # a day off and a working day at once, in one request and against what is stored
    status, body = await _send(
        client, url, admin, {"holidays": ["2026-09-15"], "workdays": ["2026-09-19", "2026/9/15"]}, "PATCH"
    )
    assert (body["details"]["problems"], body["details"]["rows"]) == (
        {"workdays": "field_date_in_both"},
        {"workdays": 2},
    )
    assert "本单位上班日第 2 行（同一天不能既是本单位休息日又是本单位上班日）" in body["message"]
    too_many = [(dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(367)]
    status, body = await _send(client, url, admin, {"workdays": too_many}, "PATCH")
    assert body["details"]["problems"] == {"workdays": "field_too_many_dates"}
    assert await _calendar(world, hd) is None  # nothing saved by any of them

    status, site = await _send(client, url, admin, {"holidays": "2026-09-15"}, "PATCH")
    assert status == 200 and site["holidays"] == ["2026-09-15"]
    status, body = await _send(client, url, admin, {"workdays": ["2026-09-15"]}, "PATCH")
    assert (status, body["details"]["problems"]) == (422, {"workdays": "field_date_in_both"})
    assert (await _calendar(world, hd)) == {"holidays": ["2026-09-15"]}


async def test_own_days_are_stored_sorted_audited_and_kept_beside_the_hours(client, world):
    admin = await login(client, "9001")
    hd = await _flow_on_hd(world)
    url = f"/api/admin/sites/{hd}"
    status, _ = await _send(client, url, admin, {"hours": {"mon": ["09:00-17:00"]}}, "PATCH")
    assert status == 200
    status, site = await _send(
        client,
        url,
        admin,
        {"holidays": ["2026/9/16", " 2026-09-15 ", ""], "workdays": "2026年9月19日"},
        "PATCH",
    )
    assert status == 200
    assert (site["holidays"], site["workdays"]) == (["2026-09-15", "2026-09-16"], ["2026-09-19"])
    assert site["hours"]["mon"] == ["09:00-17:00"] and site["own_hours"] is True
    listed = {s["id"]: s for s in (await (await client.get("/api/admin/sites")).json())["items"]}
    assert listed[hd]["holidays"] == ["2026-09-15", "2026-09-16"]
    assert listed[hd]["workdays"] == ["2026-09-19"]
    update = (await _audit(world, "site.update"))[-1]
    assert update.before["holidays"] == [] and update.after["holidays"] == ["2026-09-15", "2026-09-16"]
    assert update.before["workdays"] == [] and update.after["workdays"] == ["2026-09-19"]

    # hours changed later keep the days; emptied lists leave the calendar
    status, site = await _send(client, url, admin, {"hours": None}, "PATCH")
    assert site["holidays"] == ["2026-09-15", "2026-09-16"]
    status, site = await _send(client, url, admin, {"holidays": [], "workdays": None}, "PATCH")
    assert status == 200 and site["holidays"] == [] and site["workdays"] == []
    assert await _calendar(world, hd) is None

    # a new site with its own days
    status, created = await _send(
        client,
        "/api/admin/sites",
        admin,
        {"code": "HD-1", "name": "台风区供电所", "parent_site_id": hd, "holidays": ["2026-09-15"]},
    )
    assert status == 201 and created["holidays"] == ["2026-09-15"] and created["own_hours"] is False
    assert await _calendar(world, created["id"]) == {"holidays": ["2026-09-15"]}


async def test_deadlines_honour_the_sites_own_days(client, world):
    hd = await _flow_on_hd(world)
    admin = await login(client, "9001")

    async def deadline(at: dt.datetime) -> dt.datetime:
        return await _deadline(world, hd, "本单位休息日", at)

    friday = dt.datetime(2026, 9, 18, 17, 0, tzinfo=SH)  # half an hour before closing
    # Sunday 2026-09-20 is a national make-up working day (国庆节调休)
    assert await deadline(friday) == dt.datetime(2026, 9, 20, 9, 0, tzinfo=SH)

    # a typhoon closes the bureau that Sunday: its own day off wins over the national make-up day
    status, _ = await _send(client, f"/api/admin/sites/{hd}", admin, {"holidays": ["2026-09-20"]}, "PATCH")
    assert status == 200
    assert await deadline(friday) == dt.datetime(2026, 9, 21, 9, 0, tzinfo=SH)

    # it works the Saturday instead, in its make-up hours (Monday's by default)
    status, _ = await _send(client, f"/api/admin/sites/{hd}", admin, {"workdays": ["2026-09-19"]}, "PATCH")
    assert status == 200
    assert await deadline(friday) == dt.datetime(2026, 9, 19, 9, 0, tzinfo=SH)

    # and a day of the national holiday (国庆节 2026-10-01…07): worked there, closed elsewhere
    status, _ = await _send(
        client, f"/api/admin/sites/{hd}", admin, {"workdays": ["2026-10-02"], "holidays": []}, "PATCH"
    )
    assert status == 200
    evening = dt.datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    assert await deadline(evening) == dt.datetime(2026, 10, 2, 9, 0, tzinfo=SH)
