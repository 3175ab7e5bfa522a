"""QA: a number typed or imported as a contact took any 3–20 digits: 1380013800 (a mobile one digit
short) and 110 went in as a customer's phone (an order's 联系电话: test_contact_number_order.py), onto the do-not-call list and
into a call list. Each is now held to the numbering plan (cti.phones.checked) and refused on its
field in words (手机号码应为 11 位, 不能填 110…); landlines with and without their area code still go
in; an import names each bad row by its line and keeps the good ones."""

from __future__ import annotations

from aiohttp import FormData

from campaigns import importer
from tests.agent_ui.conftest import login


async def test_a_customers_phone_is_refused_in_words_and_landlines_go_in(client):
    h = {"X-CSRF-Token": await login(client, "1001")}
    for n, (number, problem) in enumerate(
        (("1380013800", "field_phone_mobile_digits"), ("110", "field_phone_emergency"))
    ):
        body = {"account_no": f"440000{n}", "name": "赵六", "address": "海淀区 2 号", "phone": number}
        resp = await client.post("/api/customers", json=body, headers=h)
        refused = await resp.json()
        assert resp.status == 422, refused
        assert refused["details"]["problems"] == {"phone": problem}
        assert refused["message"].startswith("表单有误：电话（"), refused["message"]
    for n, number in enumerate(("020-8888-6666", "88886666")):
        body = {"account_no": f"440001{n}", "name": "钱七", "address": "海淀区 3 号", "phone": number}
        resp = await client.post("/api/customers", json=body, headers=h)
        assert resp.status == 201, await resp.text()


async def test_a_local_landline_takes_the_default_area_code_when_there_is_one(world):
    from ticketing.customers import create_customer

    async with world.services.sessionmaker.begin() as db:
        customer = await create_customer(
            db, "4400020", "孙八", phones=["8888 6666", "0755-2888-6666"], default_area_code="020"
        )
        assert [p.number for p in customer.phones] == ["02088886666", "075528886666"]


async def test_the_dnc_list_refuses_what_the_dialer_could_never_call(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    for number, words in (
        ("1380013800", "表单有误：电话（手机号码应为 11 位）"),
        ("110", "表单有误：电话（不能填 110、119、120 等紧急号码）"),
        ("4008208820", "表单有误：电话（400/800 号码从不外呼，无需加入免打扰名单）"),
    ):
        resp = await client.post("/api/campaigns-dnc", json={"number": number}, headers=h)
        refused = await resp.json()
        assert resp.status == 422, (number, refused)
        assert refused["error_id"] == "invalid_fields" and refused["message"] == words, number
    for number, listed in (("020-8888-6666", "02088886666"), ("88886666", "88886666")):
        resp = await client.post("/api/campaigns-dnc", json={"number": number}, headers=h)
        assert resp.status == 201, await resp.text()
        assert (await resp.json())["number"] == listed
    numbers = (await (await client.get("/api/campaigns-dnc")).json())["numbers"]
    assert numbers == ["02088886666", "88886666"]


async def test_an_import_names_each_bad_row_by_its_line_and_keeps_the_good_ones(client):
    h = {"X-CSRF-Token": await login(client, "3001")}
    resp = await client.post("/api/campaigns", json={"name": "回访", "queue": "service"}, headers=h)
    cid = (await resp.json())["id"]
    text = "电话\n13800000001\n1380013800\n110\n020-8888-6666\n88886666\n0755-888\n"
    mapping = {"number": "电话"}
    data = FormData()
    data.add_field("file", text.encode(), filename="名单.csv", content_type="text/csv")
    data.add_field("mapping", '{"number": "电话"}')
    data.add_field("commit", "1")
    data.add_field("checked", importer.upload_token(cid, text.encode(), mapping))
    report = await (await client.post(f"/api/campaigns/{cid}/import", data=data, headers=h)).json()
    assert report["committed"] and (report["accepted"], report["rejected"]) == (3, 3), report
    assert [(r["line"], r["reason"], r["text"]) for r in report["rejected_rows"]] == [
        (3, "mobile_digits", "手机号码应为 11 位"),
        (4, "emergency_number", "紧急号码（如 110、119、120、122）不能外呼"),
        (7, "landline_digits", "固定电话应为区号加 7-8 位号码，如 020-88886666"),
    ]
    contacts = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    assert sorted(c["number"] for c in contacts) == ["02088886666", "13800000001", "88886666"]
