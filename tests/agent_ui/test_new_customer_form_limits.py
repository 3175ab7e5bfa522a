"""The screen-pop's 新建客户 (POST /api/customers) refuses an over-long 户名 or 地址, a 户号 that is
too long or not digits and a caller number that is no phone number, naming each field in words,
and stores nothing; a 户号 typed in full-width digits is stored as ASCII digits."""

from __future__ import annotations

from tests.agent_ui.conftest import login


async def _new(client, token: str, **body):
    resp = await client.post("/api/customers", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_bad_new_customer_input_is_refused_in_words(client):
    token = await login(client, "1001")
    status, body = await _new(
        client, token, account_no="9" * 300, name="名" * 10_000, address="址" * 10_000, phone="13600136001"
    )
    assert (status, body["error_id"]) == (422, "invalid_fields"), body
    assert body["details"]["problems"] == {
        "account_no": "field_too_long",
        "name": "field_too_long",
        "address": "field_too_long",
    }
    assert body["message"] == "表单有误：户号（过长）、户名（过长）、地址（过长）"

    status, body = await _new(client, token, account_no="99-00", name="n", phone="call me")
    assert body["details"]["problems"] == {"account_no": "field_bad_account_no", "phone": "field_bad_phone"}
    assert body["message"] == "表单有误：户号（只能是数字）、电话（电话号码有误）"

    found = await (await client.get("/api/customers/lookup", params={"number": "13600136001"})).json()
    assert found["matches"] == []


async def test_a_full_width_account_no_is_stored_as_digits_and_is_then_taken(client):
    token = await login(client, "1001")
    status, created = await _new(client, token, account_no="９９００１", name="钱七", phone="13600136002")
    assert status == 201, created
    assert created["account_no"] == "99001"
    status, body = await _new(client, token, account_no="99001", name="重复")
    assert (status, body["details"]["problems"]) == (422, {"account_no": "field_duplicate"})
    assert body["message"] == "表单有误：户号（已存在）"
