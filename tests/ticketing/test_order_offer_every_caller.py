"""Every way an order is made is checked against the categories offered at its site, not only
the seat's intake (``create_order``'s one check, ``categories.offer_problems``): a Python caller
of the engine, and the IVR's "report a fault" voicemail, whose refused order leaves the
caller's message waiting in the agent's inbox (logged and audited), nothing lost."""

import logging

import pytest
from sqlalchemy import select

from cti.bus import InProcessBus
from cti.call_events import VoicemailReceived
from ticketing import create_order
from ticketing.calls import CallLinker
from ticketing.categories import add_category, disable_category
from ticketing.demo import demo_phone
from ticketing.errors import ActionRefused, FieldErrors
from ticketing.intake import Intake, to_new_order
from ticketing.models import AuditLog, Category, Interaction, WorkOrder, order_interactions


async def test_the_engine_refuses_an_order_in_a_category_not_offered_at_its_site(session, seeded):
    admin, agent = seeded.users["9001"], seeded.users["1001"]
    gz, gz1, sz = (seeded.sites[c].id for c in ("440100", "440106", "440300"))
    await add_category(session, admin, "gz_tree", "树障清理", site_id=gz, workflow_key="fault_repair")
    # 广州 numbers its 故障报修 its own way: its 供电所 too
    await add_category(
        session,
        admin,
        "fault",
        "广州故障报修",
        site_id=gz,
        workflow_key="fault_repair",
        number_pattern="GF{yyyyMMdd}{seq:05}",
    )
    await session.commit()

    def make(site_id, category="", **kw):
        return create_order(
            session,
            agent,
            workflow="fault_repair",
            site_id=site_id,
            category=category,
            form={"故障地址": "天河路1号"},
            submit=False,
            **kw,
        )

    # no as_offered (not the seat's intake): checked all the same, at the order's site
    with pytest.raises(FieldErrors) as refused:
        await make(sz, "gz_tree")
    assert refused.value.problems == {"category": "field_category_not_offered"}
    await session.rollback()
    # 广州's own is its 供电所's too, numbered by 广州's pattern
    order = await make(gz1, "gz_tree")
    assert order.category == "gz_tree" and order.site_id == gz1
    implied = await make(gz1)
    assert implied.category == "fault" and implied.number.startswith("GF"), implied.number
    await session.commit()

    # 停用 at 深圳 (its override, disabled): no order of it there, named or implied; 广州's go on
    sz_fault = await add_category(
        session, admin, "fault", "深圳故障报修", site_id=sz, workflow_key="fault_repair"
    )
    await disable_category(session, admin, sz_fault)
    await session.commit()
    for category in ("fault", ""):
        with pytest.raises(FieldErrors) as refused:
            await make(sz, category)
        assert refused.value.problems == {"category": "field_category_not_offered"}, category
        await session.rollback()
    assert (await make(gz, "fault")).category == "fault"


async def test_an_ivr_fault_report_not_offered_at_its_site_waits_in_the_inbox(session, sm, seeded, caplog):
    admin = seeded.users["9001"]
    fault = await session.scalar(select(Category).where(Category.code == "fault", Category.site_id.is_(None)))
    await disable_category(session, admin, fault)  # 停用 故障报修: no site is offered it
    await session.commit()

    bus = InProcessBus()
    intake = Intake()
    intake.logged_in = {"1001", "1002"}
    linker = CallLinker(sm, intake=intake)
    linker.subscribe(bus)
    event = VoicemailReceived(
        call_id="v-9",
        caller=demo_phone(2),
        dnis="95598",
        path="/vm/v-9.wav",
        duration=12.0,
        reason="fault_report",
    )
    with caplog.at_level(logging.WARNING, logger="ticketing.intake"):
        await bus.publish(event)
        await bus.drain()
    await linker.close()

    voicemail = await session.scalar(select(Interaction).where(Interaction.external_id == "v-9"))
    # the caller's message is kept, in the agent's inbox, unhandled, with its recording
    assert voicemail is not None and voicemail.status == "assigned" and voicemail.assigned_to_id
    assert voicemail.file_path == "/vm/v-9.wav"
    linked = await session.scalar(
        select(order_interactions.c.order_id).where(order_interactions.c.interaction_id == voicemail.id)
    )
    assert linked is None
    assert await session.scalar(select(WorkOrder.id).where(WorkOrder.category == "fault")) is None
    # said why, in the log and the audit trail
    assert any(
        "no fault order opened" in r.getMessage() and "field_category_not_offered" in r.getMessage()
        for r in caplog.records
    )
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "event.order_refused", AuditLog.entity_id == str(voicemail.id)
        )
    )
    assert audit is not None and audit.after["problems"] == {"category": "field_category_not_offered"}
    # the agent makes the order in a category that is offered (协调单 on the fault flow)
    agent = await session.get(type(admin), voicemail.assigned_to_id)
    order = await to_new_order(
        session, agent, voicemail.id, workflow="fault_repair", site_id=agent.site_id, category="coordination"
    )
    assert order.category == "coordination"


async def test_a_visit_back_complaint_not_offered_at_the_orders_site_refuses_the_survey(session, seeded):
    from tests.ticketing.test_surveys_and_reports import at
    from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
    from ticketing.models import SurveyResult
    from ticketing.surveys import record_survey

    order = await at_visit_step(session, seeded, at(24, 9))
    admin, leader = seeded.users["9001"], seeded.users["2001"]
    gz = seeded.sites["440100"].id
    # 广州 停用 投诉举报建议 (its override, disabled): a complaint there is not offered
    gz_complaint = await add_category(
        session, admin, "complaint", "投诉（广州）", site_id=gz, workflow_key="complaint"
    )
    await disable_category(session, admin, gz_complaint)
    await session.commit()
    order_id = order.id

    with pytest.raises(ActionRefused) as refused:
        await record_survey(session, leader, order, UNHAPPY)
    # named as the order's site's, not the user's (test_visit_back_reach)
    assert refused.value.error_id == "survey_complaint_not_offered"
    await session.rollback()
    # nothing half-kept: no survey without the complaint the customer asked for, no complaint
    order = await session.get(WorkOrder, order_id)
    assert await session.scalar(select(SurveyResult.id).where(SurveyResult.order_id == order_id)) is None
    assert await complaints_of(session, order) == []
