"""The campaigns API: roles on every route, CSRF on writes, the import report, dispositions."""

from aiohttp import FormData

from tests.agent_ui.conftest import login


async def test_only_team_leaders_and_admins_manage_campaigns(client):
    csrf = await login(client, "1001")  # an agent
    resp = await client.post(
        "/api/campaigns", json={"name": "x", "queue": "service"}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"
    assert (await client.get("/api/campaigns")).status == 403
    assert (await client.get("/campaigns")).status == 403
    assert (await client.get("/api/campaign-dispositions")).status == 200  # the seat may read them


async def test_writes_need_the_csrf_token(client):
    await login(client, "9001")
    resp = await client.post("/api/campaigns", json={"name": "回访", "queue": "service"})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"


async def test_create_import_with_report_start_and_progress(client):
    csrf = await login(client, "3001")  # team leader
    h = {"X-CSRF-Token": csrf}
    resp = await client.post(
        "/api/campaigns",
        json={
            "name": "满意度回访",
            "queue": "camp-a",
            "mode": "preview",
            "windows": ["09:00-20:00"],
            "script": "您好",
        },
        headers=h,
    )
    assert resp.status == 201, await resp.text()
    cid = (await resp.json())["id"]
    bad = await client.post("/api/campaigns", json={"name": "x", "queue": "q", "windows": ["9点"]}, headers=h)
    assert (await bad.json())["error_id"] == "campaign.bad_window"

    csv = "电话,姓名\n13800000001,张三\n坏号码,李四\n13800000001,重复\n".encode()

    def form(commit: str) -> FormData:
        data = FormData()
        data.add_field("file", csv, filename="名单.csv", content_type="text/csv")
        data.add_field("mapping", '{"number": "电话", "name": "姓名"}')
        data.add_field("commit", commit)
        return data

    report = await (await client.post(f"/api/campaigns/{cid}/import", data=form("0"), headers=h)).json()
    assert (report["committed"], report["accepted"], report["rejected"]) == (False, 1, 2)
    assert [r["reason"] for r in report["rejected_rows"]] == ["invalid_number", "duplicate_in_file"]
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"] == []  # nothing written yet
    report = await (await client.post(f"/api/campaigns/{cid}/import", data=form("1"), headers=h)).json()
    assert report["committed"] and report["accepted"] == 1

    assert (await client.post(f"/api/campaigns/{cid}/start", headers=h)).status == 200
    again = await client.post(f"/api/campaigns/{cid}/start", headers=h)
    assert (await again.json())["error_id"] == "campaign.bad_transition"
    detail = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert detail["status"] == "running" and detail["progress"]["states"] == {"pending": 1}
    contact = detail["contacts"][0]

    # the agent records a disposition (a seat role); no dialer in this app: preview dial is unavailable
    await client.post("/api/session/logout", headers=h)
    csrf = await login(client, "1001")
    h = {"X-CSRF-Token": csrf}
    dial = await client.post(f"/api/campaign-contacts/{contact['id']}/dial", headers=h)
    assert dial.status == 503
    bad = await client.post(
        f"/api/campaign-contacts/{contact['id']}/disposition", json={"code": "nope"}, headers=h
    )
    assert (await bad.json())["error_id"] == "campaign.bad_disposition"


async def test_dnc_list_is_managed_by_team_leaders(client):
    csrf = await login(client, "3001")
    h = {"X-CSRF-Token": csrf}
    resp = await client.post(
        "/api/campaigns-dnc", json={"number": "+86 138 0013 8000", "reason": "客户要求"}, headers=h
    )
    assert resp.status == 201 and (await resp.json())["number"] == "13800138000"
    assert (await (await client.get("/api/campaigns-dnc")).json())["numbers"] == ["13800138000"]
