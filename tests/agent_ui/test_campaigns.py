"""The campaigns API: roles on every route, CSRF on writes, the import report, dispositions."""

import datetime as dt

from aiohttp import FormData
from sqlalchemy import select

from campaigns import importer, store
from tests.agent_ui.conftest import login
from ticketing.models import AuditLog, Campaign, CampaignAttempt, CampaignContact, Disposition


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
            "queue": "service",
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

    def form(commit: str, checked: str = "") -> FormData:
        data = FormData()
        data.add_field("file", csv, filename="名单.csv", content_type="text/csv")
        data.add_field("mapping", '{"number": "电话", "name": "姓名"}')
        data.add_field("commit", commit)
        data.add_field("checked", checked)
        return data

    report = await (await client.post(f"/api/campaigns/{cid}/import", data=form("0"), headers=h)).json()
    assert (report["committed"], report["accepted"], report["rejected"]) == (False, 1, 2)
    assert [r["reason"] for r in report["rejected_rows"]] == ["invalid_number", "duplicate_in_file"]
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"] == []  # nothing written yet
    report = await (
        await client.post(f"/api/campaigns/{cid}/import", data=form("1", report["checked"]), headers=h)
    ).json()
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
    assert (await bad.json())["error_id"] == "campaign.contact_not_yours"  # never offered to 1001


async def test_dnc_list_is_managed_by_team_leaders(client):
    csrf = await login(client, "3001")
    h = {"X-CSRF-Token": csrf}
    resp = await client.post(
        "/api/campaigns-dnc", json={"number": "+86 138 0013 8000", "reason": "客户要求"}, headers=h
    )
    assert resp.status == 201 and (await resp.json())["number"] == "13800138000"
    assert (await (await client.get("/api/campaigns-dnc")).json())["numbers"] == ["13800138000"]


def _list(cid: int, text: str, commit: str = "1", checked: str | None = None) -> FormData:
    """The import form; committing names the token of a check of this very file and mapping
    (as the page sends the one its report was about), unless ``checked`` says otherwise."""
    data = FormData()
    data.add_field("file", text.encode(), filename="名单.csv", content_type="text/csv")
    data.add_field("mapping", '{"number": "电话"}')
    data.add_field("commit", commit)
    if checked is None:
        checked = importer.upload_token(cid, text.encode(), {"number": "电话"})
    data.add_field("checked", checked)
    return data


async def _new(client, h, **fields) -> int:
    resp = await client.post("/api/campaigns", json={"name": "回访", "queue": "service", **fields}, headers=h)
    assert resp.status == 201, await resp.text()
    return (await resp.json())["id"]


async def test_a_reversed_window_is_a_validation_error_of_its_own(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    reversed_ = await client.post(
        "/api/campaigns", json={"name": "x", "queue": "q", "windows": ["20:00-09:00"]}, headers=h
    )
    assert reversed_.status == 422 and (await reversed_.json())["error_id"] == "campaign.window_order"
    bad = await client.post("/api/campaigns", json={"name": "x", "queue": "q", "windows": ["9点"]}, headers=h)
    assert bad.status == 422 and (await bad.json())["error_id"] == "campaign.bad_window"
    pacing = await client.post(
        "/api/campaigns", json={"name": "x", "queue": "q", "max_in_flight": 0}, headers=h
    )
    assert pacing.status == 422 and (await pacing.json())["error_id"] == "campaign.bad_max_in_flight"


async def test_service_numbers_are_refused_per_line_at_import(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    report = await (
        await client.post(
            f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n95598\n"), headers=h
        )
    ).json()
    assert (report["accepted"], report["rejected"]) == (1, 1)
    (rejected,) = report["rejected_rows"]
    assert (rejected["line"], rejected["reason"]) == (3, "service_number")
    numbers = [c["number"] for c in (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]]
    assert numbers == ["13800000001"]


async def test_a_finished_campaign_offers_no_action_and_takes_no_list(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["actions"] == ["start", "finish"] and view["editable"] is True
    assert (await client.post(f"/api/campaigns/{cid}/start", headers=h)).status == 200
    listed = (await (await client.get("/api/campaigns")).json())["campaigns"]
    assert [c["actions"] for c in listed if c["id"] == cid] == [["pause", "finish"]]
    assert (await client.post(f"/api/campaigns/{cid}/finish", headers=h)).status == 200
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["actions"] == [] and view["editable"] is False
    for commit in ("0", "1"):
        resp = await client.post(
            f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n", commit), headers=h
        )
        assert resp.status == 409 and (await resp.json())["error_id"] == "campaign.finished"
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"] == []


async def test_windows_pacing_and_retries_are_edited_until_the_campaign_finishes(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, windows=["09:00-18:00"])
    resp = await client.patch(
        f"/api/campaigns/{cid}",
        json={
            "windows": ["09:00-12:00", "14:00-20:00"],
            "max_attempts": 4,
            "retry_minutes": {"busy": 10, "no_answer": 45},
            "max_in_flight": 2,
            "calls_per_second": 0.5,
        },
        headers=h,
    )
    assert resp.status == 200, await resp.text()
    view = await resp.json()
    assert view["windows"] == ["09:00-12:00", "14:00-20:00"] and view["max_attempts"] == 4
    assert view["retry_effective"] == {"busy": 10, "no_answer": 45, "failed": 60, "abandoned": 10}
    assert (view["max_in_flight"], view["calls_per_second"]) == (2, 0.5)
    async with world.services.sessionmaker() as db:
        (audit,) = await db.scalars(select(AuditLog).where(AuditLog.action == "campaign.update"))
        assert (audit.action, audit.actor, audit.entity_id) == ("campaign.update", "3001", str(cid))
    bad = await client.patch(f"/api/campaigns/{cid}", json={"windows": ["20:00-09:00"]}, headers=h)
    assert bad.status == 422 and (await bad.json())["error_id"] == "campaign.window_order"
    bad = await client.patch(f"/api/campaigns/{cid}", json={"retry_minutes": {"busy": -1}}, headers=h)
    assert bad.status == 422 and (await bad.json())["error_id"] == "campaign.bad_retry_minutes"
    bad = await client.patch(f"/api/campaigns/{cid}", json={"mode": "predictive"}, headers=h)
    assert bad.status == 422 and (await bad.json())["error_id"] == "campaign.not_editable"
    assert (await client.post(f"/api/campaigns/{cid}/finish", headers=h)).status == 200
    done = await client.patch(f"/api/campaigns/{cid}", json={"max_in_flight": 3}, headers=h)
    assert done.status == 409 and (await done.json())["error_id"] == "campaign.finished"
    await client.post("/api/session/logout", headers=h)
    h = {"X-CSRF-Token": await login(client, "1001")}  # an agent
    assert (await client.patch(f"/api/campaigns/{cid}", json={}, headers=h)).status == 403


async def test_an_edit_answers_how_many_pending_contacts_it_moved(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, retry_minutes={"busy": 120})
    ended = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # a Thursday, 10:00 in Shanghai
    async with world.services.sessionmaker.begin() as db:
        ids = []
        for n, number in enumerate(("13800000001", "13800000002")):
            contact = await store.add_contact(db, await db.get(Campaign, cid), number, source_key=f"t{n}")
            contact.attempts = n + 1  # the second has had two attempts
            contact.last_outcome, contact.next_attempt_at = "busy", ended + dt.timedelta(hours=2)
            db.add(
                CampaignAttempt(
                    campaign_id=cid,
                    contact_id=contact.id,
                    call_id=f"c{n}",
                    mode="progressive",
                    outcome="busy",
                    ended_at=ended,
                )
            )
            ids.append(contact.id)
    resp = await client.patch(
        f"/api/campaigns/{cid}", json={"retry_minutes": {"busy": 5}, "max_attempts": 2}, headers=h
    )
    assert resp.status == 200, await resp.text()
    assert {k: (await resp.json())[k] for k in ("rescheduled", "finished")} == {
        "rescheduled": 1,
        "finished": 1,
    }
    async with world.services.sessionmaker() as db:
        first, second = [await db.get(CampaignContact, i) for i in ids]
        assert (first.state, first.next_attempt_at) == ("pending", ended + dt.timedelta(minutes=5))
        assert (second.state, second.next_attempt_at) == ("failed", None)


async def test_the_dnc_list_is_searched_and_a_number_removed_audited(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    page = await (await client.get("/campaigns")).text()
    assert 'id="camp-dnc"' in page and 'id="camp-edit"' in page  # the list and the settings on the page
    cid = await _new(client, h)
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n"), headers=h)
    await client.post("/api/campaigns-dnc", json={"number": "13800000001", "reason": "客户要求"}, headers=h)
    await client.post("/api/campaigns-dnc", json={"number": "13900000002", "reason": "投诉"}, headers=h)
    found = await (await client.get("/api/campaigns-dnc", params={"q": "投诉"})).json()
    assert [(e["number"], e["reason"]) for e in found["entries"]] == [("13900000002", "投诉")]
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["progress"]["states"] == {"dnc": 1}

    resp = await client.delete("/api/campaigns-dnc/13800000001", headers=h)
    assert resp.status == 200 and (await resp.json()) == {"deleted": True, "restored": 1}
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["progress"]["states"] == {"pending": 1}
    assert (await (await client.get("/api/campaigns-dnc")).json())["numbers"] == ["13900000002"]
    again = await client.delete("/api/campaigns-dnc/13800000001", headers=h)
    assert again.status == 404 and (await again.json())["error_id"] == "campaign.dnc_not_found"
    assert (await client.delete("/api/campaigns-dnc/13900000002")).status == 403  # no CSRF token
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(select(AuditLog).where(AuditLog.entity == "dnc_number").order_by(AuditLog.id))
        assert [(r.action, r.actor, r.entity_id) for r in rows] == [
            ("dnc.add", "3001", "13800000001"),
            ("dnc.add", "3001", "13900000002"),
            ("dnc.remove", "3001", "13800000001"),
        ]
    await client.post("/api/session/logout", headers=h)
    h = {"X-CSRF-Token": await login(client, "1001")}  # an agent
    assert (await client.delete("/api/campaigns-dnc/13900000002", headers=h)).status == 403


async def test_the_campaign_page_names_dispositions_by_their_labels(client, world):
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)
        db.add(Disposition(code="paid", label="已缴费", final=True))  # one an admin configured
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    numbers = "电话\n13800000001\n13800000002\n"
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, numbers), headers=h)
    first, second = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    async with world.services.sessionmaker.begin() as db:  # both called: a result needs a call
        for contact in (first, second):
            (await db.get(CampaignContact, contact["id"])).attempts = 1
    for contact, code in ((first, "satisfied"), (second, "paid")):
        resp = await client.post(
            f"/api/campaign-contacts/{contact['id']}/disposition", json={"code": code}, headers=h
        )
        assert resp.status == 200, await resp.text()
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["progress"]["dispositions"] == {"satisfied": 1, "paid": 1}
    labels = view["disposition_labels"]
    assert (labels["satisfied"], labels["paid"]) == ("满意", "已缴费")
    await client.post("/lang", data={"_csrf": h["X-CSRF-Token"], "lang": "en", "next": "/campaigns"})
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    labels = view["disposition_labels"]
    assert (labels["satisfied"], labels["paid"]) == ("Satisfied", "已缴费")
    seat = (await (await client.get("/api/campaign-dispositions")).json())["dispositions"]
    assert {d["code"]: d["label"] for d in seat}["call_later"] == "Call again later"


async def test_a_campaign_calls_for_one_of_the_hotlines_queues(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    listed = await (await client.get("/api/campaigns")).json()
    assert listed["queues"] == ["service"]  # the wallboard's staffed queues (the default skill here)
    unknown = await client.post("/api/campaigns", json={"name": "回访", "queue": "nosuchqueue"}, headers=h)
    body = await unknown.json()
    assert unknown.status == 422 and body["error_id"] == "campaign.unknown_queue", body
    assert body["message"] == "没有这个队列：请从热线的队列中选择"
    assert (await (await client.get("/api/campaigns")).json())["campaigns"] == []  # nothing created
    cid = await _new(client, h)
    moved = await client.patch(f"/api/campaigns/{cid}", json={"queue": "nosuchqueue"}, headers=h)
    assert moved.status == 422 and (await moved.json())["error_id"] == "campaign.not_editable"
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["queue"] == "service"


async def test_an_agent_reads_and_records_only_the_contacts_offered_to_them_audited(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, mode="preview", script="您好，这里是95598回访")
    numbers = "电话\n13800000001\n13800000002\n13800000003\n"
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, numbers), headers=h)
    called, offered, never = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)  # the dialer's start adds them
        campaign = await db.get(Campaign, cid)
        assert await store.claim(db, called["id"], agent_id="1001")
        await store.dialing(db, campaign, called["id"], "out-1", "1001")  # 1001 dialed it
        assert await store.claim(db, offered["id"], agent_id="1001")  # shown to 1001, not dialed yet
    await client.post("/api/session/logout", headers=h)
    h = {"X-CSRF-Token": await login(client, "1001")}  # an agent

    for contact in (called, offered):
        resp = await client.get(f"/api/campaign-contacts/{contact['id']}")
        assert resp.status == 200 and (await resp.json())["script"] == "您好，这里是95598回访"
    resp = await client.get(f"/api/campaign-contacts/{never['id']}")
    body = await resp.json()
    assert resp.status == 403 and body["error_id"] == "campaign.contact_not_yours"
    assert "13800000003" not in await resp.text()
    assert body["message"].startswith("该外呼联系人未分配给您")

    url = "/api/campaign-contacts/{}/disposition"
    resp = await client.post(url.format(never["id"]), json={"code": "refused"}, headers=h)
    assert resp.status == 403 and (await resp.json())["error_id"] == "campaign.contact_not_yours"
    resp = await client.post(url.format(offered["id"]), json={"code": "satisfied"}, headers=h)
    assert resp.status == 409 and (await resp.json())["error_id"] == "campaign.not_dialed"
    resp = await client.post(
        url.format(called["id"]), json={"code": "satisfied", "notes": "很满意"}, headers=h
    )
    assert resp.status == 200, await resp.text()

    # the team leader who runs the campaign reads any contact, and corrects a called one's result
    await client.post("/api/session/logout", headers=h)
    h = {"X-CSRF-Token": await login(client, "3001")}
    assert (await client.get(f"/api/campaign-contacts/{never['id']}")).status == 200
    resp = await client.post(url.format(called["id"]), json={"code": "wrong_number"}, headers=h)
    assert resp.status == 200, await resp.text()

    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["progress"]["dispositions"] == {"wrong_number": 1}
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(
            select(AuditLog).where(AuditLog.action == "campaign.disposition").order_by(AuditLog.id)
        )
        assert [(r.actor, r.entity, r.entity_id, r.after["disposition"]) for r in rows] == [
            ("1001", "campaign_contact", str(called["id"]), "satisfied"),
            ("3001", "campaign_contact", str(called["id"]), "wrong_number"),
        ]
        untouched = await db.get(CampaignContact, offered["id"])
        assert (untouched.disposition, untouched.state) == ("", "dialing")


async def test_pacing_has_upper_bounds_told_in_words(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h, mode="progressive")
    for change, error_id, words in (
        ({"calls_per_second": 1000}, "campaign.bad_calls_per_second", "每秒外呼数须在 0.1 到 10 之间"),
        ({"max_in_flight": 100000}, "campaign.bad_max_in_flight", "同时在呼数须在 1 到 100 之间"),
        ({"max_attempts": 1000}, "campaign.bad_max_attempts", "每个联系人最多拨打 1 到 10 次"),
    ):
        resp = await client.patch(f"/api/campaigns/{cid}", json=change, headers=h)
        body = await resp.json()
        assert (resp.status, body["error_id"], body["message"]) == (422, error_id, words)
        created = await client.post(
            "/api/campaigns", json={"name": "x", "queue": "service", **change}, headers=h
        )
        assert created.status == 422 and (await created.json())["error_id"] == error_id
    edge = {"calls_per_second": 10, "max_in_flight": 100, "max_attempts": 10}
    resp = await client.patch(f"/api/campaigns/{cid}", json=edge, headers=h)
    assert resp.status == 200, await resp.text()
    view = await resp.json()
    assert {k: view[k] for k in edge} == edge


async def test_the_import_commits_only_the_file_and_mapping_that_were_checked(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    checked_list = "电话\n13800000001\n95598\n"
    swapped = "电话\n13800000002\n13800000003\n13800000004\n"
    report = await (
        await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, checked_list, "0"), headers=h)
    ).json()
    assert (report["accepted"], report["rejected"]) == (1, 1)

    # another file chosen after 检查, sent with the report's token: nothing added
    resp = await client.post(
        f"/api/campaigns/{cid}/import", data=_list(cid, swapped, "1", report["checked"]), headers=h
    )
    body = await resp.json()
    assert resp.status == 409 and body["error_id"] == "campaign.import_not_checked", body
    assert body["message"] == "名单文件或列对应在检查后已更改：请重新检查，确认报告后再导入"
    for token in ("", "0" * 64):  # never checked
        resp = await client.post(
            f"/api/campaigns/{cid}/import", data=_list(cid, checked_list, "1", token), headers=h
        )
        assert resp.status == 409 and (await resp.json())["error_id"] == "campaign.import_not_checked"
    remapped = FormData()  # the checked file, another column mapping
    remapped.add_field("file", checked_list.encode(), filename="名单.csv", content_type="text/csv")
    remapped.add_field("mapping", '{"number": "电话", "name": "电话"}')
    remapped.add_field("commit", "1")
    remapped.add_field("checked", report["checked"])
    resp = await client.post(f"/api/campaigns/{cid}/import", data=remapped, headers=h)
    assert resp.status == 409 and (await resp.json())["error_id"] == "campaign.import_not_checked"
    assert (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"] == []

    # the file the report was about: added as the report said
    resp = await client.post(
        f"/api/campaigns/{cid}/import", data=_list(cid, checked_list, "1", report["checked"]), headers=h
    )
    assert resp.status == 200 and (await resp.json())["accepted"] == 1
    numbers = [c["number"] for c in (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]]
    assert numbers == ["13800000001"]
