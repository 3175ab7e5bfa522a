"""Agent commands: preconditions, one Asterisk side effect, a result.

Every command returns a ``CommandResult``: ok, or refused with a stable
``reason`` id the console translates (agent_not_on_call, target_busy …). An
Asterisk error is a refusal too (``asterisk_refused`` with its message), never
a swallowed warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cti import agents as A
from cti.ami import AmiActionError, AmiError, AmiNotConnected
from cti.channel_calls import OUTBOUND_CONTEXTS
from cti.commands.actions import Actions
from cti.spies import MODE_DIGITS, MODES, Spy, SpyBook, spy_tag

UNHOLD_TRIES = 20

if TYPE_CHECKING:
    from cti.calls import Call, CallModel

log = logging.getLogger(__name__)

REASONS = (
    "unknown_agent",
    "agent_not_logged_in",
    "agent_already_logged_in",
    "agent_not_on_call",
    "agent_on_call",
    "agent_ringing_transfer",
    "agent_not_ringing",
    "answer_on_phone",
    "agent_busy",
    "call_not_on_hold",
    "call_on_hold",
    "no_consultation",
    "no_consult_target",
    # the agent's call is a colleague's consultation about their caller (consult_from): not theirs to hand on
    "consult_leg",
    "unhold_first",
    "transfer_note_too_long",  # 转接备注 longer than TRANSFER_NOTE_LIMIT
    "target_busy",
    "target_not_ready",
    "target_logged_out",
    "unknown_target",
    "unknown_queue",
    "already_member",  # 调整技能队列: the seat is in that queue
    "not_member",
    "last_queue",  # the seat's last queue: removing it is 强制下班
    "conference_target_busy",
    "conference_target_not_ready",
    "conference_target_logged_out",
    "conference_unknown_target",
    "conference_unhold_first",
    "caller_gone",
    "channel_gone",
    "invalid_reason",
    "invalid_number",
    "invalid_spy_mode",
    "unknown_spy",
    "not_your_spy",
    "already_spying",
    "sign_out_pending",  # 强制下班 / 账号停用 waits for the seat's call: nothing else replaces it
    "no_skills",
    "not_connected",
    "no_reply",
    "asterisk_refused",
    # several Asterisk servers (cti.remote): the seat's server has no active bridge, or no server has the seat
    "no_active_bridge",
    "no_server",
    # a colleague on another server (asterisk_servers): 三方通话 does not reach across servers yet;
    # a transfer's target server has no bridge up (nobody would pop their screen there)
    "conference_target_other_server",
    "target_server_down",
    # this server has no trunk to that one (hotline-asterisk was not given the asterisk_servers)
    "no_trunk",
)
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
CONSULT_DIR = "/var/spool/asterisk/monitor/hotline/consult"
#: the dialplan context a transfer or a consultation dials for each kind of target
#: (``<exten>@<context>``; a consultation's leg is ``Local/<exten>@<context>-…``). The one
#: mapping: a restarted bridge recognises a consultation's leg by it (``cti.resync``)
TARGET_CONTEXTS = {"agent": "hotline-transfer", "queue": "hotline-queue", "number": OUTBOUND_CONTEXTS[0]}
#: a transfer or consultation to a colleague on another Asterisk server: ``<server>*<工号>`` here
#: dials that server's trunk (deploy/asterisk/etc/extensions.conf, hotline.asterisk_trunks)
REMOTE_TRANSFER_CONTEXT = "hotline-remote-transfer"
#: a supervisor's spy from a seat on another server: ``Local/<server>*spy@…`` rings it over the trunk
REMOTE_SPY_CONTEXT = "hotline-remote-spy"
_SERVER = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # hotline.config's server names
_STAFF_NO = re.compile(r"^[0-9A-Za-z]{1,32}$")


def trunk_endpoint(server: str) -> str:
    """The PJSIP endpoint of the trunk to the Asterisk ``server`` (hotline.asterisk_trunks)."""
    return f"trunk-{server}"


def colleague_refusal(target: str, state: str | None, reason: str = "") -> Refused | None:
    """Why the colleague ``target`` (in ``state``, None: no seat known) cannot take a call now:
    signed out, not ready (小休, 话后处理 …: the reason goes along) or busy on one; None when ready.
    The one rule, for a colleague on this server and on another (``cti.remote``)."""
    if state is None:
        return Refused("unknown_target", f"no agent {target}")
    if state == A.LOGGED_OUT:
        return Refused("target_logged_out", f"agent {target} is signed out")
    if state in (A.NOT_READY, A.AFTER_CALL_WORK):
        reason = reason or (A.ACW_REASON if state == A.AFTER_CALL_WORK else "")
        return Refused("target_not_ready", f"agent {target} is not ready ({reason})", pause_reason=reason)
    if state != A.READY:
        return Refused("target_busy", f"agent {target} is {state}")
    return None


#: the longest 转接备注 a blind transfer carries (characters): the customer's words as typed so
#: far, for the colleague's pop and form; a whole write-up belongs in the order, not on every ring
TRANSFER_NOTE_LIMIT = 500


class CustomerWords(str):
    """Free text about a caller (a 转接备注): a ``str`` to everything but the command log, which
    gets its length only. That log is the operators' record of who did what, read and kept by
    people who have no business with what a caller said (names, addresses, complaints)."""


def transfer_note(note: str) -> str:
    """A 转接备注 as the bridges keep it: without the blanks around it, at most
    ``TRANSFER_NOTE_LIMIT`` characters (``Refused`` past it: the agent shortens it). The one rule
    of the transfer on the agent's server and of the note told ahead to a colleague's."""
    note = note.strip()
    if len(note) > TRANSFER_NOTE_LIMIT:
        raise Refused(
            "transfer_note_too_long",
            f"transfer note of {len(note)} characters, at most {TRANSFER_NOTE_LIMIT}",
            limit=TRANSFER_NOTE_LIMIT,
            length=len(note),
        )
    return note


def _unspoken(arg: Any) -> Any:
    return f"<{len(arg)} characters>" if isinstance(arg, CustomerWords) else arg


def relay_of(kind: str, call: Call, agent_id: str = "") -> str:
    """The call as the trunk carries it to another server (``X-Hotline-Relay``, read by its
    ``[hotline-trunk-in]`` and its bridge, ``CallModel.relayed``): the relay's kind (blind,
    consult, spy), the call id, the caller, the queue, the DNIS and the 工号 of the agent it comes
    from (``cti.calls.relay_agent``): for a consultation the one who consults (the seat rung there
    is asked about this agent's caller, not given one: ``consult_from``), for a blind transfer the
    one who hands the caller on (the seat's pop says 转接自: ``transferred_from``); joined by ``|``."""
    return "|".join((kind, call.call_id, call.caller, call.queue, call.dnis, agent_id))


@dataclasses.dataclass(frozen=True)
class CommandResult:
    ok: bool
    reason: str = ""
    message: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def done(cls, **data: Any) -> CommandResult:
        return cls(True, data=data)

    @classmethod
    def refused(cls, reason: str, message: str = "", **data: Any) -> CommandResult:
        """``data``: what the console words the refusal with (``pause_reason`` of a target not ready)."""
        assert reason in REASONS, reason
        return cls(False, reason, message or reason, data)


class Refused(Exception):
    def __init__(self, reason: str, message: str = "", **data: Any) -> None:
        super().__init__(message or reason)
        self.reason, self.message, self.data = reason, message or reason, data


def _gone_channel(exc: AmiActionError) -> bool:
    """Asterisk's answer when a channel named in the action hung up meanwhile."""
    text = exc.message.lower()
    return "does not exist" in text or "no such channel" in text


class AgentCommands:
    def __init__(
        self,
        model: CallModel,
        actions: Actions,
        *,
        hotline_number: str,
        pause_reasons: tuple[str, ...],
        spies: SpyBook | None = None,
    ) -> None:
        self.model = model
        self.spies = spies or SpyBook(lambda _event: None)
        self.agents = model.agents
        self.actions = actions
        self.hotline_number = hotline_number
        self.pause_reasons = pause_reasons
        #: seats to sign out when their call ends (``sign_out_seat`` on a call); the bridge does it
        self.leaving: set[str] = set()

    # -- plumbing -------------------------------------------------------------
    async def _run(self, name: str, agent_id: str, coro_fn: Any, *args: Any) -> CommandResult:
        log.info("command %s by %s %r", name, agent_id, tuple(_unspoken(arg) for arg in args))
        try:
            return await coro_fn(*args)
        except Refused as exc:
            return CommandResult.refused(exc.reason, exc.message, **exc.data)
        except AmiNotConnected as exc:
            return CommandResult.refused("not_connected", str(exc))
        except AmiActionError as exc:
            if _gone_channel(exc):  # a leg hung up between the agent's click and the action
                return CommandResult.refused("channel_gone", exc.message)
            return CommandResult.refused("asterisk_refused", exc.message)
        except AmiError as exc:
            return CommandResult.refused("asterisk_refused", str(exc))

    def _agent(self, agent_id: str, *, logged_in: bool = True) -> A.Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise Refused("unknown_agent", f"no agent {agent_id}")
        if logged_in and agent.state == A.LOGGED_OUT:
            raise Refused("agent_not_logged_in", f"agent {agent_id} is not logged in")
        return agent

    def _on_call(self, agent: A.Agent) -> tuple[Call, str, str]:
        """The agent's call, the agent's bridged channel and the customer's channel."""
        call = self.model.calls.get(agent.call_id) if agent.call_id else None
        if call is None or agent.state not in (A.TALKING, A.ON_HOLD):
            raise Refused("agent_not_on_call", f"agent {agent.agent_id} is not on a call")
        agent_channel = ""
        for uid in sorted(call.agent_channels.get(agent.agent_id, ())):
            chan = self.model.channels.get(uid)
            if chan is not None and (chan.bridge or not agent_channel):
                agent_channel = chan.name
                if chan.bridge:
                    break
        if not agent_channel:
            raise Refused("agent_not_on_call", "the agent's leg is gone")
        return call, agent_channel, call.customer_channel

    async def _target(self, kind: str, target: str) -> tuple[str, str]:
        """(context, exten) for a transfer target: an agent, a queue, or a number."""
        if kind == "agent":
            self._ready_colleague(target)
            return TARGET_CONTEXTS[kind], target
        if kind == "queue":
            # hotline-queue takes any name: a queue Asterisk does not have hangs the caller up
            # (Queue() cannot join it) or sends them to an invalid extension (综合服务 matches no
            # pattern), while the transfer itself succeeds; so it is asked first
            if not target or not await self.actions.queue_exists(target):
                raise Refused("unknown_queue", f"no queue {target!r}")
            return TARGET_CONTEXTS[kind], target
        if kind == "number":
            if not _NUMBER.match(target):
                raise Refused("invalid_number", f"not a phone number: {target!r}")
            return TARGET_CONTEXTS[kind], target.lstrip("+")
        raise Refused("unknown_target", f"unknown target kind {kind!r}")

    def _ready_colleague(self, target: str) -> A.Agent:
        """The agent ``target``, ready for a call; refused saying why not (``colleague_refusal``)."""
        other = self.agents.get(target)
        refusal = colleague_refusal(target, other.state if other else None, other.reason if other else "")
        if refusal is not None:
            raise refusal
        assert other is not None
        return other

    async def _remote_target(self, kind: str, server: str, target: str) -> tuple[str, str]:
        """(context, exten) of a colleague whose seat is on the Asterisk ``server``: its trunk.
        Whether they are ready was asked of that server's bridge's word (``cti.remote``)."""
        if kind != "agent" or not _SERVER.match(server) or not _STAFF_NO.match(target):
            raise Refused("unknown_target", f"no agent {target!r} on server {server!r}")
        await self._trunk_to(server)
        return REMOTE_TRANSFER_CONTEXT, f"{server}*{target}"

    async def _trunk_to(self, server: str) -> None:
        """Refused unless this Asterisk has its trunk to ``server``: without it the dialplan would
        ring nobody and hand a blind-transferred caller back to their queue, the transfer acked."""
        if not await self.actions.endpoint_exists(trunk_endpoint(server)):
            raise Refused(
                "no_trunk", f"no trunk to Asterisk server {server} (pjsip_trunks.conf)", server=server
            )

    # -- log in / out, ready, pause --------------------------------------------------
    async def login(self, agent_id: str, seat: str, skills: dict[str, int]) -> CommandResult:
        return await self._run("login", agent_id, self._login, agent_id, seat, skills)

    async def _login(self, agent_id: str, seat: str, skills: dict[str, int]) -> CommandResult:
        if not skills:
            raise Refused("no_skills", "an agent needs at least one skill queue")
        agent = self.agents.ensure(agent_id, seat)
        if agent.state != A.LOGGED_OUT:
            raise Refused("agent_already_logged_in", f"agent {agent_id} is {agent.state}")
        await self.actions.remember_seat(agent_id, seat)
        joined: list[str] = []
        try:
            for queue, penalty in skills.items():
                try:
                    await self.actions.queue_add(queue, seat, agent_id, penalty, A.LOGIN_REASON)
                except AmiActionError as exc:
                    if "Already there" not in exc.message:
                        raise
                    await self.actions.queue_pause(seat, True, A.LOGIN_REASON)
                joined.append(queue)
        except AmiError:
            # All or nothing: a half logged-in seat would take calls from some queues only.
            for queue in joined:
                with contextlib.suppress(AmiError):
                    await self.actions.queue_remove(queue, seat)
            await self.actions.forget_seat(agent_id)
            raise
        agent.skills = dict(skills)
        agent.paused = True
        self.agents.apply(agent, "login", time.time(), reason=A.LOGIN_REASON)
        return CommandResult.done(state=agent.state)

    async def queue_join(self, agent_id: str, queue: str, penalty: int = 0) -> CommandResult:
        """A supervisor adds a signed-in seat to ``queue`` (调整技能队列): it joins as it is in its
        other queues, paused with its reason or taking calls, so a ready seat gets the queue's next
        caller. Refused ``already_member`` when it is in it."""
        return await self._run("queue_join", agent_id, self._queue_join, agent_id, queue, penalty)

    async def _queue_join(self, agent_id: str, queue: str, penalty: int) -> CommandResult:
        agent = self._agent(agent_id)
        if queue in agent.skills or queue in self.model.queues.queues_of(agent.interface):
            raise Refused("already_member", f"agent {agent_id} is in {queue}")
        if not await self.actions.queue_exists(queue):
            raise Refused("unknown_queue", f"no queue {queue}")
        # joined paused (as at a sign-in), then as the seat is in its other queues
        await self.actions.queue_add(
            queue, agent.interface, agent_id, penalty, agent.reason or A.LOGIN_REASON
        )
        agent.skills[queue] = penalty
        if not agent.paused:
            await self.actions.queue_pause(agent.interface, False)
        return CommandResult.done(state=agent.state, queue=queue, skills=dict(agent.skills))

    async def queue_leave(self, agent_id: str, queue: str) -> CommandResult:
        """A supervisor takes a signed-in seat out of ``queue``; refused ``last_queue`` for its last
        one (that is 强制下班) and ``not_member`` for a queue it is not in. A call of that queue it
        is on goes on."""
        return await self._run("queue_leave", agent_id, self._queue_leave, agent_id, queue)

    async def _queue_leave(self, agent_id: str, queue: str) -> CommandResult:
        agent = self._agent(agent_id)
        queues = set(agent.skills) | set(self.model.queues.queues_of(agent.interface))
        if queue not in queues:
            raise Refused("not_member", f"agent {agent_id} is not in {queue}")
        if queues == {queue}:
            raise Refused("last_queue", f"{queue} is agent {agent_id}'s last queue")
        await self.actions.queue_remove(queue, agent.interface)
        agent.skills.pop(queue, None)
        return CommandResult.done(state=agent.state, queue=queue, skills=dict(agent.skills))

    async def logout(self, agent_id: str) -> CommandResult:
        return await self._run("logout", agent_id, self._logout, agent_id)

    async def _logout(self, agent_id: str) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state in (A.TALKING, A.ON_HOLD):
            # signed out, the agent would have no console left to end or transfer the call with
            raise Refused("agent_on_call", f"agent {agent_id} is {agent.state}")
        ringing = self._ringing_legs(agent) if agent.state == A.RINGING else []
        if ringing and not self._offer_to_withdraw(agent):
            # A transfer, consultation or conference invitation rings the seat from
            # [hotline-transfer] (Dial, then Hangup): its leg hung up, a blind-transferred caller
            # would be cut off at once. The seat stays signed in, and the agent answers.
            raise Refused("agent_ringing_transfer", f"agent {agent_id} is rung with a caller to take")
        for queue in list(agent.skills) or self.model.queues.queues_of(agent.interface):
            try:
                await self.actions.queue_remove(queue, agent.interface)
            except AmiActionError as exc:
                if "Not there" not in exc.message and "not" not in exc.message.lower():
                    raise
        await self.actions.forget_seat(agent_id)
        # app_queue does not withdraw an offer already ringing from a member it removes: the phone
        # would ring on and connect the caller to a signed-out seat. Its leg is hung up (out of the
        # queues first, so it is not offered again): the caller waits on for the next agent.
        for channel in ringing:
            if agent.state in (A.TALKING, A.ON_HOLD):
                break
            with contextlib.suppress(AmiActionError):  # it stopped ringing meanwhile
                await self.actions.hangup(channel)
        if agent.state in (A.TALKING, A.ON_HOLD):
            # answered before the offer was withdrawn: the agent keeps the call and its console,
            # and the seat, out of its queues already, signs out when the call ends
            self.leaving.add(agent_id)
            raise Refused("agent_on_call", f"agent {agent_id} answered while signing out")
        if agent.state != A.LOGGED_OUT:  # the removals' own events may have signed it out already
            self.agents.apply(agent, "logout", time.time())
        return CommandResult.done(state=agent.state)

    async def sign_out_seat(self, agent_id: str, reason: str = A.SIGN_OUT_REASON) -> CommandResult:
        """``reason``: the pause's while a call it waits for goes on (账号停用, 班长强制下班)."""
        return await self._run("sign_out_seat", agent_id, self._sign_out_seat, agent_id, reason)

    async def _sign_out_seat(self, agent_id: str, reason: str = A.SIGN_OUT_REASON) -> CommandResult:
        """A seat nobody may sit at any more (its account disabled): out of its queues now. On a
        call, which goes on undisturbed, it is paused in them at once (no new call is offered)
        and stays in ``leaving`` until the call ends; then the bridge signs it out. So does a
        seat a transferred caller rings (``_logout`` would refuse it): the ring ends either way."""
        agent = self._agent(agent_id)
        handed_over = agent.state == A.RINGING and not self._offer_to_withdraw(agent)
        if agent.state not in (A.TALKING, A.ON_HOLD) and not handed_over:
            self.leaving.discard(agent_id)
            try:
                return await self._logout(agent_id)
            except Refused as refused:
                if refused.reason != "agent_on_call" or agent_id not in self.leaving:
                    raise
                # the phone was answered while its offer was withdrawn: the seat, out of its queues
                # already, keeps that caller and signs out when the call ends, as one found talking
                return CommandResult.done(state=agent.state, pending=A.LOGGED_OUT)
        if agent_id in self.leaving:
            # asked again while it waits for the call (a second click, another supervisor): the
            # one already pending stands, nothing is sent or recorded twice
            return CommandResult.done(state=agent.state, pending=A.LOGGED_OUT, already=True)
        # before the pause is sent: a call that ends meanwhile already ends into the sign-out
        self.leaving.add(agent_id)
        agent.before_call, agent.before_call_reason = A.NOT_READY, reason
        try:
            await self.actions.queue_pause(agent.interface, True, reason)
        except AmiError:
            self.leaving.discard(agent_id)
            raise
        agent.paused = True
        return CommandResult.done(state=agent.state, pending=A.LOGGED_OUT)

    async def ready(self, agent_id: str) -> CommandResult:
        return await self._run("ready", agent_id, self._ready, agent_id)

    async def _ready(self, agent_id: str) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state not in (A.NOT_READY, A.READY, A.AFTER_CALL_WORK):
            raise Refused("agent_busy", f"agent {agent_id} is {agent.state}")
        await self.actions.queue_pause(agent.interface, False)
        agent.paused = False
        self.agents.apply(agent, "ready", time.time())
        return CommandResult.done(state=agent.state)

    async def pause(self, agent_id: str, reason: str) -> CommandResult:
        return await self._run("pause", agent_id, self._pause, agent_id, reason)

    async def _pause(self, agent_id: str, reason: str) -> CommandResult:
        agent = self._agent(agent_id)
        if reason not in self.pause_reasons:
            raise Refused("invalid_reason", f"unknown pause reason {reason!r}")
        if agent_id in self.leaving:
            # the seat signs out when its call ends: a break would be acknowledged and then not
            # happen (the sign-out comes first), so it is refused saying why
            raise Refused("sign_out_pending", f"agent {agent_id} signs out when the call ends")
        await self.actions.queue_pause(agent.interface, True, reason)
        agent.paused = True
        if agent.state in (A.RINGING, A.TALKING, A.ON_HOLD):
            # Takes effect when the call ends.
            agent.before_call, agent.before_call_reason = A.NOT_READY, reason
            return CommandResult.done(state=agent.state, pending=A.NOT_READY)
        self.agents.apply(agent, "pause", time.time(), reason=reason)
        return CommandResult.done(state=agent.state)

    async def end_after_call_work(self, agent_id: str) -> CommandResult:
        """ACW over (the agent pressed done, or the limit passed): ready again, or back in the
        pause they were in before the call (``agents.after_acw``), paused in Asterisk with its reason."""
        return await self._run("wrapup_done", agent_id, self._acw_done, agent_id)

    async def _acw_done(self, agent_id: str) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state != A.AFTER_CALL_WORK:
            return CommandResult.done(state=agent.state)
        call_id = agent.call_id
        back, reason = A.after_acw(agent)
        if back == A.NOT_READY:
            # the member stays paused, its reason now the break's (the wallboard, a resync read it)
            await self.actions.queue_pause(agent.interface, True, reason)
        else:
            await self.actions.queue_pause(agent.interface, False)
        # The ACW limit and the agent's 话后处理完毕 may both be on their way: the one answered
        # second finds the ACW over (the seat ready, or already rung) and leaves it as it is.
        if agent.state != A.AFTER_CALL_WORK or agent.call_id != call_id:
            return CommandResult.done(state=agent.state)
        agent.paused = back == A.NOT_READY
        self.agents.apply(agent, "acw_done", time.time())
        return CommandResult.done(state=agent.state)

    # -- calls --------------------------------------------------------------------
    async def answer(self, agent_id: str) -> CommandResult:
        """Answer a ringing call from the console: asks a SIP desk phone to go off-hook."""
        return await self._run("answer", agent_id, self._answer, agent_id)

    async def _answer(self, agent_id: str) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state != A.RINGING:
            raise Refused("agent_not_ringing", f"agent {agent_id} is {agent.state}")
        if not agent.interface.startswith("PJSIP/"):
            raise Refused("answer_on_phone", "this seat's phone answers by itself")
        await self.actions.phone_answer(agent.interface.split("/", 1)[1])
        return CommandResult.done(call_id=agent.call_id)

    async def hangup(self, agent_id: str) -> CommandResult:
        return await self._run("hangup", agent_id, self._hangup, agent_id)

    def _offer_to_withdraw(self, agent: A.Agent) -> bool:
        """Whether the call ringing the agent may be withdrawn by hanging up the agent's leg: an
        app_queue offer (the caller waits on in the queue), or a call nobody has answered yet
        (the agent's own 回呼 ringing its phone first, no customer dialled). A call answered
        before is a caller being handed over to this seat, who would be hung up with the leg."""
        call = self.model.calls.get(agent.call_id) if agent.call_id else None
        if call is None:
            return True
        return agent.agent_id in call.ringing or not call.answered_at

    def _ringing_legs(self, agent: A.Agent) -> list[str]:
        """The channels of the call ringing the agent's phone that are the agent's."""
        call = self.model.calls.get(agent.call_id) if agent.call_id else None
        if call is None:
            return []
        uids = call.agent_channels.get(agent.agent_id, ())
        return [self.model.channels[u].name for u in sorted(uids) if u in self.model.channels]

    async def _hangup(self, agent_id: str) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state == A.RINGING and agent.call_id in self.model.calls:
            channels = self._ringing_legs(agent)
            if not channels:
                raise Refused("agent_not_on_call")
            await self.actions.hangup(channels[0])
            return CommandResult.done(call_id=agent.call_id)
        call, agent_channel, customer = self._on_call(agent)
        call.hangup_side = call.hangup_side or "agent"  # we know who asked for it
        if agent.state == A.ON_HOLD and call.agent_id == agent_id and customer and agent.consult is None:
            # The held caller is the agent's: 挂断 ends their call too. Held apart from the agent
            # (hotline-hold), the caller's leg would otherwise wait there alone for an hour
            # (an older dialplan's hotline-hold has no h that ends it with the agent's).
            with contextlib.suppress(AmiActionError):  # the caller hung up just now
                await self.actions.hangup(customer)
            try:
                await self.actions.hangup(agent_channel)
            except AmiActionError as exc:
                if not _gone_channel(exc):  # else hotline-hold's h ended it with the caller's leg
                    raise
            return CommandResult.done(call_id=call.call_id)
        await self.actions.hangup(agent_channel)
        return CommandResult.done(call_id=call.call_id)

    async def hold(self, agent_id: str) -> CommandResult:
        return await self._run("hold", agent_id, self._hold, agent_id, True)

    async def unhold(self, agent_id: str) -> CommandResult:
        return await self._run("unhold", agent_id, self._hold, agent_id, False)

    async def _hold(self, agent_id: str, held: bool) -> CommandResult:
        agent = self._agent(agent_id)
        call, agent_channel, customer = self._on_call(agent)
        if held and agent.state == A.ON_HOLD:
            raise Refused("call_on_hold")
        if held:
            self._not_consulted(agent, call, "hold")
        if not held and agent.state != A.ON_HOLD:
            raise Refused("call_not_on_hold")
        if held:
            # The hold counts once Asterisk has moved the legs (from the click on: a BridgeEnter of
            # the answer still in flight is older). One it refuses (a leg hung up meanwhile) leaves
            # the call as it was: talking, not held, and nothing published.
            holding = time.time()
            try:
                await self.actions.hold_peers(customer, agent_channel, held=True)
                await self.actions.hold(customer, agent_channel)
            except AmiError:
                with contextlib.suppress(AmiError):
                    await self.actions.hold_peers(customer, agent_channel, held=False)
                raise
            if call.call_id in self.model.calls:  # not ended meanwhile (the caller hung up)
                self.model.set_hold(call, True, holding)
        else:
            await self._bridge_back(customer, agent_channel)
            self.model.set_hold(call, False, time.time())
        return CommandResult.done(call_id=call.call_id, held=held)

    async def _bridge_back(self, customer: str, agent_channel: str) -> None:
        await self.actions.hold_peers(customer, agent_channel, held=False)
        # Right after a hold, the Redirect may still be moving the two legs into
        # hotline-hold; Asterisk then refuses the Bridge ("Unable to add Channel1"),
        # so give the legs a moment to land before reporting a refusal.
        for attempt in range(UNHOLD_TRIES):
            try:
                await self.actions.unhold(customer, agent_channel)
                return
            except AmiActionError as exc:
                if attempt == UNHOLD_TRIES - 1 or "Unable to add" not in exc.message:
                    await self._still_held(customer, agent_channel, exc)
                    raise
                await asyncio.sleep(0.1)

    async def _still_held(self, customer: str, agent_channel: str, exc: AmiActionError) -> None:
        """The Bridge was refused: the legs stay in hotline-hold, naming each other again. If
        one hung up meanwhile (its h found no peer to end), the other's call is over too."""
        if _gone_channel(exc):
            for channel in (customer, agent_channel):
                with contextlib.suppress(AmiActionError):
                    await self.actions.hangup(channel)
            return
        with contextlib.suppress(AmiActionError):
            await self.actions.hold_peers(customer, agent_channel, held=True)

    async def transfer(
        self, agent_id: str, kind: str, target: str, server: str = "", note: str = ""
    ) -> CommandResult:
        """Blind transfer of the agent's caller to an agent, a queue or a number; ``server``: the
        Asterisk server of a colleague whose seat is on another one (its trunk); ``note``: the
        转接备注 for whoever takes the caller next (their ring and answer carry it, as
        ``transferred_from``), at most ``TRANSFER_NOTE_LIMIT`` characters."""
        return await self._run(
            "transfer", agent_id, self._transfer, agent_id, kind, target, server, CustomerWords(note)
        )

    async def _transfer(
        self, agent_id: str, kind: str, target: str, server: str = "", note: str = ""
    ) -> CommandResult:
        note = transfer_note(note)  # refused before anything moves: the caller stays theirs
        agent = self._agent(agent_id)
        call, agent_channel, customer = self._on_call(agent)
        self._not_consulted(agent, call, "transfer")
        self._not_held(agent, "transfer")
        if server:
            context, exten = await self._remote_target(kind, server, target)
            if customer:
                # the caller's own leg goes over the trunk: it carries the call to the other bridge
                await self.actions.relay(customer, relay_of("blind", call, agent_id))
        else:
            context, exten = await self._target(kind, target)
        now = time.time()
        before = self.model.handing_on(call, agent_id, now, note)  # the target's ring may come first
        try:
            async with self._paused_for_queue(agent, kind):
                await self.actions.blind_transfer(agent_channel, context, exten)
        except AmiError:
            self.model.handing_on_failed(call, before)
            raise
        self.model.transferred(call, agent_id, "blind", f"{kind}:{target}", now, note)
        return CommandResult.done(call_id=call.call_id)

    async def consult(self, agent_id: str, kind: str, target: str, server: str = "") -> CommandResult:
        """Attended transfer, step 1: the caller waits on hold while the agent talks to the target
        (``server``: as for ``transfer``)."""
        return await self._run("consult", agent_id, self._consult, agent_id, kind, target, server)

    async def _consult(self, agent_id: str, kind: str, target: str, server: str = "") -> CommandResult:
        agent = self._agent(agent_id)
        call, agent_channel, _ = self._on_call(agent)
        if agent.consult is not None:
            raise Refused("call_on_hold", f"agent {agent_id} is consulting already")
        self._not_consulted(agent, call, "consult")
        self._not_held(agent, "consult")
        if server:
            context, exten = await self._remote_target(kind, server, target)
            # the consultation's leg (Atxfer's, from the agent's channel) inherits it over the trunk
            await self.actions.relay(agent_channel, relay_of("consult", call, agent_id))
        else:
            context, exten = await self._target(kind, target)
        consult_file = f"{CONSULT_DIR}/{call.call_id}-{uuid.uuid4().hex[:6]}.wav"
        # known before Asterisk moves the legs: the hold that the Atxfer starts is this consult's
        self.model.consult_started(agent, call, agent_channel, f"{kind}:{target}", time.time())
        try:
            await self.actions.attended_transfer(agent_channel, context, exten, consult_file)
        except AmiError:
            self.model.consult_over(agent, time.time())
            raise
        return CommandResult.done(call_id=call.call_id)

    @contextlib.asynccontextmanager
    async def _paused_for_queue(self, agent: A.Agent, kind: str) -> AsyncIterator[None]:
        """Around handing the agent's caller to a target of ``kind`` (a blind transfer, an attended
        one's completion). Handed to a queue the agent is a free member of, the caller would be
        offered straight back to them: app_queue sees the transfer before the pause of their
        after-call work. So that pause (话后处理) comes first, and is taken back if the hand-over
        fails; the call's end pauses them anyway. Without after-call work they are free again at
        once, and nothing is paused; nor is a seat that was not free before the call (on a break,
        or signing out: paused already)."""
        pause_first = kind == "queue" and self.model.agents.acw_seconds > 0 and agent.before_call == A.READY
        if pause_first:
            await self.actions.queue_pause(agent.interface, True, A.ACW_REASON)
        try:
            yield
        except AmiError:
            if pause_first:
                await self.actions.queue_pause(agent.interface, False)
            raise

    @staticmethod
    def _not_held(agent: A.Agent, command: str) -> None:
        """Transfers act on the agent's bridged leg: held (in hotline-hold, bridged to nobody), it
        has no caller to hand over, and Asterisk would ring nobody (Atxfer) or refuse (BlindTransfer)."""
        if agent.state == A.ON_HOLD:
            raise Refused("unhold_first", f"{command}: agent {agent.agent_id}'s call is on hold")

    @staticmethod
    def _not_consulted(agent: A.Agent, call: Call, command: str) -> None:
        """A colleague consulted about another agent's caller (``consult_from``) talks on the
        consultation's leg, not with the caller, who waits on the consulting agent's hold: a
        transfer, consultation or conference of theirs would hand that leg (or pull the held caller
        away from the consulting agent, a conference or a hold of theirs) on, leaving the caller
        alone on hold and the consulting agent without 取消咨询. Only the consulting agent
        completes, cancels or holds; the colleague hangs up when the question is answered."""
        asker = call.consulted.get(agent.agent_id)
        if asker:
            raise Refused(
                "consult_leg",
                f"{command}: agent {agent.agent_id} is consulted by {asker}",
                consult_from=asker,
            )

    def _consult_of(self, agent_id: str) -> tuple[A.Agent, dict[str, Any]]:
        agent = self._agent(agent_id)
        if agent.consult is None:
            raise Refused("no_consultation")
        return agent, agent.consult

    async def complete_transfer(self, agent_id: str) -> CommandResult:
        return await self._run("complete_transfer", agent_id, self._complete, agent_id)

    async def _complete(self, agent_id: str) -> CommandResult:
        agent, consult = self._consult_of(agent_id)
        if consult["caller_gone"]:
            raise Refused("caller_gone", "the held caller hung up during the consultation")
        if not self._consult_leg(consult):
            # hanging up the agent's leg would leave the held caller alone, handed to nobody
            raise Refused("no_consult_target", "no consultation leg: nobody to hand the caller to")
        call = self.model.calls.get(consult["call_id"])
        now = time.time()
        # said first: the colleague's leg staying on (or the queue's next ring) may come before the answer
        before = self.model.handing_on(call, agent_id, now) if call is not None else None
        # Hanging up the transferer completes an attended transfer.
        try:
            async with self._paused_for_queue(agent, consult["target"].partition(":")[0]):
                await self.actions.hangup(consult["channel"])
        except AmiError:
            if call is not None and before is not None:
                self.model.handing_on_failed(call, before)
            raise
        call = self.model.calls.get(consult["call_id"])
        if call is not None:
            self.model.transferred(call, agent_id, "attended", consult["target"], now)
            self.model.handed_over(call, agent_id, now)
            # to a queue: the caller waits there now, on the consultation's leg (as blind-transferred)
            self.model.consult_handed_to_queue(call, now)
        self.model.consult_over(agent, time.time())
        return CommandResult.done(call_id=consult["call_id"])

    def _consult_leg(self, consult: dict[str, Any]) -> bool:
        """Whether the consultation has a leg to the target (ringing or answered): a channel of
        the call that was not there when the consult began and is still up."""
        call = self.model.calls.get(consult["call_id"])
        if call is None:
            return False
        return any(uid in self.model.channels for uid in call.channels - consult["channels_before"])

    async def cancel_transfer(self, agent_id: str) -> CommandResult:
        return await self._run("cancel_transfer", agent_id, self._cancel, agent_id)

    async def _cancel(self, agent_id: str) -> CommandResult:
        agent, consult = self._consult_of(agent_id)
        if consult["caller_gone"]:
            # nobody to go back to: ending the consultation ends the agent's leg (the target's with it)
            await self.actions.hangup(consult["channel"])
        else:
            await self.actions.cancel_attended_transfer(consult["channel"])
        self.model.consult_over(agent, time.time())
        return CommandResult.done(call_id=consult["call_id"])

    async def conference(self, agent_id: str, target_agent: str) -> CommandResult:
        """Three-way call: the caller, the agent and another agent in one ConfBridge."""
        return await self._run("conference", agent_id, self._conference, agent_id, target_agent)

    async def _conference(self, agent_id: str, target_agent: str) -> CommandResult:
        agent = self._agent(agent_id)
        call, agent_channel, customer = self._on_call(agent)
        self._not_consulted(agent, call, "conference")
        try:
            # Held, the Redirect would take the caller from hotline-hold into the room while
            # the call counts as held: taken back first, as for a transfer.
            self._not_held(agent, "conference")
            other = self._ready_colleague(target_agent)
        except Refused as exc:
            # worded as the colleague asked to join, not as a transfer target (its own texts)
            raise Refused(f"conference_{exc.reason}", exc.message, **exc.data) from None
        room = call.call_id
        await self.actions.conference(customer, agent_channel, room)
        leg_id = f"conf-{uuid.uuid4().hex[:12]}"
        self.model.expect(leg_id, join=call.call_id)
        try:
            await self.actions.invite(
                other.interface, room, leg_id, f'"{self.hotline_number}" <{self.hotline_number}>'
            )
        except AmiError:
            self.model.expected.pop(leg_id, None)
            raise
        self.model.conference_invited(call, agent_id, target_agent, time.time())
        return CommandResult.done(call_id=call.call_id)

    async def dial_to_queue(
        self, number: str, queue: str, ring_timeout: int, connect_timeout: int
    ) -> CommandResult:
        """Predictive dialing: ring the customer first, then hand the answered call to ``queue``."""
        return await self._run(
            "dial_to_queue", "", self._dial_to_queue, number, queue, ring_timeout, connect_timeout
        )

    async def _dial_to_queue(
        self, number: str, queue: str, ring_timeout: int, connect_timeout: int
    ) -> CommandResult:
        return await self._outbound(
            number,
            lambda dialled, caller_id, call_id: self.actions.dial_to_queue(
                dialled, queue, caller_id, call_id, ring_timeout, connect_timeout
            ),
        )

    async def _outbound(
        self, number: str, originate: Callable[[str, str, str], Awaitable[Any]]
    ) -> CommandResult:
        """Place an outbound call with the hotline number shown: ``originate(dialled, caller_id,
        call_id)``; the model expects the call under ``call_id`` before Asterisk reports it."""
        if not _NUMBER.match(number):
            raise Refused("invalid_number", f"not a phone number: {number!r}")
        dialled = number.lstrip("+")
        call_id = f"out-{uuid.uuid4().hex[:16]}"
        self.model.expect(call_id, direction="outbound", dnis=dialled, caller=dialled)
        try:
            await originate(dialled, f'"{self.hotline_number}" <{self.hotline_number}>', call_id)
        except AmiError:
            self.model.expected.pop(call_id, None)
            raise
        return CommandResult.done(call_id=call_id)

    async def spy(
        self,
        supervisor_seat: str,
        agent_id: str,
        mode: str,
        supervisor: str = "",
        supervisor_name: str = "",
        supervisor_server: str = "",
    ) -> CommandResult:
        """Supervisor listen / whisper / barge on an agent's call (ChanSpy q / w / B, and d: the
        mode switches later by DTMF); ``supervisor`` (工号) and name show on the wallboard;
        ``supervisor_server``: the Asterisk server of a supervisor's seat on another one than the
        agent's, rung over its trunk."""
        return await self._run(
            "spy",
            agent_id,
            self._spy,
            supervisor_seat,
            agent_id,
            mode,
            supervisor,
            supervisor_name,
            supervisor_server,
        )

    async def _spy(
        self,
        supervisor_seat: str,
        agent_id: str,
        mode: str,
        supervisor: str,
        supervisor_name: str,
        supervisor_server: str = "",
    ) -> CommandResult:
        if mode not in MODES:
            raise Refused("invalid_spy_mode", f"unknown mode {mode!r}")
        agent = self._agent(agent_id)
        call, agent_channel, _ = self._on_call(agent)
        # One spy per supervisor on a call: a second would ring their seat again and put two
        # legs of theirs on the call. Refused rather than turned into a mode switch: the spy
        # they have may still be ringing (no channel to switch yet), and 切换为 (spy_mode) on
        # the one they have says what it does; the refusal names it for that.
        mine = [
            s
            for s in (*self.spies.expected.values(), *self.spies.active.values())
            if supervisor and s.supervisor == supervisor and s.call_id == call.call_id
        ]
        if mine:
            raise Refused(
                "already_spying",
                f"{supervisor} is on {agent_id}'s call already ({mine[0].mode}): switch its mode",
                spy_id=mine[0].spy_id,
                mode=mine[0].mode,
            )
        relay: list[str] = []
        if supervisor_server:
            if not _SERVER.match(supervisor_server):
                raise Refused("unknown_target", f"no server {supervisor_server!r}")
            await self._trunk_to(supervisor_server)
            # ChanSpy runs here, on a Local channel whose other half rings the supervisor's seat
            # on their own server over its trunk ([hotline-remote-spy])
            relay = [f"__HOTLINE_RELAY={relay_of('spy', call)}", f"__HOTLINE_RELAY_SEAT={supervisor_seat}"]
            supervisor_seat = f"Local/{supervisor_server}*spy@{REMOTE_SPY_CONTEXT}/n"
        spy_id = f"spy-{uuid.uuid4().hex[:12]}"
        spy = Spy(spy_id, supervisor, supervisor_name, agent_id, call.call_id, mode)
        # followed before the phone can ring: ChanSpyStart may come before Originate's answer is read
        self.spies.expect(spy)
        try:
            # named on its channel too: a bridge restarted while the phone rings takes it from there
            await self.actions.spy(
                supervisor_seat, mode, agent_channel, spy_id, spy_tag(spy), *((relay,) if relay else ())
            )
        except AmiError:
            self.spies.forget(spy_id)
            raise
        return CommandResult.done(call_id=call.call_id, spy_channel_id=spy_id)

    async def spy_stop(self, spy_id: str, supervisor: str) -> CommandResult:
        """End the supervisor's own spy: only the spy channel hangs up, the call goes on."""
        return await self._run("spy_stop", supervisor, self._spy_stop, spy_id, supervisor)

    async def _spy_stop(self, spy_id: str, supervisor: str) -> CommandResult:
        spy = self._own_spy(spy_id, supervisor)
        await self.actions.hangup(spy.channel)
        return CommandResult.done(spy_id=spy_id, call_id=spy.call_id, agent_id=spy.agent_id)

    async def spy_mode(self, spy_id: str, supervisor: str, mode: str) -> CommandResult:
        """Switch the supervisor's own spy between listen, whisper and barge without leaving the call."""
        return await self._run("spy_mode", supervisor, self._spy_mode, spy_id, supervisor, mode)

    async def _spy_mode(self, spy_id: str, supervisor: str, mode: str) -> CommandResult:
        if mode not in MODES:
            raise Refused("invalid_spy_mode", f"unknown mode {mode!r}")
        spy = self._own_spy(spy_id, supervisor)
        if spy.mode != mode:
            await self.actions.spy_mode(spy.channel, MODE_DIGITS[mode])
            self.spies.mode_changed(spy_id, mode)
        return CommandResult.done(spy_id=spy_id, mode=mode, call_id=spy.call_id, agent_id=spy.agent_id)

    def _own_spy(self, spy_id: str, supervisor: str) -> Spy:
        spy = self.spies.get(spy_id)
        if spy is None:
            raise Refused("unknown_spy", f"no spy {spy_id!r} on a call")
        if spy.supervisor != supervisor:
            raise Refused("not_your_spy", f"spy {spy_id} is {spy.supervisor}'s")
        return spy

    async def dial(self, agent_id: str, number: str, ring_timeout: int | None = None) -> CommandResult:
        """Click-to-dial: ring the agent's seat, then the customer (``ring_timeout`` seconds at
        most; the outbound context's default without it), showing the hotline number."""
        return await self._run("dial", agent_id, self._dial, agent_id, number, ring_timeout)

    async def _dial(self, agent_id: str, number: str, ring_timeout: int | None = None) -> CommandResult:
        agent = self._agent(agent_id)
        if agent.state not in (A.READY, A.NOT_READY, A.AFTER_CALL_WORK):
            raise Refused("agent_busy", f"agent {agent_id} is {agent.state}")
        return await self._outbound(
            number,
            lambda dialled, caller_id, call_id: self.actions.click_to_dial(
                agent.interface, dialled, caller_id, call_id, ring_timeout
            ),
        )
