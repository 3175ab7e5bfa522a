"""Outage notices name their affected areas (lines, 台区, streets, districts): entered in the
notice form, kept with each version, found by an agent searching a street or a line, and told
by the IVR to a caller who keys in an area's code."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.selfservice import ticketing_hooks
from tests.agent_ui.conftest import login
from ticketing.models import OutageNotice, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")
AREAS = [
    {"kind": "line", "name": "10kV 中关村线", "code": ""},
    {"kind": "transformer_area", "name": "中关村1号台区", "code": "11010801"},
    {"kind": "street", "name": "海淀黄庄北街", "code": ""},
]


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _headers(client, staff_no: str = "3001") -> dict[str, str]:
    return {"X-CSRF-Token": await login(client, staff_no)}


async def _hd(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.id).where(Site.code == "HD"))


async def _publish(client, headers, site_id, **extra) -> dict:
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": site_id,
        "area": "中关村一带",
        "reason": "10kV线路检修",
        "starts_at": _local(now - dt.timedelta(hours=1)),
        "ends_at": _local(now + dt.timedelta(hours=3)),
        **extra,
    }
    resp = await client.post("/api/notices", json=body, headers=headers)
    notice = await resp.json()
    assert resp.status == 201, notice
    return notice


async def _search(client, area: str) -> list[str]:
    found = await (await client.get("/api/notices", params={"area": area})).json()
    return [n["key"] for n in found["items"]]


async def test_affected_areas_are_kept_per_version_and_found_by_street_line_or_code(client, world):
    headers = await _headers(client)
    notice = await _publish(
        client, headers, await _hd(world), affected_areas=[{**a, "name": f" {a['name']} "} for a in AREAS]
    )
    assert notice["affected_areas"] == AREAS  # trimmed, in the order entered
    other = await _publish(client, headers, await _hd(world), area="知春路", affected_areas=[])
    assert other["affected_areas"] == []

    # an agent searching a street, a line or a 台区's code finds it; 停电范围 text still counts
    await client.delete("/api/session", headers=headers)
    await login(client, "1001")
    assert await _search(client, "黄庄北街") == [notice["key"]]
    assert await _search(client, "中关村线") == [notice["key"]]
    assert await _search(client, "11010801") == [notice["key"]]
    assert await _search(client, "知春路") == [other["key"]]
    assert await _search(client, "五道口") == []

    # a revision naming other areas replaces them in the new version; the old keeps its own
    headers = await _headers(client)
    resp = await client.patch(
        f"/api/notices/{notice['key']}",
        json={"affected_areas": [AREAS[0]], "remark": "台区已转供", "version": 1},
        headers=headers,
    )
    revised = await resp.json()
    assert resp.status == 200, revised
    assert revised["version"] == 2 and revised["affected_areas"] == [AREAS[0]]
    # one that does not name them keeps them
    resp = await client.patch(
        f"/api/notices/{notice['key']}",
        json={"reason": "抢修", "remark": "原因更正", "version": 2},
        headers=headers,
    )
    assert (await resp.json())["affected_areas"] == [AREAS[0]]
    history = await (await client.get(f"/api/notices/{notice['key']}")).json()
    assert [len(v["affected_areas"]) for v in history["versions"]] == [3, 1, 1]
    assert await _search(client, "黄庄北街") == []
    assert await _search(client, "中关村线") == [notice["key"]]


async def test_the_ivr_tells_a_caller_who_keys_in_an_areas_code(client, world):
    headers = await _headers(client)
    notice = await _publish(client, headers, await _hd(world), affected_areas=AREAS)
    await _publish(
        client,
        headers,
        await _hd(world),
        area="上地十街",
        affected_areas=[{"kind": "district", "name": "海淀区", "code": "110108"}],
    )
    lookup = ticketing_hooks(world.services.sessionmaker).outage_lookup
    assert [o.area for o in await lookup("11010801")] == ["中关村一带"]
    assert [o.area for o in await lookup("110108")] == ["上地十街"]  # the code whole, not a prefix
    assert await lookup("99999999") == []
    # withdrawn: the code tells the caller nothing any more
    resp = await client.post(
        f"/api/notices/{notice['key']}/withdraw", json={"remark": "检修取消"}, headers=headers
    )
    assert resp.status == 200
    assert await lookup("11010801") == []


async def test_the_ivr_never_matches_keyed_digits_inside_an_address(client, world):
    # QA F2: "1-200号" in the 停电范围 text told callers keying 1, 0, 20 or 200 of this outage.
    headers = await _headers(client)
    await _publish(
        client,
        headers,
        await _hd(world),
        area="天河区中山路一带（1-200号）",
        affected_areas=[{"kind": "street", "name": "中山路1-200号", "code": "440106"}],
    )
    lookup = ticketing_hooks(world.services.sessionmaker).outage_lookup
    for keyed in ("1", "0", "20", "200", "4401", "44010"):
        assert await lookup(keyed) == [], keyed
    assert [o.area for o in await lookup("440106")] == ["天河区中山路一带（1-200号）"]


async def test_a_notice_sent_to_a_customer_names_its_affected_areas_by_kind(client, world):
    from ticketing.knowledge import AREA_KIND_WORDS
    from ticketing.models import Notification
    from ticketing.models.knowledge import AREA_KINDS

    assert set(AREA_KIND_WORDS) == set(AREA_KINDS)  # every kind has its words
    headers = await _headers(client)
    second_line = {"kind": "line", "name": "10kV 海淀线", "code": ""}
    notice = await _publish(
        client, headers, await _hd(world), affected_areas=[AREAS[2], AREAS[0], AREAS[1], second_line]
    )
    older = await _publish(client, headers, await _hd(world), area="知春路", affected_areas=[])
    sent = []
    for key, channel, to in ((notice["key"], "sms", "13800138000"), (notice["key"], "email", "a@b.cn")):
        resp = await client.post(
            f"/api/notices/{key}/send", json={"channel": channel, "to": to}, headers=headers
        )
        assert resp.status == 201, await resp.text()
        sent.append((await resp.json())["id"])
    resp = await client.post(
        f"/api/notices/{older['key']}/send", json={"channel": "sms", "to": "13800138000"}, headers=headers
    )
    sent.append((await resp.json())["id"])
    async with world.services.sessionmaker() as db:
        sms, email, old_sms = [await db.get(Notification, i) for i in sent]
    # grouped by kind in the kinds' order, the names as entered; the 停电范围 text stays first
    areas = "停电范围：中关村一带；线路：10kV 中关村线、10kV 海淀线；台区：中关村1号台区；街道/小区：海淀黄庄北街；原因：10kV线路检修"
    assert areas in sms.body and areas in email.body
    # a notice without affected areas reads as before
    assert "停电范围：知春路；原因：10kV线路检修" in old_sms.body and "线路：" not in old_sms.body


@pytest.mark.parametrize(
    "areas, problem",
    [
        ("中关村线", "field_bad_area"),
        ([{"kind": "pole", "name": "1号杆"}], "field_bad_area"),
        ([{"kind": "line", "name": "  "}], "field_bad_area"),
        ([{"kind": "line", "name": "长" * 101}], "field_bad_area"),
        ([{"kind": "line", "name": "x", "code": "11 01"}], "field_bad_area"),
        ([{"kind": "line", "name": "x", "customers": 300}], "field_bad_area"),
        ([{"kind": "line", "name": "x"}, {"kind": "line", "name": "x", "code": "1"}], "field_duplicate"),
        ([{"kind": "street", "name": f"街{i}"} for i in range(51)], "field_too_long"),
    ],
)
async def test_bad_affected_areas_are_refused(client, world, areas, problem):
    headers = await _headers(client, "9001")
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": await _hd(world),
        "area": "中关村",
        "affected_areas": areas,
        "starts_at": _local(now),
        "ends_at": _local(now + dt.timedelta(hours=2)),
    }
    resp = await client.post("/api/notices", json=body, headers=headers)
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["details"]["problems"] == {"affected_areas": problem}
    assert "影响区域" in refused["message"]
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(OutageNotice.id)) is None


async def test_the_notice_form_has_the_affected_areas(client):
    await login(client, "3001")
    page = await (await client.get("/notices")).text()
    assert 'name="affected_areas"' in page and 'id="notice-area-add"' in page
    spec = await (await client.get("/api/openapi.json")).json()
    body = spec["paths"]["/api/notices"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["affected_areas"]["items"]["properties"]["kind"]["enum"] == [
        "line",
        "transformer_area",
        "street",
        "district",
    ]


async def test_a_bad_area_code_is_refused_naming_its_row(client, world):
    headers = await _headers(client, "9001")
    now = dt.datetime.now(dt.UTC)
    body = {
        "site_id": await _hd(world),
        "area": "中关村",
        "affected_areas": [
            {"kind": "line", "name": "10kV 中关村线", "code": "L-1101"},
            {"kind": "line", "name": "10kV 海淀线", "code": "11 02"},  # a space: no area code
        ],
        "starts_at": _local(now),
        "ends_at": _local(now + dt.timedelta(hours=2)),
    }
    refused = await (await client.post("/api/notices", json=body, headers=headers)).json()
    assert refused["details"] == {
        "problems": {"affected_areas": "field_bad_area"},
        "rows": {"affected_areas": 2},
    }
    assert "影响区域第 2 行（每个区域须有类型和名称" in refused["message"]
