"""Every order action's audit row says its opinion in ``after`` beside the order's snapshot
(作废 its reason and ``duplicate_of``, 退单 and 督办 theirs, 督办 its urgency), as 延期's says its
reason: the audit log alone tells why an order was voided, sent back or pressed."""

from sqlalchemy import select

from ticketing import create_order, reject, submit_step
from ticketing.models import AuditLog
from ticketing.workflow.actions import annotate, cc, forward, supervise, void


async def _fault(session, seeded):
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )


async def _after(session, order, action):
    """The ``after`` of the order's latest ``order.<action>`` audit row."""
    await session.flush()
    rows = await session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "work_order", AuditLog.entity_id == str(order.id))
        .where(AuditLog.action == f"order.{action}")
        .order_by(AuditLog.id)
    )
    return list(rows)[-1].after


async def test_void_reject_supervise_audit_their_reason(session, seeded):
    u = seeded.users
    kept = await _fault(session, seeded)
    twice = await _fault(session, seeded)
    sent_back = await _fault(session, seeded)

    await supervise(session, u["3001"], kept, opinion="今天内到场", urgency="urgent")
    after = await _after(session, kept, "supervise")
    assert (after["opinion"], after["urgency"]) == ("今天内到场", "urgent")
    assert after["status"] == kept.status  # the snapshot stays

    await void(session, u["3001"], twice, opinion="同一故障重复报修", duplicate_of=kept)
    after = await _after(session, twice, "void")
    assert (after["opinion"], after["duplicate_of"]) == ("同一故障重复报修", kept.number)
    assert after["status"] == "已作废" and after["is_open"] is False
    await void(session, u["3001"], kept, opinion="客户撤回")
    after = await _after(session, kept, "void")
    assert (after["opinion"], after["duplicate_of"]) == ("客户撤回", None)

    await reject(session, u["5101"], sent_back, opinion="所属供电局填错")
    after = await _after(session, sent_back, "reject")
    assert after["opinion"] == "所属供电局填错" and after["node"] == "accept"


async def test_other_actions_audit_their_opinion(session, seeded):
    u = seeded.users
    order = await _fault(session, seeded)
    await annotate(session, u["1002"], order, "客户又来电催")
    assert (await _after(session, order, "annotate"))["opinion"] == "客户又来电催"
    await cc(session, u["5101"], order, [u["5102"]], opinion="请知悉")
    after = await _after(session, order, "cc")
    assert (after["opinion"], after["to"]) == ("请知悉", ["5102"])
    # 转派 to whom 接收确认's rules allow (its second batch: the supervisors)
    await forward(session, u["5101"], order, u["3001"], opinion="我在外")
    after = await _after(session, order, "forward")
    assert (after["opinion"], after["to"]) == ("我在外", "3001")
    await submit_step(session, u["3001"], order, opinion="已确认")
    after = await _after(session, order, "submit")
    assert after["opinion"] == "已确认" and after["node"] == "dispatch"
