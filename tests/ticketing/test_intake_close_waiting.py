"""``intake.close_waiting`` (批量关闭) on SQLite and PostgreSQL alike: the one UPDATE that closes
only what still waits (RETURNING the ids it closed), an ``event.closed`` audit row for each, the
others said with why, and who may not is refused before anything changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticketing import intake
from ticketing.errors import ActionRefused
from ticketing.models import AuditLog, Interaction, User


async def test_only_what_still_waits_is_closed_each_audited(session, seeded):
    supervisor = await session.scalar(select(User).where(User.staff_no == "3001"))
    agent = await session.scalar(select(User).where(User.staff_no == "1001"))
    receive = intake.Intake().receive
    spam = [
        await receive(session, "sms", f"spam-{n}", sender="13100000481", content="中奖") for n in range(3)
    ]
    taken = await receive(session, "sms", "spam-taken", sender="13100000482", content="中奖")
    await intake.assign_to(session, None, taken, agent)
    await session.flush()

    with pytest.raises(ActionRefused) as refused:
        await intake.close_waiting(session, agent, "垃圾短信", ids=[e.id for e in spam])
    assert refused.value.error_id == "event.bulk_forbidden"

    done = await intake.close_waiting(session, supervisor, "垃圾短信", ids=[*(e.id for e in spam), taken.id])
    await session.flush()
    assert (done["closed"], done["ids"]) == (3, sorted(e.id for e in spam))
    assert done["skipped"] == {"taken": 1} and done["skipped_ids"] == {"taken": [taken.id]}
    audits = list(await session.scalars(select(AuditLog).where(AuditLog.action == "event.closed")))
    assert sorted(a.entity_id for a in audits) == sorted(str(e.id) for e in spam)
    assert {a.user_id for a in audits} == {supervisor.id}
    assert (await session.get(Interaction, taken.id)).status == "assigned"
    # listed under the supervisor's 显示已处理
    assert {r.id for r in await intake.inbox(session, supervisor, include_handled=True)} == {
        e.id for e in spam
    }

    # every one of a filter: nothing waits now, the one confirmed is gone
    again = await intake.close_waiting(session, supervisor, "垃圾短信", kind="sms", count=1, through=taken.id)
    assert (again["closed"], again["skipped"]) == (0, {"gone": 1})
