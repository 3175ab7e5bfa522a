"""发传真 (QA-3): the panel's 收件人 started with the caller's number, a mobile (13800138000), which
a send refuses (fax_to_mobile). The number offered (GET /api/orders/{key}/fax ``to``) is one that
takes a fax: the customer record's fax number, else the order's 联系电话 when it is a landline,
else the record's landline; never a mobile, and "" when there is none. A customer fax template
sent by itself goes to the same number (not the customer's e-mail)."""

from __future__ import annotations

import pytest

from tests.agent_ui.conftest import login
from ticketing.models import Customer, CustomerPhone, WorkOrder
from ticketing.notify import customer_address


async def _customer(world, *phones: tuple[str, str]) -> int:
    async with world.services.sessionmaker.begin() as db:
        customer = Customer(account_no="1000000001", name="张三")
        customer.phones = [CustomerPhone(number=n, raw=n, kind=k) for n, k in phones]
        customer.contacts = []
        db.add(customer)
        await db.flush()
        return customer.id


async def _offered(client, headers, caller: str, customer_id: int | None = None) -> str:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False,
              "caller_number": caller} | ({"customer_id": customer_id} if customer_id else {}),
        headers=headers,
    )  # fmt: skip
    order = await resp.json()
    assert resp.status == 201, order
    choices = await client.get(f"/api/orders/{order['id']}/fax")
    assert choices.status == 200
    return (await choices.json())["to"]


@pytest.fixture
async def headers(client):
    return {"X-CSRF-Token": await login(client, "1001")}


async def test_a_mobile_caller_is_not_offered(client, headers):
    assert await _offered(client, headers, "13800138000") == ""


async def test_a_landline_caller_is_offered(client, headers):
    assert await _offered(client, headers, "010-88886666") == "01088886666"


async def test_the_customers_fax_number_comes_first(client, world, headers):
    customer = await _customer(
        world, ("13900001111", "mobile"), ("01066667777", "landline"), ("01055556666", "fax")
    )
    assert await _offered(client, headers, "01088886666", customer) == "01055556666"


async def test_a_mobile_caller_with_a_landline_on_record_is_offered_the_landline(client, world, headers):
    customer = await _customer(world, ("13900001111", "mobile"), ("01066667777", "landline"))
    assert await _offered(client, headers, "13800138000", customer) == "01066667777"


async def test_a_mobile_only_customer_is_offered_nothing(client, world, headers):
    customer = await _customer(world, ("13900001111", "mobile"))
    assert await _offered(client, headers, "13800138000", customer) == ""


async def test_a_customer_fax_template_goes_to_a_fax_number_not_an_email(world):
    customer = await _customer(world, ("01066667777", "landline"))
    async with world.services.sessionmaker() as db:
        order = WorkOrder(customer_id=customer, caller_number="13800138000")
        assert await customer_address(db, order, "fax") == "01066667777"
        assert await customer_address(db, WorkOrder(caller_number="13800138000"), "fax") == ""
