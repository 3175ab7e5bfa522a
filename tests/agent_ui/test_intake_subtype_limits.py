"""A subcategory's own text field (高压新装's 用电性质, 批量新装's 小区名称) reaches the intake form
with the default limit the server holds it to (200 characters): the page takes the limit the
server sends with each field and keeps no copy of the defaults (forms.js had its own, for these
fields only, as /api/intake sent them without max_length)."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_intake_field_limits import _by_name, _required_form


async def test_a_subcategorys_text_field_is_sent_with_the_limit_it_is_held_to(client):
    token = await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    service = next(c for c in spec["categories"] if c["workflow"] == "service_application")
    subcategories = {s["code"]: _by_name(s["fields"]) for s in service["subcategories"]}
    assert subcategories["svc_hv_new"]["用电性质"]["max_length"] == 200
    assert subcategories["svc_batch_new"]["小区名称"]["max_length"] == 200
    # a number field has no length limit
    assert "max_length" not in subcategories["svc_hv_new"]["受电变压器容量"]
    limit = subcategories["svc_hv_new"]["用电性质"]["max_length"]

    async def take(kind: str):
        form = {**_required_form(service), "受电变压器容量": 630, "用电性质": kind}
        return await client.post(
            "/api/orders",
            json={
                "workflow": "service_application",
                "subcategory": "svc_hv_new",
                "form": form,
                "submit": False,
            },
            headers={"X-CSRF-Token": token},
        )

    over = await take("x" * (limit + 1))
    assert over.status == 422 and (await over.json())["details"]["problems"] == {"用电性质": "field_too_long"}
    taken = await take("x" * limit)
    order = await taken.json()
    assert taken.status == 201, order
    assert _by_name(order["form"])["用电性质"]["max_length"] == limit  # the order page, the same
