"""下班 while the phone rings, against the call model (Asterisk's side is a list of the actions
asked for; test_cti_commands runs the story on the real thing): a queue offer is withdrawn, a
caller handed over by a transfer is not hung up with the ringing leg."""

from __future__ import annotations

from cti import agents as A
from cti.commands import AgentCommands
from tests.cti.test_calls import LINKED, World
from tests.cti.test_commands_on_hold import NotedActions, _talking

TARGET_CH = "Local/2002@hotline-sim-phone-00000005;1"


async def test_signing_out_withdraws_a_queue_offer():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    assert w.agents.get("2001").state == A.RINGING
    actions = NotedActions()
    commands = AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())
    result = await commands.logout("2001")
    assert result.ok, result
    # the offer's leg hung up (after leaving the queues): the caller waits on in the queue
    assert actions.sent[-2:] == ["forget_seat", "hangup"]
    assert w.agents.get("2001").state == A.LOGGED_OUT


async def _transfer_ringing() -> tuple[World, NotedActions, AgentCommands]:
    """2001 blind-transfers the caller to 2002, whose phone rings from [hotline-transfer]."""
    w, actions, commands = _talking()
    assert (await commands.transfer("2001", "agent", "2002")).ok
    w.feed("Newchannel", 14.0, Channel=TARGET_CH, Uniqueid="1700000000.5", Context="hotline-sim-phone")
    assert (w.agents.get("2002").state, w.agents.get("2002").call_id) == (A.RINGING, LINKED)
    actions.sent.clear()
    return w, actions, commands


async def test_signing_out_while_a_transfer_rings_is_refused_and_the_caller_kept():
    w, actions, commands = await _transfer_ringing()
    result = await commands.logout("2002")
    assert (result.ok, result.reason) == (False, "agent_ringing_transfer")
    # nothing asked of Asterisk: the leg rings on (hung up, the dialplan would hang up the caller)
    assert actions.sent == []
    assert w.agents.get("2002").state == A.RINGING
    assert LINKED in w.model.calls


async def test_a_disabled_seat_a_transfer_rings_signs_out_when_the_ring_ends():
    w, actions, commands = await _transfer_ringing()
    result = await commands.sign_out_seat("2002")
    assert result.ok and result.data["pending"] == A.LOGGED_OUT
    assert actions.sent == ["queue_pause"]  # no new offer; the ringing leg is left alone
    assert "2002" in commands.leaving and w.agents.get("2002").state == A.RINGING
