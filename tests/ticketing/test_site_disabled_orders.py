"""A 停用 bureau: no new order names it (``field_site_disabled``, at intake and when an order's
所属供电局 is corrected), while the orders it has go on to the end, their follow-ups included:
a dissatisfied visit-back opens its complaint at the same bureau."""

import pytest
from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from ticketing import FieldErrors, create_order, save_form
from ticketing.models import Site
from ticketing.site_admin import update_site
from ticketing.surveys import record_survey


async def test_a_disabled_bureau_finishes_its_orders_and_takes_no_new_one(session, seeded):
    u, gz, sz = seeded.users, seeded.sites["440100"], seeded.sites["440300"]
    order = await at_visit_step(session, seeded, at(24, 9))
    # a bureau is 停用 once its 供电所 are (ticketing.site_admin)
    for outlet in await session.scalars(select(Site).where(Site.parent_id == gz.id)):
        await update_site(session, u["9001"], outlet.id, {"enabled": False})
    await update_site(session, u["9001"], gz.id, {"enabled": False})

    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session,
            u["1001"],
            workflow="fault_repair",
            site_id=sz.id,
            form={"故障地址": "天河路2号", "所属供电局": "440100"},
        )
    assert refused.value.problems == {"所属供电局": "field_site_disabled"}
    kept = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=sz.id,
        form={"故障地址": "深南大道1号"},
        submit=False,
        now=at(24, 10),
    )
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, u["1001"], kept, {"所属供电局": "440100"})
    assert refused.value.problems == {"所属供电局": "field_site_disabled"}
    assert kept.site_id == sz.id

    await record_survey(session, u["2001"], order, UNHAPPY)
    (complaint,) = await complaints_of(session, order)
    assert complaint.site_id == gz.id and complaint.form["所属区域"] == "440100"

    await update_site(session, u["9001"], gz.id, {"enabled": True})
    await save_form(session, u["1001"], kept, {"所属供电局": "440100"})
    assert kept.site_id == gz.id
