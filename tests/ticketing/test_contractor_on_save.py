"""暂存 (save) keeps to the same 外委单位 rules as 提交: a contractor of another area, a disabled
one or an id not in the register is refused on the field (contractor_out_of_area,
contractor_inactive, contractor_unknown) and nothing is saved; it was saved, and the print page
then showed that contractor."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ticketing import FieldErrors, create_order, submit_step
from ticketing import contractors as register
from ticketing.workflow.engine import save_form

SH = ZoneInfo("Asia/Shanghai")
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)


async def _contractor(session, admin, name, **values):
    return await register.create(session, admin, {"name": name, "phones": ["13800001111"], **values})


async def test_saving_a_contractor_the_order_may_not_go_to_is_refused(session, seeded):
    u, sites = seeded.users, seeded.sites
    admin = u["9001"]
    guangzhou = await _contractor(
        session, admin, "广州外委", site_id=sites["440100"].id, categories=["fault"]
    )
    shenzhen = await _contractor(session, admin, "深圳外委", site_id=sites["440300"].id, categories=["fault"])
    disabled = await _contractor(session, admin, "停用外委", site_id=sites["440100"].id, categories=["fault"])
    await register.set_active(session, admin, disabled.id, False)
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=CALLED,
    )
    await submit_step(session, u["5101"], order, now=CALLED + dt.timedelta(minutes=5))
    assert order.current_node == "dispatch"

    for contractor_id, problem in (
        (shenzhen.id, "contractor_out_of_area"),
        (disabled.id, "contractor_inactive"),
        (999999, "contractor_unknown"),
    ):
        with pytest.raises(FieldErrors) as refused:
            await save_form(session, u["5101"], order, {"抢修人员": "王", "外委单位": contractor_id})
        assert refused.value.problems == {"外委单位": problem}
        assert "外委单位" not in order.form and "抢修人员" not in order.form
        # 提交 refuses it the same way
        with pytest.raises(FieldErrors) as refused:
            await submit_step(
                session,
                u["5101"],
                order,
                form={"抢修人员": "王", "派工时间": "2026-11-27T14:40", "外委单位": contractor_id},
                now=CALLED + dt.timedelta(minutes=15),
            )
        assert refused.value.problems == {"外委单位": problem}

    await save_form(session, u["5101"], order, {"外委单位": guangzhou.id})
    await session.commit()
    assert order.form["外委单位"] == guangzhou.id
    # a value kept as it was is not checked again (the contractor disabled since)
    await register.set_active(session, admin, guangzhou.id, False)
    await save_form(session, u["5101"], order, {"外委单位": guangzhou.id, "抢修人员": "王"})
    assert order.form["抢修人员"] == "王"
