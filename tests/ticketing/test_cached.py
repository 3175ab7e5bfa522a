"""The per-database caches behind order creation (staff, templates, workflow versions) never
hand out what was changed: in another session, rolled back, or (after the TTL) behind their back."""

import asyncio

from sqlalchemy import select, update

from ticketing import cached, create_order
from ticketing.models import Assignment, Notification, NotificationTemplate, User
from ticketing.users import create_user
from ticketing.workflow.store import disable, import_definition

FORM = {"故障地址": "天河路1号", "所属供电局": "440100"}


async def new_fault_order(sm, seeded, **kwargs):
    async with sm.begin() as session:
        order = await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            form=FORM,
            **kwargs,
        )
        handlers = set(
            await session.scalars(
                select(User.staff_no)
                .join(Assignment, Assignment.user_id == User.id)
                .where(Assignment.order_id == order.id, Assignment.state == "pending")
            )
        )
    return order, handlers


async def test_a_deactivated_user_gets_no_more_orders(sm, seeded):
    _, handlers = await new_fault_order(sm, seeded)  # the directory is cached from here on
    assert handlers == {"5101", "5102"}
    async with sm.begin() as session:
        (await session.get(User, seeded.users["5101"].id)).active = False
    _, handlers = await new_fault_order(sm, seeded)
    assert handlers == {"5102"}


async def test_a_rolled_back_user_is_seen_only_by_their_own_transaction(sm, seeded):
    await new_fault_order(sm, seeded)
    async with sm() as session:
        await create_user(
            session, "5109", "临时抢修", "abc12345", roles=["handler"], site_id=seeded.sites["440100"].id
        )
        order = await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            form=FORM,
        )
        rows = await session.scalars(select(Assignment.user_id).where(Assignment.order_id == order.id))
        assert len(set(rows)) == 4  # the creator's done step and three bureau handlers
        await session.rollback()
    _, handlers = await new_fault_order(sm, seeded)
    assert handlers == {"5101", "5102"}


async def test_changes_from_elsewhere_are_seen_after_the_ttl(sm, seeded, monkeypatch):
    monkeypatch.setattr(cached, "TTL", 0.2)
    await new_fault_order(sm, seeded)
    async with sm.begin() as session:  # a Core UPDATE, as another process's change looks from here
        await session.execute(update(User).where(User.staff_no == "5102").values(active=False))
    await asyncio.sleep(0.3)
    _, handlers = await new_fault_order(sm, seeded)
    assert handlers == {"5101"}


async def test_an_edited_template_is_used_for_the_next_order(sm, seeded):
    async with sm.begin() as session:
        session.add(
            NotificationTemplate(
                name="测试模板1",
                category="fault",
                node="confirm",
                channel="sms",
                body="A {{ order.number }}",
                auto_send=True,
            )
        )
    first, _ = await new_fault_order(sm, seeded, caller_number="13712345678")
    async with sm.begin() as session:
        template = await session.scalar(
            select(NotificationTemplate).where(NotificationTemplate.node == "confirm")
        )
        template.body = "B {{ order.number }}"
    second, _ = await new_fault_order(sm, seeded, caller_number="13712345678")
    async with sm() as session:
        rows = await session.execute(
            select(Notification.order_id, Notification.body).where(Notification.channel == "sms")
        )
        bodies = {order_id: body for order_id, body in rows}
    assert bodies == {first.id: f"A {first.number}", second.id: f"B {second.number}"}


async def test_a_disabled_workflow_version_is_no_longer_used(sm, seeded):
    first, _ = await new_fault_order(sm, seeded)
    async with sm.begin() as session:
        newer = await import_definition(session, dict(_raw_fault_repair(), name="故障报修 v2"))
    second, _ = await new_fault_order(sm, seeded)
    assert (first.workflow_version, second.workflow_version) == (newer.version - 1, newer.version)
    async with sm.begin() as session:
        await disable(session, "fault_repair", newer.version)
    third, _ = await new_fault_order(sm, seeded)
    assert third.workflow_version == newer.version - 1


def _raw_fault_repair():
    from pathlib import Path

    import yaml

    import ticketing

    return yaml.safe_load(
        (Path(ticketing.__file__).parent / "seeds" / "fault_repair.yaml").read_text("utf-8")
    )


async def test_a_savepoint_ending_keeps_its_transactions_changes_out_of_the_shared_store(sm, seeded):
    """A savepoint's end (begin_nested, as the category page's insert uses) fires after_commit
    too: it forgot the transaction's changed caches, and the next read in that transaction
    filled the shared store with rows nobody had committed, which other sessions then got for
    the TTL, though the transaction rolled back."""
    from ticketing.categories import _entries
    from ticketing.models import Category

    async with sm() as first:
        async with first.begin_nested():
            first.add(Category(code="uncommitted", name="未提交"))
        assert "uncommitted" in {e.code for e in await _entries.get(first)}  # its own, as ever
        await first.rollback()
    async with sm() as later:  # within the TTL: from the store, unless it was never put there
        assert "uncommitted" not in {e.code for e in await _entries.get(later)}
