"""QA: an order's 联系电话 took any 3–20 digits: 1380013800 (a mobile one digit short) and 110 went
in. It is now held to the numbering plan (cti.phones.checked) and refused on the field in words
(联系电话（手机号码应为 11 位）); landlines with and without their area code, +86 and abroad still go
in. The customer's phones, the DNC list and list imports: test_contact_number_rule.py."""

from __future__ import annotations

from tests.agent_ui.conftest import login

CONSULT = {"workflow": "consult", "form": {"咨询内容": "电价"}, "submit": False}


async def _order(client, h, number: str):
    return await client.post("/api/orders", json={**CONSULT, "caller_number": number}, headers=h)


async def test_the_orders_contact_number_is_refused_in_words_and_landlines_go_in(client):
    h = {"X-CSRF-Token": await login(client, "1001")}
    for number, problem, words in (
        ("1380013800", "field_phone_mobile_digits", "联系电话（手机号码应为 11 位）"),
        ("110", "field_phone_emergency", "联系电话（不能填 110、119、120 等紧急号码）"),
        ("95598", "field_phone_service", "联系电话（不能填 95598、10086 等服务号码或短号码）"),
        (
            "020-8888-666",
            "field_phone_landline_digits",
            "联系电话（固定电话应为区号加 7-8 位号码，如 020-88886666）",
        ),
    ):
        resp = await _order(client, h, number)
        refused = await resp.json()
        assert resp.status == 422, (number, refused)
        assert refused["details"]["problems"] == {"caller_number": problem}, number
        assert refused["message"] == f"表单有误：{words}", number
    for number, stored in (
        ("020-8888-6666", "02088886666"),  # with its area code
        ("0755 2888 6666", "075528886666"),  # a 3-digit area code, 8 digits
        ("88886666", "88886666"),  # a local landline without one (no default area code here)
        ("+86 138 0013 8000", "13800138000"),
        ("+852 9123 4567", "0085291234567"),  # abroad: kept, the trunk decides
    ):
        resp = await _order(client, h, number)
        order = await resp.json()
        assert resp.status == 201, (number, order)
        assert order["caller_number"] == stored, number


async def test_a_number_copied_from_a_stored_order_is_not_checked_again(world):
    """A follow-up or a visit-back's complaint copies its order's 联系电话: one stored before the
    rule (1380013800) still gets its follow-up; typed now, it is refused."""
    import pytest

    from ticketing.errors import FieldErrors
    from ticketing.models import User
    from ticketing.workflow.engine import create_order

    async with world.services.sessionmaker.begin() as db:
        agent = await db.get(User, world.people["1001"])
        made = {
            "workflow": "consult",
            "site_id": agent.site_id,
            "form": {"咨询内容": "电价"},
            "submit": False,
        }
        order = await create_order(db, agent, **made, caller_number="1380013800", caller_number_stored=True)
        assert order.caller_number == "1380013800"
        with pytest.raises(FieldErrors) as refused:
            await create_order(db, agent, **made, caller_number="1380013800")
        assert refused.value.problems == {"caller_number": "field_phone_mobile_digits"}
