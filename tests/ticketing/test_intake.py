"""Async events: round robin to logged-in agents, inbox counts, new pre-filled order or link."""

from ticketing import create_order
from ticketing.demo import demo_phone
from ticketing.intake import Intake, assign_to, inbox, link_to_order, to_new_order, unhandled_count
from ticketing.models import WorkOrder


async def test_round_robin_among_logged_in_agents_with_the_skill(session, seeded):
    intake = Intake()
    intake.logged_in = {"1001", "1002", "1003"}
    owners = []
    for i in range(6):
        row = await intake.receive(session, "sms", f"sms-{i}", sender=demo_phone(4), content=f"短信{i}")
        owners.append(row.assigned_to_id)
    u = seeded.users
    assert owners == [u["1001"].id, u["1002"].id, u["1003"].id] * 2
    assert await unhandled_count(session, u["1001"]) == 2
    again = await intake.receive(session, "sms", "sms-0", sender=demo_phone(4), content="短信0")
    assert again.assigned_to_id == u["1001"].id and await unhandled_count(session, u["1001"]) == 2


async def test_nobody_logged_in_leaves_it_for_manual_assignment(session, seeded):
    intake = Intake()
    row = await intake.receive(
        session, "email", "mail-1", sender="someone@example.com", subject="电费疑问", content="为什么这么贵"
    )
    assert row.status == "new" and row.assigned_to_id is None
    await assign_to(session, seeded.users["2001"], row, seeded.users["1004"])
    assert [r.id for r in await inbox(session, seeded.users["1004"])] == [row.id]


async def test_event_becomes_a_prefilled_order_or_joins_one(session, seeded):
    intake = Intake()
    intake.logged_in = {"1001"}
    agent = seeded.users["1001"]
    web = await intake.receive(
        session, "web", "web-1", sender=demo_phone(6), subject="停电", content="我家停电了两小时"
    )
    order = await to_new_order(
        session, agent, web.id, workflow="fault_repair", site_id=seeded.sites["440100"].id
    )
    assert isinstance(order, WorkOrder)
    assert order.form["客户描述故障信息"] == "我家停电了两小时"
    assert order.caller_number == demo_phone(6) and order.customer_id == web.customer_id
    assert order.current_node == "accept"  # the agent completes the required fields, then submits
    fax = await intake.receive(session, "fax", "fax-1", sender=demo_phone(6), file_path="/fax/1.pdf")
    await link_to_order(session, agent, fax.id, order)
    assert await unhandled_count(session, agent) == 0
    other = await create_order(
        session,
        agent,
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "a", "答复内容": "b"},
    )
    assert not other.is_open


async def test_inbound_email_is_an_event_once(session, seeded):
    from email.message import EmailMessage

    from ticketing.intake import receive_email

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "王先生 <wang@example.com>",
        "95598@hotline.example",
        "电表读数有误",
    )
    msg["Message-ID"] = "<abc123@example.com>"
    msg.set_content("本月电表读数明显偏高，请核实。")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="账单.pdf")
    intake = Intake()
    intake.logged_in = {"1003"}
    row = await receive_email(intake, session, msg.as_bytes())
    again = await receive_email(intake, session, msg.as_bytes())
    assert again.id == row.id
    assert (row.kind, row.number, row.subject) == ("email", "wang@example.com", "电表读数有误")
    assert row.content == "本月电表读数明显偏高，请核实。" and row.payload["attachments"] == ["账单.pdf"]
    assert row.assigned_to_id == seeded.users["1003"].id


async def test_roster_rebuilt_from_bus_history():
    from cti.bus import InProcessBus
    from cti.call_events import AgentStateChanged

    bus = InProcessBus()
    for agent, state in [
        ("1001", "ready"),
        ("1002", "not_ready"),
        ("1001", "logged_out"),
        ("1003", "talking"),
    ]:
        await bus.publish(AgentStateChanged(agent_id=agent, state=state, previous="", seconds_in_previous=0))
    intake = Intake()
    await intake.rebuild(bus)
    assert intake.logged_in == {"1002", "1003"}


async def test_a_long_email_fills_the_description_up_to_what_the_field_takes(session, seeded):
    """The description takes 5,000 characters (a textarea's default limit); an email of 6,000 made
    填写受理工单 fail with field_too_long. The order gets what fits, the event keeps it all."""
    intake = Intake()
    intake.logged_in = {"1001"}
    body = "停电" * 3000
    row = await intake.receive(
        session, "email", "mail-long", sender="someone@example.com", subject="停电", content=body
    )
    order = await to_new_order(
        session, seeded.users["1001"], row.id, workflow="fault_repair", site_id=seeded.sites["440100"].id
    )
    assert order.form["客户描述故障信息"] == body[:5000]
    assert row.content == body


async def test_an_email_with_a_long_address_subject_and_message_id_is_taken_in(session, seeded):
    """Real mail has addresses over 32 characters, subjects over 255 and Message-IDs over 128: on
    PostgreSQL each was a DataError and the mail was never taken in. The address is kept whole,
    the subject up to its column (all of it in the payload), and the order's title up to its own."""
    from email.message import EmailMessage

    from ticketing.intake import receive_email

    address = "zhang.wei.property-management-office@residential-estate-services.example.com.cn"
    subject = "关于小区停电的紧急投诉" * 30  # 330 characters
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"张伟 <{address}>", "95598@hotline.example", subject
    msg["Message-ID"] = "<" + "m" * 200 + "@mail.residential-estate-services.example.com.cn>"
    msg.set_content("小区从早上八点停电至今。")
    intake = Intake()
    intake.logged_in = {"1001"}
    row = await receive_email(intake, session, msg.as_bytes())
    again = await receive_email(intake, session, msg.as_bytes())
    assert again.id == row.id  # still idempotent on the Message-ID
    assert row.number == address and row.payload["sender"] == address
    assert row.subject == subject[:255] and row.payload["subject"] == subject
    order = await to_new_order(
        session, seeded.users["1001"], row.id, workflow="fault_repair", site_id=seeded.sites["440100"].id
    )
    await session.commit()
    assert order.title == subject[:200]


async def test_a_long_message_id_stored_whole_before_is_still_the_same_mail(session, seeded):
    """SQLite kept a Message-ID over 128 characters whole before it was stored as its digest: the
    same mail delivered again after the upgrade is still that event, not a second one."""
    from ticketing.models import Interaction

    long_id = "m" * 200 + "@mail.example.com"
    intake = Intake()
    if session.bind.dialect.name != "sqlite":
        return  # PostgreSQL refused such an id: nothing was stored whole there
    old = Interaction(kind="email", external_id=long_id, number="a@example.com", subject="旧邮件")
    session.add(old)
    await session.flush()
    again = await intake.receive(session, "email", long_id, sender="a@example.com", subject="旧邮件")
    assert again.id == old.id
