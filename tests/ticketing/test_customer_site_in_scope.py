"""A new customer's 所属单位 is within its creator's data scope: an agent of 广州 added a customer
under 深圳's site through POST /api/customers, which the console's picker never offers them. It is
refused ``field_out_of_scope`` (超出您的数据范围), as orders keep to the same scope
(``users.covers_site``); HQ, admins and the system (no actor) add one anywhere."""

from __future__ import annotations

import pytest

from ticketing import FieldErrors
from ticketing.customers import create_customer
from ticketing.users import create_user


async def test_a_new_customers_site_is_one_its_creator_sees(session, seeded):
    sites, u = seeded.sites, seeded.users
    gz_agent = await create_user(
        session, "1101", "广州坐席", "secret123", roles=["agent"], site_id=sites["440100"].id
    )
    with pytest.raises(FieldErrors) as refused:
        await create_customer(session, "9900000501", "深圳客户", site_id=sites["440300"].id, actor=gz_agent)
    assert refused.value.problems == {"site_id": "field_out_of_scope"}

    # 广州 itself and its 供电所 are theirs
    for n, code in enumerate(("440100", "440106")):
        customer = await create_customer(
            session, f"990000051{n}", "广州客户", site_id=sites[code].id, actor=gz_agent
        )
        assert customer.site_id == sites[code].id
    # HQ's agent, the admin and the system add one at any bureau
    for n, actor in enumerate((u["1001"], u["9001"], None)):
        customer = await create_customer(
            session, f"990000052{n}", "深圳客户", site_id=sites["440300"].id, actor=actor
        )
        assert customer.site_id == sites["440300"].id
