"""抢修班组: the register admins keep, and a crew picked at 派工 of the seeded 故障报修.

The crew was typed by hand at 派工 (抢修人员, 车辆). Now the dispatcher picks one of the order's
bureau: the order keeps it as it was (id, name, leader, phone, vehicle), the pick fills 抢修人员 (its leader and members),
班组电话 and 车辆, a disabled crew or another bureau's is refused on the field, and a crew with
orders can only be disabled."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ticketing import ActionRefused, FieldErrors, Forbidden, create_order, submit_step
from ticketing import crews as register
from ticketing.errors import WorkflowInvalid
from ticketing.models import AuditLog, Crew, CrewDispatch
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse
from ticketing.workflow.engine import save_form

SH = ZoneInfo("Asia/Shanghai")
CALLED = dt.datetime(2026, 11, 27, 14, 30, tzinfo=SH)


async def _crew(session, admin, name, site, **values):
    return await register.create(
        session,
        admin,
        {
            "name": name,
            "site_id": site.id,
            "leader": "张强",
            "phones": "138-0000-1111, 020 8888 6666",
            **values,
        },
    )


async def _at_dispatch(session, seeded, site="440106"):
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites[site].id,
        form={"故障地址": "天河路1号", "所属供电局": site},
        now=CALLED,
    )
    await submit_step(session, u["5101"], order, now=CALLED + dt.timedelta(minutes=5))
    assert order.current_node == "dispatch"
    return order


async def test_the_register_normalizes_phones_and_keeps_to_its_rules(session, seeded):
    admin, sites = seeded.users["9001"], seeded.sites
    crew = await _crew(
        session, admin, "天河抢修一班", sites["440106"], members="李四、王五, 赵六", vehicle="粤A·12345"
    )
    assert register.view(crew) | {"id": 0} == {
        "id": 0,
        "name": "天河抢修一班",
        "leader": "张强",
        "phones": ["13800001111", "02088886666"],
        "members": ["李四", "王五", "赵六"],
        "vehicle": "粤A·12345",
        "site_id": sites["440106"].id,
        "active": True,
        "sort": 0,
    }
    with pytest.raises(FieldErrors) as refused:
        await register.create(
            session, admin, {"name": "天河抢修一班", "site_id": sites["440106"].id, "phones": "8001"}
        )
    # an extension is a short number: said so (不能填 95598、10086 等服务号码或短号码), cti.phones.checked
    assert refused.value.problems == {"phones": "field_phone_service", "name": "field_duplicate"}
    with pytest.raises(FieldErrors) as refused:
        await register.create(session, admin, {"name": " ", "phones": "abc", "colour": "red"})
    assert refused.value.problems == {
        "colour": "field_unknown",
        "name": "field_required",
        "phones": "field_bad_phone",
        "site_id": "field_required",
    }
    # another bureau may have a crew of the same name
    await _crew(session, admin, "天河抢修一班", sites["440300"])
    # only admins change it (a bureau's handler has no role over it)
    with pytest.raises(Forbidden):
        await register.create(session, seeded.users["5101"], {"name": "x", "site_id": sites["440100"].id})
    with pytest.raises(Forbidden):
        await register.set_active(session, seeded.users["3001"], crew.id, False)
    actions = set(await session.scalars(select(AuditLog.action).where(AuditLog.entity == "crew")))
    assert actions == {"crew.create"}


async def test_a_crew_picked_at_dispatch_is_kept_as_it_was_and_fills_the_fields(session, seeded):
    u, sites = seeded.users, seeded.sites
    admin = u["9001"]
    crew = await _crew(session, admin, "天河抢修一班", sites["440106"], vehicle="粤A·12345")
    order = await _at_dispatch(session, seeded)

    # a client sending only the crew's id: the server fills 抢修人员, 班组电话 and 车辆
    await submit_step(
        session,
        u["5101"],
        order,
        form={"抢修班组": crew.id, "派工时间": "2026-11-27T14:40"},
        now=CALLED + dt.timedelta(minutes=15),
    )
    assert order.current_node == "onsite"
    snapshot = {
        "id": crew.id,
        "name": "天河抢修一班",
        "leader": "张强",
        "phone": "13800001111",
        "vehicle": "粤A·12345",
        "members": "",
    }
    assert order.form["抢修班组"] == snapshot
    assert register.text(snapshot) == "天河抢修一班（张强 13800001111，粤A·12345）"  # printed so
    # 抢修人员: who goes out (the leader, then the members), not the crew's name
    assert (order.form["抢修人员"], order.form["班组电话"], order.form["车辆"]) == (
        "张强",
        "13800001111",
        "粤A·12345",
    )
    row = await session.scalar(select(CrewDispatch).where(CrewDispatch.order_id == order.id))
    assert (row.crew_id, row.node, row.name, row.phone, row.vehicle, row.dispatched_by_id) == (
        crew.id,
        "dispatch",
        "天河抢修一班",
        "13800001111",
        "粤A·12345",
        u["5101"].id,
    )
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "order.dispatch_crew"))
    assert audit.actor == "5101" and audit.after["name"] == "天河抢修一班"

    # the crew changes later: the order's history does not
    await register.update_crew(session, admin, crew.id, {"name": "天河抢修二班", "vehicle": "粤A·99999"})
    await session.refresh(order)
    assert order.form["抢修班组"] == snapshot and order.form["车辆"] == "粤A·12345"

    # a crew with orders is disabled, never deleted
    with pytest.raises(ActionRefused) as refused:
        await register.delete(session, admin, crew.id)
    assert refused.value.error_id == "crew_in_use"
    await register.set_active(session, admin, crew.id, False)
    unused = await _crew(session, admin, "备用班", sites["440100"])
    await register.delete(session, admin, unused.id)
    assert await session.get(Crew, unused.id) is None


async def test_what_the_dispatcher_typed_over_the_pick_stands(session, seeded):
    u, sites = seeded.users, seeded.sites
    crew = await _crew(session, u["9001"], "天河抢修一班", sites["440100"], vehicle="粤A·12345")
    order = await _at_dispatch(session, seeded)
    await save_form(session, u["5101"], order, {"抢修班组": crew.id, "车辆": "粤A·备用车"})
    assert (order.form["抢修人员"], order.form["车辆"]) == ("张强", "粤A·备用车")
    # sent back as the page reads it (the id) or as stored: the same crew, not picked again
    await save_form(session, u["5101"], order, {"抢修班组": crew.id})
    await save_form(session, u["5101"], order, {"抢修班组": dict(order.form["抢修班组"])})
    picks = await session.scalar(select(func.count()).select_from(CrewDispatch))
    assert picks == 1


async def test_a_disabled_crew_or_another_bureaus_is_refused_on_the_field(session, seeded):
    u, sites = seeded.users, seeded.sites
    admin = u["9001"]
    shenzhen = await _crew(session, admin, "福田二班", sites["440304"])
    disabled = await _crew(session, admin, "停用班", sites["440100"])
    await register.set_active(session, admin, disabled.id, False)
    order = await _at_dispatch(session, seeded)
    for crew_id, problem in (
        (shenzhen.id, "crew_other_bureau"),
        (disabled.id, "crew_inactive"),
        (999999, "crew_unknown"),
        ("天河", "field_not_crew"),
    ):
        with pytest.raises(FieldErrors) as refused:
            await save_form(session, u["5101"], order, {"抢修班组": crew_id})
        assert refused.value.problems == {"抢修班组": problem}
        with pytest.raises(FieldErrors) as refused:
            await submit_step(
                session,
                u["5101"],
                order,
                form={"抢修班组": crew_id, "抢修人员": "王", "派工时间": "2026-11-27T14:40"},
                now=CALLED + dt.timedelta(minutes=15),
            )
        assert refused.value.problems == {"抢修班组": problem}
        assert "抢修班组" not in order.form
    assert await session.scalar(select(func.count()).select_from(CrewDispatch)) == 0


async def test_the_picker_offers_the_orders_site_first_and_its_bureau_on_request(session, seeded):
    admin, sites = seeded.users["9001"], seeded.sites
    for crew in await register.listing(session):  # the demo's, out of the way
        await register.set_active(session, admin, crew.id, False)
    await _crew(session, admin, "广州抢修队", sites["440100"])
    await _crew(session, admin, "天河班", sites["440106"])
    await _crew(session, admin, "越秀班", sites["440104"])
    await _crew(session, admin, "省应急队", sites["HQ"])
    await _crew(session, admin, "福田班", sites["440304"])
    own = {c.name for c in await register.candidates(session, sites["440106"].id)}
    assert own == {"广州抢修队", "天河班", "省应急队"}
    bureau = {c.name for c in await register.candidates(session, sites["440106"].id, whole_bureau=True)}
    assert bureau == {"广州抢修队", "天河班", "越秀班", "省应急队"}


def test_a_crew_field_declares_what_it_fills_and_is_not_at_the_create_step():
    source = workflow_source("fault_repair")
    assert parse(source).fields["抢修班组"]["fills"] == {
        "people": "抢修人员",
        "phone": "班组电话",
        "vehicle": "车辆",
    }
    source["fields"]["抢修班组"]["fills"] = {"vehicle": "派工时间", "colour": "车辆"}
    source["nodes"][0]["fields"]["抢修班组"] = "editable"
    with pytest.raises(WorkflowInvalid) as invalid:
        parse(source)
    ids = sorted(p[0] for p in invalid.value.problems)
    assert ids == ["bad_crew_fills", "bad_crew_fills", "crew_field_at_create"]


async def test_the_demo_has_two_crews_per_bureau_once(session, seeded):
    from ticketing.demo import add_demo_crews

    assert await add_demo_crews(session) == 6
    assert await add_demo_crews(session) == 0  # a demo started again keeps its register
    by_site = {(c.site_id, c.name) for c in await register.listing(session)}
    assert (seeded.sites["440100"].id, "广州抢修一队") in by_site and (
        seeded.sites["440106"].id,
        "天河抢修班",
    ) in by_site
