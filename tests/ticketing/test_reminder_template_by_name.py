"""A reminder's message template named by what it is in every installation, its category and step
(``templates: {sms: {category: complaint, node: handle}}``), not by this database's id: an export
writes a stored version's ids so, the import finds the template by them (refusing, by name, one
this installation lacks), the reminder is worded by the template enabled there when it fires, and
versions stored with ids keep loading and running."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from tests.ticketing.test_reminder_message_template import (
    at,
    at_handle,
    complaint_reminding,
    fired,
    templates,
)
from ticketing import SlaWorker
from ticketing.errors import WorkflowInvalid
from ticketing.message_templates import create_template, update_template
from ticketing.models import WorkflowDefinition
from ticketing.workflow.definition import parse
from ticketing.workflow.store import export_definition, import_definition

HANDLE = {"category": "complaint", "node": "handle"}
REVIEW = {"category": "complaint", "node": "review"}


async def test_a_reminder_names_its_templates_by_category_and_step(sm, session, seeded):
    admin = seeded.users["9001"]
    sms, _mail = await templates(session, admin)
    row = await import_definition(session, complaint_reminding({"sms": HANDLE, "email": REVIEW}), actor=admin)
    await session.commit()
    reminder = parse(row.body, stored=True).node("handle").sla.reminders[0]
    assert reminder.notify.templates == {"sms": HANDLE, "email": REVIEW}

    order = await at_handle(session, seeded)
    assert await SlaWorker(sm).run_due(at(10, 15)) == 1
    by_channel = {n.channel: n for n in await fired(session, order)}
    assert (
        by_channel["sms"].body
        == f"【催办】工单 {order.number}（抢修慢）将于 2026-11-25 10:30 到期，请尽快处理。"
    )
    assert by_channel["email"].subject == f"催办：{order.number}"

    # 停用 and replaced by a new one at the same step: the reminder is worded by the new one
    await update_template(session, admin, sms.id, {"enabled": False})
    await create_template(
        session,
        admin,
        {
            "name": "新催办短信",
            "category": "complaint",
            "node": "handle",
            "channel": "sms",
            "audience": "handler",
            "body": "新催办 {{ order.number }}",
        },
    )
    await session.commit()
    later = await at_handle(session, seeded)
    assert await SlaWorker(sm).run_due(at(10, 15)) == 1
    assert {n.channel: n for n in await fired(session, later)}["sms"].body == f"新催办 {later.number}"


async def test_a_template_this_installation_lacks_is_refused_by_name(session, seeded):
    admin = seeded.users["9001"]
    await templates(session, admin)
    missing = {"category": "complaint", "node": "visit"}  # no SMS to the handler at 回访
    with pytest.raises(WorkflowInvalid) as refused:
        await import_definition(session, complaint_reminding({"sms": missing}), actor=admin)
    (problem,) = refused.value.problems
    assert problem[0] == "unknown_reminder_template"
    assert (problem.where["node"], problem.where["reminder"], problem.where["channel"]) == (
        "handle",
        1,
        "sms",
    )
    assert problem.where["value"] == "complaint/visit"
    assert "no sms template to the handler of category 'complaint' at step 'visit'" in problem[1]
    # written wrongly: neither an id nor a category and step
    for wrong in ({"category": "complaint"}, {"category": "complaint", "node": ""}, "处理催办"):
        with pytest.raises(WorkflowInvalid) as refused:
            parse(complaint_reminding({"sms": wrong}))
        assert [p[0] for p in refused.value.problems] == ["bad_reminder_template"], wrong


async def test_a_version_stored_with_ids_runs_and_exports_by_category_and_step(sm, session, seeded):
    admin = seeded.users["9001"]
    sms, mail = await templates(session, admin)
    # as versions were stored before: ids (still accepted, in the installation they name)
    row = await import_definition(
        session, complaint_reminding({"sms": sms.id, "email": mail.id}), actor=admin
    )
    await session.commit()
    stored = await session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.id == row.id))
    assert parse(stored.body, stored=True).node("handle").sla.reminders[0].notify.templates == {
        "sms": sms.id,
        "email": mail.id,
    }
    order = await at_handle(session, seeded)
    assert await SlaWorker(sm).run_due(at(10, 15)) == 1
    assert {n.channel for n in await fired(session, order)} == {"screen", "sms", "email"}

    exported = await export_definition(session, "complaint", row.version)
    handle = next(n for n in yaml.safe_load(exported)["nodes"] if n["id"] == "handle")
    assert handle["sla"]["reminders"][0]["templates"] == {"sms": HANDLE, "email": REVIEW}
    # imported again (here, or where the same templates have other ids): the same templates
    again = await import_definition(session, exported, actor=admin)
    assert parse(again.body).node("handle").sla.reminders[0].notify.templates == {
        "sms": HANDLE,
        "email": REVIEW,
    }
    # a version naming no template by id is exported exactly as stored (comments kept)
    source = "# 投诉处理\n" + yaml.safe_dump(
        complaint_reminding({"sms": HANDLE}), allow_unicode=True, sort_keys=False
    )
    plain = await import_definition(session, source, actor=admin)
    assert await export_definition(session, "complaint", plain.version) == source
