"""强制下班 / 账号停用 (``sign_out_seat``) of a seat whose phone rings with a queue's offer, the
agent answering while the offer is withdrawn, against the call model (Asterisk's side is a list
of the actions asked for; tests/agent_ui/test_wallboard_supervision runs it on the real thing)."""

from __future__ import annotations

from cti import agents as A
from cti.commands import AgentCommands
from tests.cti.test_calls import CALLER_2, SEAT, World
from tests.cti.test_commands_on_hold import NotedActions


class AnsweredMeanwhile(NotedActions):
    """The agent answers while the seat leaves its queues (before the ringing leg is hung up)."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def __getattr__(self, name: str):
        async def act(*args: object, **kwargs: object) -> None:
            self.sent.append(name)
            if name == "forget_seat" and self.world.agents.get("2001").state == A.RINGING:
                self.world.feed(
                    "AgentConnect", 12.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001"
                )

        return act


async def test_a_seat_answering_during_its_sign_out_keeps_the_caller_and_signs_out_after():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    actions = AnsweredMeanwhile(w)
    commands = AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())
    result = await commands.sign_out_seat("2001", A.FORCED_SIGN_OUT_REASON)
    # not refused (agent_on_call): the sign-out is under way and waits for this call
    assert result.ok, result
    assert result.data == {"state": A.TALKING, "pending": A.LOGGED_OUT}
    assert "2001" in commands.leaving
    assert "hangup" not in actions.sent  # the answered leg is the caller's now
    assert w.agents.get("2001").state == A.TALKING


async def test_the_agents_own_sign_out_is_still_refused_when_they_answer_meanwhile():
    """下班 by the agent: their console needs the call, so they are told (logout.on_call)."""
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    commands = AgentCommands(w.model, AnsweredMeanwhile(w), hotline_number="95598", pause_reasons=())
    result = await commands.logout("2001")
    assert (result.ok, result.reason) == (False, "agent_on_call")


async def test_a_pending_sign_out_is_not_replaced_by_a_break_nor_asked_twice():
    """QA round 2: 置忙 after a pending 强制下班 was acknowledged as a break, and the seat signed
    out all the same when the call ended; a second 强制下班 paused it again (and was audited
    twice). The break is refused saying why; the second sign-out is the first one, already so."""
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed("AgentConnect", 12.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    actions = NotedActions()
    commands = AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=("培训",))
    first = await commands.sign_out_seat("2001", A.FORCED_SIGN_OUT_REASON)
    assert first.ok and first.data == {"state": A.TALKING, "pending": A.LOGGED_OUT}
    sent = list(actions.sent)
    again = await commands.sign_out_seat("2001", A.FORCED_SIGN_OUT_REASON)
    assert again.ok and again.data == {"state": A.TALKING, "pending": A.LOGGED_OUT, "already": True}
    refused = await commands.pause("2001", "培训")
    assert (refused.ok, refused.reason) == (False, "sign_out_pending")
    assert actions.sent == sent  # nothing more asked of Asterisk
    agent = w.agents.get("2001")
    assert (agent.before_call, agent.before_call_reason) == (A.NOT_READY, A.FORCED_SIGN_OUT_REASON)
