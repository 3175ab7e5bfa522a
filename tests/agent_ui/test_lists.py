"""Order lists: mine, search with filters, sorting and paging on the server, the state bar's counts."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, act, login, new_order, sign_in
from tests.agent_ui.test_orders import repair_forms

CONSULT = {"咨询内容": "电费怎么交", "答复内容": "营业厅或网上国网"}
FAULT = {"故障地址": "海淀区 1 号", "所属供电局": "HD"}


async def test_search_pages_and_sorts_on_the_server(client):
    agent = await Session.signed_in(client, "1001")
    for i in range(23):
        await new_order(agent, "consult", CONSULT, caller_number=f"1380013{i:04d}")
    first = await (await client.get("/api/orders", params={"list": "search", "size": "10"})).json()
    assert first["total"] == 23 and len(first["items"]) == 10
    numbers = [o["number"] for o in first["items"]]
    assert numbers == sorted(numbers, reverse=True)
    last = await (
        await client.get("/api/orders", params={"list": "search", "size": "10", "page": "3"})
    ).json()
    assert len(last["items"]) == 3
    asc = await (await client.get("/api/orders", params={"sort": "number", "dir": "asc", "size": "5"})).json()
    assert [o["number"] for o in asc["items"]] == sorted(o["number"] for o in asc["items"])
    one = await (await client.get("/api/orders", params={"caller": "13800130007"})).json()
    assert one["total"] == 1 and one["items"][0]["caller_number"] == "13800130007"
    bad = await client.get("/api/orders", params={"sort": "password"})
    assert bad.status == 400 and (await bad.json())["error_id"] == "request.invalid"


async def test_my_open_work_holds_what_waits_for_me(client, aiohttp_client):
    agent = await Session.signed_in(client, "1001")
    kept = await new_order(agent, "consult", CONSULT, submit=False)  # 保存,现在处理: still mine
    await new_order(agent, "consult", CONSULT, submit=True)  # closed at once
    routed = await new_order(agent, "fault_repair", FAULT)  # the handler's now, but I received it
    mine = await (await client.get("/api/orders", params={"list": "mine"})).json()
    assert {o["number"] for o in mine["items"]} == {kept["number"], routed["number"]}

    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    theirs = await (await handler.get("/api/orders", params={"list": "mine"})).json()
    assert [o["number"] for o in theirs["items"]] == [routed["number"]]
    # the handler's bureau scope does not reach the HQ consult orders
    everything = await (await handler.get("/api/orders", params={"list": "search"})).json()
    assert everything["total"] == 1


async def test_the_state_bar_counts_come_with_the_snapshot(client):
    import json

    agent = await Session.signed_in(client, "1001")
    await new_order(agent, "consult", CONSULT, submit=False)
    async with client.ws_connect("/ws") as ws:
        snap = json.loads((await ws.receive()).data)
        assert snap["work"] == {"mine": 1, "to_reply": 0, "overdue": 0, "arrival_overdue": 0, "inbox": 0}


async def _route_to_onsite(agent: Session, handler: Session) -> dict:
    """A fault order taken to the crew-arrival step (到达现场) by the bureau's handler."""
    order = await new_order(agent, "fault_repair", FAULT)
    for form in repair_forms()[:2]:  # 接收确认, 派工
        await act(handler, order, body={"form": form})
    _, view = await handler.call("GET", f"/api/orders/{order['id']}")
    assert view["node"]["id"] == "onsite"
    return view


async def test_crew_arrival_overdue_lists_only_late_arrivals_in_scope(client, aiohttp_client, world):
    import datetime as dt

    from sqlalchemy import select, update

    from ticketing import users
    from ticketing.models import Site, WorkOrder
    from ticketing.sites import create_site

    agent = await Session.signed_in(client, "1001")
    handler = await sign_in(aiohttp_client, client, "2001")
    late = await _route_to_onsite(agent, handler)
    on_time = await _route_to_onsite(agent, handler)
    unacked = await new_order(agent, "fault_repair", FAULT)  # overdue, but at 接收确认
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    async with world.services.sessionmaker.begin() as db:
        await db.execute(
            update(WorkOrder).where(WorkOrder.id.in_([late["id"], unacked["id"]])).values(due_at=past)
        )
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        cy = await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
        await users.create_user(
            db, "2002", "赵远方", "secret123", roles=["handler"], must_change_password=False, site_id=cy.id
        )

    arrival = await (await client.get("/api/orders", params={"list": "arrival_overdue"})).json()
    assert [o["number"] for o in arrival["items"]] == [late["number"]]
    assert arrival["items"][0]["overdue"] is True
    overdue = await (await client.get("/api/orders", params={"list": "overdue"})).json()
    assert {o["number"] for o in overdue["items"]} == {late["number"], unacked["number"]}
    assert on_time["number"] not in {o["number"] for o in overdue["items"]}
    # the bureau's handler sees it too; another bureau does not
    theirs = await (await handler.client.get("/api/orders", params={"list": "arrival_overdue"})).json()
    assert theirs["total"] == 1
    far = await aiohttp_client(client.server)
    await login(far, "2002")
    assert (await (await far.get("/api/orders", params={"list": "arrival_overdue"})).json())["total"] == 0
    async with client.ws_connect("/ws") as ws:
        import json

        snap = json.loads((await ws.receive()).data)
        assert snap["work"]["arrival_overdue"] == 1 and snap["work"]["overdue"] == 2
    page = await client.get("/lists/arrival_overdue")
    assert page.status == 200 and "到达现场超期" in await page.text()


async def test_everyone_who_reads_lists_can_filter_them_by_category(client, aiohttp_client, world):
    from ticketing.workflow import store

    await login(client, "1001")
    intake = await (await client.get("/api/intake")).json()
    # Intake offers 故障报修 and keeps the one picked (as it does 用户信息查询 on 信息咨询's), not
    # 协调单 on the fault workflow (派工超时转协调单 makes it): lists have each, a workflow's own
    # category named as the order's page names it, by its workflow, another by its own name.
    assert [c["workflow"] for c in intake["categories"]].count("fault_repair") == 1
    offered = [
        ("query", "用户信息查询"),
        ("consult", "信息咨询"),
        ("fault", "故障报修"),
        ("service", "用电业务受理"),
        ("complaint", "投诉举报建议"),
        ("coordination", "协调单"),
        ("aftersales", "售后报修"),
    ]
    assert [c for c, _ in offered if c != "coordination"] == [c["code"] for c in intake["categories"]]
    for staff_no in ("2001", "9001"):  # a bureau's handler and an admin take no calls: no intake
        reader = await aiohttp_client(client.server)
        await login(reader, staff_no)
        assert (await reader.get("/api/intake")).status == 403
        listed = await (await reader.get("/api/categories")).json()
        assert [(c["category"], c["name"]) for c in listed["categories"]] == offered, staff_no

    # A workflow taken out of use takes no new orders, but its orders can still be found.
    async with world.services.sessionmaker.begin() as db:
        await store.disable(db, "consult", 1, even_if_offered=True)
    after = await (await client.get("/api/intake")).json()
    assert "consult" not in {c["category"] for c in after["categories"]}
    listed = await (await client.get("/api/categories")).json()
    assert [(c["category"], c["name"]) for c in listed["categories"]] == offered


async def test_the_menu_offers_only_the_pages_the_user_may_open(client, aiohttp_client):
    pages = ("/", "/inbox", "/wallboard", "/reports", "/campaigns", "/admin/contractors", "/lists/mine")
    expected = {
        "1001": {"/", "/inbox", "/lists/mine"},
        "2001": {"/inbox", "/lists/mine"},
        "3001": {"/", "/inbox", "/lists/mine", "/wallboard", "/reports", "/campaigns"},
        "9001": {"/lists/mine", "/wallboard", "/reports", "/campaigns", "/admin/contractors"},
    }
    for staff_no, shown in expected.items():
        user = await aiohttp_client(client.server)
        await login(user, staff_no)
        html = await (await user.get("/knowledge")).text()
        nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
        icon = html.split('<link rel="icon" href="', 1)[1].split('"', 1)[0]  # no 404 for /favicon.ico
        assert (await user.get(icon)).content_type == "image/svg+xml"
        offered = {path for path in pages if f'<a href="{path}" ' in nav}
        assert offered == shown, staff_no
        for path in pages:  # and each link offered opens; each one left out would be refused
            status = (await user.get(path, allow_redirects=False)).status
            assert (status == 200) == (path in shown), (staff_no, path, status)


async def test_an_order_taken_without_a_title_is_listed_by_its_subcategory_and_description(client):
    agent = await Session.signed_in(client, "1001")
    consult = await new_order(
        agent,
        "consult",
        {
            **CONSULT,
            "咨询内容": "  电费怎么交，\n是否可以网上缴纳以及何时到账呢？请告诉我具体的办理流程和所需材料",
        },
    )
    fault = await new_order(agent, "fault_repair", FAULT, subcategory="fault_lv", submit=False)
    titled = await new_order(agent, "consult", CONSULT)
    listed = await (await client.get("/api/orders", params={"list": "search"})).json()
    titles = {o["number"]: o["title"] for o in listed["items"]}
    assert (
        titles[consult["number"]] == "电费怎么交， 是否可以网上缴纳以及何时到账呢？请告诉我具体的…"
    )  # the first words
    assert titles[fault["number"]] == "低压故障：海淀区 1 号"
    assert titles[titled["number"]] == "电费怎么交"


async def test_number_and_phone_searches_take_any_case_and_the_start_of_a_number(client):
    agent = await Session.signed_in(client, "1001")
    orders = [await new_order(agent, "consult", CONSULT, caller_number=f"1390013{i:04d}") for i in range(12)]
    number = orders[0]["number"]

    async def found(**params) -> set[str]:
        body = await (await client.get("/api/orders", params={"size": "50", **params})).json()
        return {o["number"] for o in body["items"]}

    assert await found(number=number.lower()) == {number}
    assert await found(number=number[:-1].lower()) >= {number, orders[1]["number"]}  # the same day's
    assert await found(number="nosuch") == set()
    assert await found(caller="139-0013-0011") == {orders[11]["number"]}
    assert await found(caller="1390013000") == {o["number"] for o in orders[:10]}


async def test_a_date_range_ending_before_it_starts_is_refused_in_words(client):
    await login(client, "1001")
    for path in ("/api/orders", "/api/notices"):
        resp = await client.get(path, params={"from": "2026-11-27", "to": "2026-11-20"})
        body = await resp.json()
        assert resp.status == 400 and body["error_id"] == "report.range_reversed", (path, body)
        assert body["message"] == "结束日期早于开始日期，请重新选择。"
    same_day = await client.get("/api/orders", params={"from": "2026-11-27", "to": "2026-11-27"})
    assert same_day.status == 200


async def test_a_phone_is_found_by_its_tail_and_a_number_without_its_letters_or_by_its_tail(client):
    """QA: 联系电话 0360 (the last digits a caller says) and a 工单号 typed without its ZX found
    nothing; now the tail of either, and the number after each pattern's letters, are found."""
    agent = await Session.signed_in(client, "1001")
    orders = [await new_order(agent, "consult", CONSULT, caller_number=f"1391234{i:04d}") for i in (360, 361)]
    number = orders[0]["number"]
    assert number.startswith("ZX")

    async def found(**params) -> set[str]:
        resp = await client.get("/api/orders", params={"size": "50", **params})
        assert resp.status == 200
        return {o["number"] for o in (await resp.json())["items"]}

    assert await found(caller="0360") == {number}
    assert await found(caller="12340361") == {orders[1]["number"]}
    assert await found(caller="036") == set()  # too short a tail: a start of a number only
    assert await found(number=number[2:]) == {number}  # 20261127…: without its letters
    assert await found(number=number[-4:]) == {number}  # its sequence's tail
    assert await found(number="99999") == set()
    # the tail is looked for among the orders received in the range asked for
    assert await found(caller="0360", **{"from": "2020-01-01", "to": "2020-01-31"}) == set()


async def test_the_status_filter_offers_the_workflows_statuses(client):
    """QA: 状态 was typed and had to match exactly (处理 found no 处理完毕): the page now picks
    from each category's workflow's statuses, or every workflow's with no category chosen."""
    await login(client, "1001")
    spec = await (await client.get("/api/categories")).json()
    by_category = {c["category"]: c["statuses"] for c in spec["categories"]}
    assert by_category["consult"][0] == "已受理" and "处理完毕" in by_category["consult"]
    assert by_category["consult"][-1] == "已作废"
    fault = next(c for c, each in by_category.items() if "已派工" in each)  # 故障报修's
    assert "已派工" not in by_category["consult"] and fault != "consult"
    assert set(spec["statuses"]) == {s for each in by_category.values() for s in each}
    assert len(spec["statuses"]) == len(set(spec["statuses"]))
