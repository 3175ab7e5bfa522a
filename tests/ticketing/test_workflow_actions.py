"""Multi-operator modes, free routing, forward / CC / supervise, and the automatic conversion."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ticketing import ActionRefused, Forbidden, SlaWorker, create_order, submit_step
from ticketing.models import Comment, Notification
from ticketing.users import create_user
from ticketing.workflow.actions import annotate, cc, forward, supervise
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")


def at(m, d, hh, mm=0):
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


def flow(mode: str, free: bool = False) -> dict:
    return {
        "key": f"cosign_{mode}",
        "name": "会签",
        "fields": {"意见": {"type": "textarea"}},
        "nodes": [
            {"id": "start", "type": "create", "fields": {"意见": "editable"}, "exits": [{"to": "sign"}]},
            {
                "id": "sign",
                "type": "realize",
                "free_routing": free,
                "fields": {"意见": "editable"},
                "operators": {"mode": mode, "batches": [[{"user": ["5101", "5102"]}]]},
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive"},
        ],
    }


async def test_all_mode_needs_every_operator(session, seeded):
    u = seeded.users
    await import_definition(session, flow("all"))
    order = await create_order(session, u["1001"], workflow="cosign_all", site_id=seeded.sites["440100"].id)
    await submit_step(session, u["5101"], order, opinion="同意")
    assert order.current_node == "sign"
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["5101"], order)
    assert refused.value.error_id == "not_your_step"
    await submit_step(session, u["5102"], order, opinion="同意")
    assert order.current_node == "done"


async def test_sequential_mode_keeps_the_order(session, seeded):
    u = seeded.users
    await import_definition(session, flow("sequential"))
    order = await create_order(
        session, u["1001"], workflow="cosign_sequential", site_id=seeded.sites["440100"].id
    )
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["5102"], order)
    assert refused.value.error_id == "not_your_turn"
    await submit_step(session, u["5101"], order)
    await submit_step(session, u["5102"], order)
    assert order.current_node == "done"


async def test_any_mode_one_is_enough(session, seeded):
    u = seeded.users
    await import_definition(session, flow("any"))
    order = await create_order(session, u["1001"], workflow="cosign_any", site_id=seeded.sites["440100"].id)
    await submit_step(session, u["5102"], order)
    assert order.current_node == "done"


async def test_free_routing_picks_the_next_handler(session, seeded):
    u = seeded.users
    data = flow("any", free=True)
    data["key"] = "free"
    data["nodes"][0]["free_routing"] = True
    await import_definition(session, data)
    order = await create_order(
        session, u["1001"], workflow="free", site_id=seeded.sites["440100"].id, submit=False
    )
    await submit_step(session, u["1001"], order, to="sign", handlers=[u["2001"].id])
    assert order.current_node == "sign"
    await submit_step(session, u["2001"], order)
    assert order.current_node == "done"


async def test_free_routing_is_refused_where_disabled(session, seeded):
    u = seeded.users
    await import_definition(session, flow("any"))
    order = await create_order(
        session, u["1001"], workflow="cosign_any", site_id=seeded.sites["440100"].id, submit=False
    )
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["1001"], order, handlers=[u["2001"].id])
    assert refused.value.error_id == "free_routing_disabled"


async def test_forward_cc_supervise_annotate(session, seeded):
    u = seeded.users
    # 转派 goes to whom the step's rules allow: here the team leaders too (a second batch)
    definition = flow("any")
    definition["nodes"][1]["operators"]["batches"].append([{"role": "team_leader"}])
    await import_definition(session, definition)
    order = await create_order(session, u["1001"], workflow="cosign_any", site_id=seeded.sites["440100"].id)
    # forwarding to someone outside the order's site is refused
    with pytest.raises(ActionRefused) as refused:
        await forward(session, u["5101"], order, u["5201"], opinion="请处理")
    assert refused.value.error_id == "target_out_of_scope"
    await forward(session, u["5101"], order, u["2001"], opinion="请班长处理")
    await cc(session, u["2001"], order, [u["3001"]], opinion="知悉")
    with pytest.raises(Forbidden):
        await supervise(session, u["1001"], order, opinion="快点")
    await supervise(session, u["3001"], order, opinion="请尽快处理", channels=("screen", "sms"))
    await annotate(session, u["1002"], order, "客户又来电催促")
    actions = [
        c.action
        for c in await session.scalars(
            select(Comment).where(Comment.order_id == order.id).order_by(Comment.id)
        )
    ]
    assert actions == ["create", "submit", "forward", "cc", "supervise", "annotate"]
    sms = list(await session.scalars(select(Notification).where(Notification.channel == "sms")))
    # 督办 reaches the current handlers: 5102 (still pending) and 2001 (forwarded to)
    assert sorted(n.recipient for n in sms) == sorted([u["5102"].phone, u["2001"].phone])
    # the screen alerts say their opinion after a full-width colon, as the rest of the Chinese text
    screens = [
        n.body for n in await session.scalars(select(Notification).where(Notification.channel == "screen"))
    ]
    for said in ("转发工单", "抄送工单", "督办"):
        (alert,) = {body for body in screens if said in body}
        assert "：" in alert and ": " not in alert, alert
    await submit_step(session, u["2001"], order)
    assert not order.is_open


async def test_dispatch_overrun_converts_to_coordination_order(session, sm, seeded):
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"},
        now=at(11, 25, 9),
    )
    await submit_step(session, u["5101"], order, now=at(11, 25, 9, 10))
    assert order.due_at == at(11, 25, 10, 10)
    await session.commit()
    worker = SlaWorker(sm)
    assert await worker.run_due(at(11, 25, 10, 10)) >= 2  # overrun reminder + conversion
    await session.refresh(order)
    assert order.category == "coordination" and order.current_node == "dispatch"
    # not born overdue: 派工's hour again from the conversion, the coordinators told when it passes
    assert order.due_at == at(11, 25, 11, 10)
    await session.commit()
    assert await worker.run_due(at(11, 25, 11, 9)) == 0
    assert await worker.run_due(at(11, 25, 11, 10)) == 1
    late = await session.scalar(
        select(func.count()).where(Notification.order_id == order.id, Notification.recipient == "3001")
    )
    assert late >= 2  # the conversion's and the coordination order's own overrun
    # the supervisor now holds the order too and can dispatch it
    await submit_step(
        session,
        u["3001"],
        order,
        form={"抢修人员": "王师傅", "派工时间": "2026-11-25 10:20"},
        now=at(11, 25, 10, 20),
    )
    assert order.status == "已派工"


@pytest.mark.parametrize(("severity", "due"), [("一般", at(11, 25, 10, 30)), ("重大", at(12, 4, 9, 30))])
async def test_complaint_limits_by_severity(session, seeded, severity, due):
    u = seeded.users
    boss = await create_user(
        session, "2100", "部门经理", "abc12345", roles=["team_leader"], site_id=seeded.sites["HQ"].id
    )
    order = await create_order(
        session,
        u["1001"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        now=at(11, 25, 9),
        form={
            "类别1": "一类",
            "所属区域": "440100",
            "标题": "抢修慢",
            "投诉内容": "等了三小时",
            "严重程度": severity,
        },
    )
    assert order.status == "待审核"
    from ticketing import approve

    await approve(session, boss, order, now=at(11, 25, 9, 30))
    assert order.status == "处理中"
    # 一般: 1 working hour; 重大: 7 working days (Wed 25 Nov 09:30 → Fri 4 Dec 09:30)
    assert order.due_at == due


async def test_two_handlers_pressing_submit_at_once_move_the_order_once(db_url, session, seeded):
    from ticketing import db, load_order

    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    await session.commit()
    engines = [db.create_engine(db_url), db.create_engine(db_url)]

    async def press(engine, staff_no):
        async with db.sessionmaker(engine).begin() as s:
            mine = await load_order(s, u[staff_no], order.id)
            await asyncio.sleep(0.01)  # both have read the order before either writes
            await submit_step(s, u[staff_no], mine)

    try:
        results = await asyncio.gather(
            press(engines[0], "5101"), press(engines[1], "5102"), return_exceptions=True
        )
    finally:
        for e in engines:
            await e.dispose()
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and refused[0].error_id == "not_your_step"
    await session.refresh(order)
    assert order.current_node == "dispatch"
    submits = await session.scalar(
        select(func.count(Comment.id)).where(Comment.order_id == order.id, Comment.action == "submit")
    )
    assert submits == 2  # the agent's at creation, one handler's


async def test_subtype_loads_its_own_extra_form(session, seeded):
    u = seeded.users
    base = {"业务类型": "高压新装", "用电地址": "番禺区1号", "所属供电局": "440100"}
    order = await create_order(
        session,
        u["1001"],
        workflow="service_application",
        site_id=seeded.sites["440100"].id,
        subcategory="svc_hv_new",
        form={**base, "受电变压器容量": 630, "用电性质": "工业"},
    )
    assert order.form["受电变压器容量"] == 630 and order.status == "处理中"
    # another subtype's fields are unknown here, and the extras are read-only after the create step
    from ticketing import FieldErrors

    with pytest.raises(FieldErrors) as errors:
        await create_order(
            session,
            u["1001"],
            workflow="service_application",
            site_id=seeded.sites["440100"].id,
            subcategory="svc_lv_new",
            form={**base, "业务类型": "低压新装", "受电变压器容量": 630},  # the type is the subcategory's
        )
    assert errors.value.problems == {"受电变压器容量": "field_unknown"}
    with pytest.raises(FieldErrors) as errors:
        await submit_step(session, u["5101"], order, form={"受电变压器容量": 800, "受理结果": "同意"})
    assert errors.value.problems == {"受电变压器容量": "field_not_editable"}


async def test_a_refused_action_changes_nothing(session, seeded):
    from ticketing import FieldErrors
    from ticketing.models import AuditLog
    from ticketing.workflow.actions import force_archive

    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    await session.commit()
    audits = await session.scalar(select(func.count(AuditLog.id)))
    with pytest.raises(FieldErrors):
        await submit_step(session, u["5101"], order, form={"故障地址": "别处"})
    with pytest.raises(ActionRefused):
        await force_archive(session, u["3001"], order, opinion="关")
    assert not session.new and not [o for o in session.dirty if session.is_modified(o)]
    assert await session.scalar(select(func.count(AuditLog.id))) == audits
    assert order.current_node == "confirm" and order.form["故障地址"] == "天河路1号"
