"""The 抢修班组 form's refusals in its own words: each field named by its label on the form
(班组名称, 联系电话, 所属单位: ``field.crew.*``), not by the registers' shared 名称 / 电话, and
crew_in_use ends its sentence."""

from __future__ import annotations

from tests.agent_ui.conftest import (
    Session,
    new_crew,
    order_at_dispatch,
    site_ids,
)


async def test_refusals_name_the_fields_by_the_forms_labels(aiohttp_client, client, world):
    """The form says 班组名称 and 联系电话, so a refusal does too (not the registers' shared 名称,
    电话); 只能停用 ends its sentence."""
    admin = await Session.signed_in(client, "9001")
    sites = await site_ids(admin)
    crew = await new_crew(admin, "海淀抢修一班", sites["HD"], phones="13800001111")
    status, body = await admin.call(
        "POST", "/api/crews", {"name": "海淀抢修一班", "site_id": sites["HD"], "phones": "1380000111"}
    )
    assert status == 422 and body["details"]["problems"]["name"] == "field_duplicate"
    assert "班组名称（已存在）" in body["message"] and "联系电话（" in body["message"], body["message"]
    status, body = await admin.call("PATCH", f"/api/crews/{crew['id']}", {"site_id": None})
    assert status == 422 and "所属单位（必填）" in body["message"], body["message"]

    handler, order = await order_at_dispatch(aiohttp_client, client)
    status, _ = await handler.call(
        "POST", f"/api/orders/{order['id']}/save", {"form": {"抢修班组": crew["id"]}}
    )
    assert status == 200
    status, body = await admin.call("DELETE", f"/api/crews/{crew['id']}")
    assert (status, body["error_id"]) == (409, "crew_in_use")
    assert body["message"] == "已有工单派给“海淀抢修一班”，该班组只能停用，不能删除。"
