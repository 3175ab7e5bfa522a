"""账号管理's 电话 and a 远程处理人's sites (QA report, finding 6).

A user's 电话 is where an overrun's SMS alert goes: it is held to the product's one rule for a
contact number (``cti.phones.checked``: 12345 is a service number, 1380013800 a mobile a digit
short), named in its words with the form's other problems, on create and on edit, and kept as the
gateway dials it. A 远程处理人 with neither a 所属单位 nor a 数据权限 could never see or take an
order: refused, naming 所属单位. The refusal names each field by the form's own label (姓名, not
名称). Before, any text was taken as a phone, the siteless handler was stored, and 名称（必填）."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login
from ticketing.models import Site, User

TEXTS = Texts()
SERVICE_NUMBER = TEXTS.get("zh-CN", "problem.field_phone_service")
HANDLER_WITHOUT_SITE = "远程处理人须有所属单位或数据权限，否则看不到任何工单"


async def _send(client, path, token, body, method="POST"):
    resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _site(world, code: str) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.id).where(Site.code == code))


async def _phone_of(world, staff_no: str) -> str | None:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(User.phone).where(User.staff_no == staff_no))


async def test_a_new_users_phone_is_a_contact_number_named_with_the_forms_other_problems(client, world):
    admin = await login(client, "9001")
    status, body = await _send(
        client, "/api/users", admin, {"staff_no": "1008", "name": "", "roles": ["handler"], "phone": "12345"}
    )
    assert status == 422 and body["error_id"] == "invalid_fields"
    assert body["details"]["problems"] == {
        "name": "field_required",
        "phone": "field_phone_service",
        "site_id": "field_handler_without_site",
    }
    assert body["message"] == (
        f"表单有误：姓名（必填）、电话（{SERVICE_NUMBER}）、所属单位（{HANDLER_WITHOUT_SITE}）"
    )
    status, body = await _send(
        client,
        "/api/users",
        admin,
        {"staff_no": "1008", "name": "测试二", "roles": ["agent"], "phone": "1380013800"},
    )
    assert status == 422 and body["details"]["problems"] == {"phone": "field_phone_mobile_digits"}
    assert body["message"] == "表单有误：电话（手机号码应为 11 位）"
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(User.id).where(User.staff_no == "1008")) is None

    # typed with a Chinese input method, or with the country code and dashes: kept as dialled
    status, body = await _send(
        client,
        "/api/users",
        admin,
        {"staff_no": "1008", "name": "测试二", "roles": ["agent"], "phone": "＋86 138-0013-8000"},
    )
    assert status == 201, body
    assert body["user"]["phone"] == "13800138000" == await _phone_of(world, "1008")


async def test_an_edited_phone_is_held_to_the_same_rule(client, world):
    admin = await login(client, "9001")
    before = await _phone_of(world, "1001")
    status, body = await _send(client, "/api/users/1001", admin, {"phone": "12345"}, method="PATCH")
    assert status == 422 and body["details"]["problems"] == {"phone": "field_phone_service"}
    assert body["message"] == f"表单有误：电话（{SERVICE_NUMBER}）"
    assert await _phone_of(world, "1001") == before
    status, body = await _send(client, "/api/users/1001", admin, {"name": ""}, method="PATCH")
    assert status == 422 and body["message"] == "表单有误：姓名（必填）"
    status, body = await _send(client, "/api/users/1001", admin, {"phone": "020-8888 6666"}, method="PATCH")
    assert status == 200 and body["phone"] == "02088886666"
    status, body = await _send(client, "/api/users/1001", admin, {"phone": ""}, method="PATCH")
    assert status == 200 and not body["phone"]  # no phone: no SMS alerts, not a wrong one


async def test_a_handler_needs_a_site_or_a_data_scope(client, world):
    admin = await login(client, "9001")
    bureau = await _site(world, "HD")
    handler = {"name": "远程二", "roles": ["handler"], "phone": "13800138001"}
    status, body = await _send(client, "/api/users", admin, {"staff_no": "1009", **handler})
    assert status == 422 and body["details"]["problems"] == {"site_id": "field_handler_without_site"}
    assert body["message"] == f"表单有误：所属单位（{HANDLER_WITHOUT_SITE}）"
    # a data scope without a home site is enough: the orders of those sites are theirs to see
    status, body = await _send(
        client, "/api/users", admin, {"staff_no": "1009", **handler, "scope_site_ids": [bureau]}
    )
    assert status == 201, body

    # an edit that would leave a handler (2001, of 海淀) with no site at all is refused
    status, body = await _send(
        client, "/api/users/2001", admin, {"site_id": None, "scope_site_ids": []}, method="PATCH"
    )
    assert status == 422 and body["details"]["problems"] == {"site_id": "field_handler_without_site"}
    # as is making a siteless account a handler; an agent without a site stays as it was
    status, body = await _send(
        client, "/api/users", admin, {"staff_no": "1010", "name": "坐席十", "roles": ["agent"]}
    )
    assert status == 201, body
    status, body = await _send(
        client, "/api/users/1010", admin, {"roles": ["agent", "handler"]}, method="PATCH"
    )
    assert status == 422 and body["details"]["problems"] == {"site_id": "field_handler_without_site"}
    status, body = await _send(
        client, "/api/users/1010", admin, {"roles": ["agent", "handler"], "site_id": bureau}, method="PATCH"
    )
    assert status == 200 and body["scope_site_ids"] == [bureau]
    # disabling a handler is not held to it: it needs no sites
    status, body = await _send(
        client,
        "/api/users/1010",
        admin,
        {"site_id": None, "scope_site_ids": [], "active": False},
        method="PATCH",
    )
    assert status == 200 and body["active"] is False
