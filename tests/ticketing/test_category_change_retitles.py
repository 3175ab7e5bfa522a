"""A title the order's subcategory and fields gave follows a 小类别 changed before 派工
(``actions.change_category``): 低压故障：… becomes 高压故障：…, audited with the change, as a 暂存
takes it along with the fields (tests/agent_ui/test_order_title_follows_form.py)."""

from __future__ import annotations

from sqlalchemy import select

from ticketing import create_order
from ticketing.models import AuditLog
from ticketing.workflow.actions import change_category


async def test_a_changed_subcategory_renames_the_title(session, seeded):
    agent = seeded.users["1001"]
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障名称": "整栋楼停电", "故障地址": "天河路1号", "所属供电局": "440100"},
        category="fault",
        subcategory="fault_lv",
        submit=False,
    )
    assert order.title == "低压故障：整栋楼停电 天河路1号"
    await change_category(session, agent, order, "fault", "fault_hv")
    assert order.title == "高压故障：整栋楼停电 天河路1号"
    await session.flush()
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "order.change_category", AuditLog.entity_id == str(order.id)
        )
    )
    assert (audit.before["title"], audit.after["title"]) == (
        "低压故障：整栋楼停电 天河路1号",
        "高压故障：整栋楼停电 天河路1号",
    )
