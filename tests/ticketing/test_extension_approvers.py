"""延期 approvers named on the step (``sla.extension.approvers``) answer instead of the
supervisors; an approved extension moves the step's reminders with its deadline."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ticketing import ActionRefused, Forbidden, create_order
from ticketing.models import Timer
from ticketing.workflow import extensions
from ticketing.workflow.store import import_definition

SH = ZoneInfo("Asia/Shanghai")
FLOW = {
    "key": "extension_flow",
    "name": "延期",
    "calendar": "24x7",
    "fields": {"说明": {"type": "textarea"}},
    "nodes": [
        {"id": "start", "type": "create", "fields": {"说明": "editable"}, "exits": [{"to": "work"}]},
        {
            "id": "work",
            "type": "realize",
            "operators": {"batches": [[{"user": "5101"}]]},
            "sla": {
                "limit": "2h",
                "reminders": [{"after": "90m", "notify": {"current_handlers": True}}],
                "extension": {"approvers": [{"role": "team_leader"}]},
            },
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


async def test_the_steps_own_approvers_answer_and_the_reminder_moves(session, seeded):
    u = seeded.users
    await import_definition(session, FLOW)
    start = dt.datetime.now(SH).replace(microsecond=0)
    order = await create_order(
        session, u["1001"], workflow="extension_flow", site_id=seeded.sites["440100"].id, now=start
    )
    was = order.due_at
    wanted = was + dt.timedelta(hours=3)
    with pytest.raises(ActionRefused) as refused:
        await extensions.request(session, u["1001"], order, due_at=wanted, reason="x")
    assert refused.value.error_id == "not_your_step"
    await extensions.request(session, u["5101"], order, due_at=wanted, reason="需停电配合")
    with pytest.raises(Forbidden):  # the step names its approvers: not the supervisors
        await extensions.decide(session, u["3001"], order, approve=True)
    await extensions.decide(session, u["2001"], order, approve=True, opinion="同意")
    assert order.due_at == wanted
    reminder = await session.scalar(
        select(Timer)
        .where(Timer.order_id == order.id, Timer.kind == "remind", Timer.state == "pending")
        .order_by(Timer.due_at)
    )
    due = reminder.due_at if reminder.due_at.tzinfo else reminder.due_at.replace(tzinfo=dt.UTC)
    assert due == start + dt.timedelta(minutes=90) + dt.timedelta(hours=3)
    assert await extensions.pending(session, order) is None
