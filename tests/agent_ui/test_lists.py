"""Order lists: mine, search with filters, sorting and paging on the server, the state bar's counts."""

from __future__ import annotations

from tests.agent_ui.conftest import login

CONSULT = {"咨询内容": "电费怎么交", "答复内容": "营业厅或网上国网"}
FAULT = {"故障地址": "海淀区 1 号", "所属供电局": "HD"}


async def _create(client, token, workflow, form, submit=True, caller=""):
    resp = await client.post(
        "/api/orders",
        json={"workflow": workflow, "form": form, "submit": submit, "caller_number": caller},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_search_pages_and_sorts_on_the_server(client):
    token = await login(client, "1001")
    for i in range(23):
        await _create(client, token, "consult", CONSULT, caller=f"1380013{i:04d}")
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
    token = await login(client, "1001")
    kept = await _create(client, token, "consult", CONSULT, submit=False)  # 保存,现在处理: still mine
    await _create(client, token, "consult", CONSULT, submit=True)  # closed at once
    routed = await _create(client, token, "fault_repair", FAULT)  # the handler's now, but I received it
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

    token = await login(client, "1001")
    await _create(client, token, "consult", CONSULT, submit=False)
    async with client.ws_connect("/ws") as ws:
        snap = json.loads((await ws.receive()).data)
        assert snap["work"] == {"mine": 1, "to_reply": 0, "overdue": 0, "inbox": 0}
