"""Screen-pop lookup, the quick new-customer form, the inbox of async events, knowledge and notices."""

from __future__ import annotations

import datetime as dt
import json

from cti.call_events import CallOffered
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from ticketing import knowledge
from ticketing.intake import Intake, assign_to
from ticketing.models import Site, User


async def test_an_unknown_caller_pops_bare_then_a_new_customer_is_found_by_number(client, world):
    token = await login(client, "1001")
    empty = await (await client.get("/api/customers/lookup", params={"number": "+86 139-1234-5678"})).json()
    assert empty["matches"] == []
    resp = await client.post(
        "/api/customers",
        json={"account_no": "3300001", "name": "赵六", "address": "海淀区 2 号", "phone": "13912345678"},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 201, await resp.text()
    again = await (await client.get("/api/customers/lookup", params={"number": "013912345678"})).json()
    assert [m["name"] for m in again["matches"]] == ["赵六"]
    dup = await client.post(
        "/api/customers", json={"account_no": "3300001", "name": "重复"}, headers={"X-CSRF-Token": token}
    )
    assert dup.status == 422 and (await dup.json())["details"]["problems"] == {
        "account_no": "field_duplicate"
    }

    async with client.ws_connect("/ws") as ws:
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        await world.bus.publish(
            CallOffered(call_id="c1", agent_id="1001", caller="13912345678", queue="fault")
        )

        pop = await _next(ws, "screen_pop")
        assert pop["pop"]["matches"][0]["account_no"] == "3300001"
        assert pop["event"]["queue"] == "fault"


async def test_an_sms_in_the_inbox_becomes_a_prefilled_order(client, world):
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", "sms-1", sender="13800138000", content="我家停电了")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        event_id = event.id
    token = await login(client, "1001")
    inbox = await (await client.get("/api/inbox")).json()
    assert inbox["unhandled"] == 1 and inbox["items"][0]["content"] == "我家停电了"
    resp = await client.post(
        f"/api/inbox/{event_id}/order",
        json={"workflow": "consult", "form": {"答复内容": "已转抢修"}},
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    assert next(f for f in order["form"] if f["name"] == "咨询内容")["value"] == "我家停电了"
    assert any(e["kind"] == "sms" for e in order["timeline"])
    assert (await (await client.get("/api/inbox")).json())["unhandled"] == 0


async def test_an_event_links_to_an_existing_order(client, world):
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "voicemail", "vm-1", sender="13800138000", content="")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        event_id = event.id
    token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={"workflow": "consult", "form": {"咨询内容": "x", "答复内容": "y"}},
            headers={"X-CSRF-Token": token},
        )
    ).json()
    async with client.ws_connect("/ws") as ws:
        first = json.loads((await ws.receive()).data)
        assert first["type"] == "snapshot" and first["work"]["inbox"] == 1
        resp = await client.post(
            f"/api/inbox/{event_id}/link", json={"order": order["number"]}, headers={"X-CSRF-Token": token}
        )
        assert resp.status == 200
        assert any(e["kind"] == "voicemail" for e in (await resp.json())["timeline"])

        # the state bar's and the menu's badges follow at once
        assert (await _next(ws, "work"))["work"]["inbox"] == 0
    missing = await client.post(f"/api/inbox/{event_id}/link", json={}, headers={"X-CSRF-Token": token})
    assert missing.status == 400


async def test_knowledge_and_outage_notices_are_searchable(client, world):
    async with world.services.sessionmaker.begin() as db:
        cat = await knowledge.add_category(db, "测试分类")
        await knowledge.add_article(
            db, "峰谷电价执行时间", "峰时段 8:00-22:00", category=cat, tags="电价 测试专用"
        )
        await knowledge.add_article(db, "新装用电办理流程", "带身份证到营业厅", tags="新装")
        admin = await db.get(User, world.people["9001"])
        site = await db.scalar(__import__("sqlalchemy").select(Site).where(Site.code == "HD"))
        now = dt.datetime.now(dt.UTC)
        await knowledge.publish_notice(
            db,
            admin,
            site_id=site.id,
            area="中关村大街",
            starts_at=now,
            ends_at=now + dt.timedelta(hours=4),
            reason="线路检修",
        )
    await login(client, "2001")  # a handler may read the knowledge base too
    found = await (await client.get("/api/knowledge", params={"q": "测试专用"})).json()
    assert [a["title"] for a in found["items"]] == ["峰谷电价执行时间"]
    several = await (await client.get("/api/knowledge", params={"q": "电价"})).json()
    assert "峰谷电价执行时间" in [a["title"] for a in several["items"]]
    assert "测试分类" in [c["name"] for c in found["tree"]]
    browsed = await (await client.get("/api/knowledge", params={"category": str(cat.id)})).json()
    assert len(browsed["items"]) == 1
    notices = await (await client.get("/api/notices", params={"site": "HD"})).json()
    assert [n["area"] for n in notices["items"]] == ["中关村大街"]
    assert (await (await client.get("/api/notices", params={"site": "HQX"})).json())["items"] == []
    bad = await client.get("/api/notices", params={"from": "yesterday"})
    assert bad.status == 400


def test_the_ivr_path_is_named_by_the_menus_and_where_each_choice_led():
    from agent_ui.work import ivr_steps
    from ivr import parse_flows

    flows = parse_flows(
        {
            "flows": {
                "main": {
                    "start": "top",
                    "menus": {
                        "top": {
                            "title": "主菜单",
                            "prompts": [],
                            "choices": {"1": "outage", "5": "queue:complaint", "6": "menu:faults"},
                            "on_timeout": "queue:service",
                        },
                        "faults": {"prompts": [], "choices": {"1": "queue:fault"}},
                    },
                }
            }
        }
    )
    path = [
        "top:1",
        "outage:2",
        "top:6",
        "faults:1",
        "top:timeout",
        "overflow:fault",
        "blind:agent:1002",
        "odd",
    ]
    assert ivr_steps(flows, path) == [
        {"kind": "menu", "menu": "主菜单", "key": "1", "to": "outage", "target": ""},
        {"kind": "outage", "value": "2"},
        {
            "kind": "menu",
            "menu": "主菜单",
            "key": "6",
            "to": "menu",
            "target": "faults",
        },  # untitled: its name
        {"kind": "menu", "menu": "faults", "key": "1", "to": "queue", "target": "fault"},
        {"kind": "menu", "menu": "主菜单", "key": "timeout", "to": "queue", "target": "service"},
        {"kind": "overflow", "value": "fault"},
        {"kind": "blind", "to": "agent", "target": "1002"},
        {"kind": "raw", "value": "odd"},
    ]
    # without the flows (a web process that could not read them) a menu choice stays as it was
    assert ivr_steps(None, ["top:0"]) == [{"kind": "raw", "value": "top:0"}]


async def test_the_pop_and_the_snapshot_name_the_callers_ivr_choices(client, world, monkeypatch):
    from hotline.runtime import REPO
    from ivr import load_flows

    monkeypatch.setattr(world.services, "ivr", load_flows(REPO / "deploy" / "ivr.yaml"))
    expected = [
        {"kind": "menu", "menu": "主菜单", "key": "6", "to": "menu", "target": "故障报修菜单"},
        {"kind": "menu", "menu": "故障报修菜单", "key": "1", "to": "queue", "target": "fault"},
    ]

    class Bridge:
        connected = True

        def agent(self, agent_id):
            return None

        def calls(self):
            return [
                {
                    "call_id": "c2",
                    "agent_id": "1001",
                    "caller": "13912345678",
                    "ivr_path": ["top:6", "faults:1"],
                }
            ]

    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        await world.bus.publish(
            CallOffered(
                call_id="c1",
                agent_id="1001",
                caller="13912345678",
                queue="fault",
                ivr_path=("top:6", "faults:1"),
            )
        )

        pop = await _next(ws, "screen_pop")
        assert pop["event"]["ivr_path"] == ["top:6", "faults:1"]  # the path itself stays
        assert pop["event"]["ivr_steps"] == expected
    monkeypatch.setattr(world.services, "bridge", Bridge())
    async with client.ws_connect("/ws") as ws:
        snapshot = json.loads((await ws.receive()).data)
        assert snapshot["type"] == "snapshot"
        assert [c["ivr_steps"] for c in snapshot["calls"]] == [expected]
