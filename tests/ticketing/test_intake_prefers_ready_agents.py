"""Async events go to agents who are there to work them: 就绪 first, then those on a call or in
话后处理; an agent 未就绪 (a break such as 用餐) gets none, and with only such agents signed in
the event waits unassigned on 未分派事件 until someone becomes ready."""

from cti.call_events import AgentStateChanged
from ticketing.intake import Intake


async def _state(intake: Intake, agent: str, state: str, reason: str = "") -> None:
    await intake.on_agent_state(
        AgentStateChanged(agent_id=agent, state=state, previous="", seconds_in_previous=0, reason=reason)
    )


async def test_missed_calls_skip_an_agent_on_a_meal_break(session, seeded):
    intake = Intake()
    await _state(intake, "1001", "not_ready", "用餐")
    await _state(intake, "1002", "ready")
    await _state(intake, "1003", "talking")
    owners = set()
    for i in range(4):
        row = await intake.receive(session, "missed_call", f"missed-break-{i}", sender="13800138000")
        owners.add(row.assigned_to_id)
    assert owners == {seeded.users["1002"].id}  # the ready one, not the one eating nor the one talking


async def test_without_a_ready_agent_those_at_work_come_before_those_on_a_break(session, seeded):
    intake = Intake()
    await _state(intake, "1001", "not_ready", "用餐")
    await _state(intake, "1002", "after_call_work")
    await _state(intake, "1003", "talking")
    owners = set()
    for i in range(4):
        row = await intake.receive(session, "sms", f"sms-busy-{i}", sender="13800138000", content="停电")
        owners.add(row.assigned_to_id)
    assert owners == {seeded.users["1002"].id, seeded.users["1003"].id}


async def test_with_everyone_on_a_break_the_event_waits_unassigned(session, seeded):
    intake = Intake()
    await _state(intake, "1001", "not_ready", "用餐")
    await _state(intake, "1002", "not_ready", "小休")
    row = await intake.receive(session, "missed_call", "missed-all-break", sender="13800138000")
    assert row.status == "new" and row.assigned_to_id is None
    # back from the break: the next event is theirs again
    await _state(intake, "1001", "ready")
    row = await intake.receive(session, "missed_call", "missed-after-break", sender="13800138000")
    assert row.assigned_to_id == seeded.users["1001"].id
