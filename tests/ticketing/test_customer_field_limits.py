"""A new customer's 户名, 地址 and 户号 are held to their columns' lengths, the 户号 to digits (full-width
ones read as ASCII) and each phone number to a phone number, as field errors naming each field: a
10,000-character 户名 was stored whole on SQLite, and PostgreSQL would have refused it with a
database error instead."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ticketing import FieldErrors
from ticketing.customers import create_customer
from ticketing.models import Customer


@pytest.mark.parametrize(
    ("account_no", "name", "address", "phones", "problems"),
    [
        ("9900000001", "名" * 101, "", [], {"name": "field_too_long"}),
        ("9900000002", "n", "址" * 256, [], {"address": "field_too_long"}),
        ("9" * 33, "n", "", [], {"account_no": "field_too_long"}),
        ("99-000 0003", "n", "", [], {"account_no": "field_bad_account_no"}),
        ("户号", "n", "", [], {"account_no": "field_bad_account_no"}),
        ("", "\u3000", "", [], {"account_no": "field_required", "name": "field_required"}),
        ("9900000004", "n", "", ["not a phone"], {"phone": "field_bad_phone"}),
        ("9900000005", "n", "", ["1" * 21], {"phone": "field_bad_phone"}),
        ("9900000007", "n", "", ["------".join("13600136001")], {"phone": "field_too_long"}),
        (
            "9" * 300,
            "名" * 10_000,
            "址" * 10_000,
            [],
            {"account_no": "field_too_long", "name": "field_too_long", "address": "field_too_long"},
        ),
    ],
)
async def test_bad_customer_input_is_refused_naming_each_field(
    session, account_no, name, address, phones, problems
):
    with pytest.raises(FieldErrors) as refused:
        await create_customer(session, account_no, name, address=address, phones=phones)
    assert refused.value.problems == problems
    assert await session.scalar(select(func.count(Customer.id))) == 0


async def test_the_longest_customer_is_stored_whole_and_a_full_width_account_no_as_digits(session):
    customer = await create_customer(
        session,
        "９９０００００００８" + "9" * 22,  # 32 digits, the first ten typed with a Chinese input method
        "名" * 100,
        address="址" * 255,
        phones=["＋８６ １３６-００１３-６００１"],
    )
    await session.commit()
    stored = await session.get(Customer, customer.id)
    assert stored.account_no == "9900000008" + "9" * 22
    assert (len(stored.name), len(stored.address)) == (100, 255)
    assert [p.number for p in customer.phones] == ["13600136001"]
    with pytest.raises(FieldErrors) as again:
        await create_customer(session, "9900000008" + "9" * 22, "重复")
    assert again.value.problems == {"account_no": "field_duplicate"}
