"""Every Asterisk side effect of an agent command, one small function each.

Nothing here checks preconditions or touches the model: the service decides,
these only speak AMI. An ``AmiError`` propagates so the service can refuse the
command with a reason instead of swallowing the failure.
"""

from __future__ import annotations

from cti.ami import AmiActionError, AmiClient, Frame
from cti.spies import SPY_VARIABLE

SEAT_FAMILY = "hotline-seat"


class Actions:
    def __init__(
        self, ami: AmiClient, *, outbound_context: str = "hotline-outbound", seat_ring_seconds: int = 30
    ) -> None:
        self.ami = ami
        self.outbound_context = outbound_context
        self.seat_ring_seconds = seat_ring_seconds

    async def queue_add(self, queue: str, interface: str, agent_id: str, penalty: int, reason: str) -> Frame:
        # Join paused: the agent starts not ready (the 95598 seat software does).
        return await self.ami.action(
            "QueueAdd",
            Queue=queue,
            Interface=interface,
            Penalty=penalty,
            MemberName=agent_id,
            Paused="true",
            Reason=reason,
        )

    async def queue_remove(self, queue: str, interface: str) -> Frame:
        return await self.ami.action("QueueRemove", Queue=queue, Interface=interface)

    async def queue_pause(self, interface: str, paused: bool, reason: str = "") -> Frame:
        return await self.ami.action("QueuePause", Interface=interface, Paused=paused, Reason=reason or None)

    async def queue_exists(self, queue: str) -> bool:
        frames = await self.ami.action_list("QueueStatus", Queue=queue)
        return any(f.name == "QueueParams" and f.get("Queue") == queue for f in frames)

    async def remember_seat(self, agent_id: str, interface: str) -> Frame:
        return await self.ami.action("DBPut", Family=SEAT_FAMILY, Key=agent_id, Val=interface)

    async def forget_seat(self, agent_id: str) -> None:
        try:
            await self.ami.action("DBDel", Family=SEAT_FAMILY, Key=agent_id)
        except Exception:
            pass  # nothing stored: nothing to forget

    async def hangup(self, channel: str) -> Frame:
        return await self.ami.action("Hangup", Channel=channel, Cause=16)

    async def blind_transfer(self, agent_channel: str, context: str, exten: str) -> Frame:
        return await self.ami.action("BlindTransfer", Channel=agent_channel, Context=context, Exten=exten)

    async def attended_transfer(
        self, agent_channel: str, context: str, exten: str, consult_file: str
    ) -> Frame:
        # Atxfer feeds the feature code into the channel; TRANSFER_EXTEN makes
        # Asterisk dial at once instead of waiting for more digits.
        await self.ami.action("Setvar", Channel=agent_channel, Variable="TRANSFER_EXTEN", Value=exten)
        # The consult leg inherits this: a queue or outbound consult records into
        # its own file instead of a second writer on the call's recording.
        await self.ami.action(
            "Setvar", Channel=agent_channel, Variable="__HOTLINE_RECORDING", Value=consult_file
        )
        return await self.ami.action("Atxfer", Channel=agent_channel, Context=context, Exten=exten)

    async def endpoint_exists(self, endpoint: str) -> bool:
        # Asterisk answers an error for an endpoint pjsip.conf does not have
        try:
            await self.ami.action_list("PJSIPShowEndpoint", Endpoint=endpoint)
        except AmiActionError:
            return False
        return True

    async def relay(self, channel: str, relay: str) -> Frame:
        # Inherited (__) by every channel this one dials: the trunk leg's X-Hotline-Relay header
        # ([hotline-trunk-headers]) tells the other server's bridge which call it is.
        return await self.ami.action("Setvar", Channel=channel, Variable="__HOTLINE_RELAY", Value=relay)

    async def cancel_attended_transfer(self, agent_channel: str) -> Frame:
        return await self.ami.action("CancelAtxfer", Channel=agent_channel)

    async def hold_peers(self, customer_channel: str, agent_channel: str, *, held: bool) -> None:
        # Held, each leg names the other: hotline-hold's h ends the other leg when one hangs up
        # there. Cleared before the Bridge that resumes the call, which runs that h as well.
        for channel, peer in ((customer_channel, agent_channel), (agent_channel, customer_channel)):
            await self.ami.action(
                "Setvar", Channel=channel, Variable="HOTLINE_HOLD_PEER", Value=peer if held else ""
            )

    async def hold(self, customer_channel: str, agent_channel: str) -> Frame:
        return await self.ami.action(
            "Redirect",
            Channel=customer_channel,
            Context="hotline-hold",
            Exten="customer",
            Priority=1,
            ExtraChannel=agent_channel,
            ExtraContext="hotline-hold",
            ExtraExten="agent",
            ExtraPriority=1,
        )

    async def unhold(self, customer_channel: str, agent_channel: str) -> Frame:
        return await self.ami.action("Bridge", Channel1=agent_channel, Channel2=customer_channel, Tone="no")

    async def conference(self, customer_channel: str, agent_channel: str, room: str) -> Frame:
        return await self.ami.action(
            "Redirect",
            Channel=customer_channel,
            Context="hotline-conference-caller",  # the customer leaves the room with the last agent
            Exten=room,
            Priority=1,
            ExtraChannel=agent_channel,
            ExtraContext="hotline-conference",
            ExtraExten=room,
            ExtraPriority=1,
        )

    async def invite(self, interface: str, room: str, channel_id: str, caller_id: str) -> Frame:
        return await self.ami.action(
            "Originate",
            Channel=interface,
            Context="hotline-conference",
            Exten=room,
            Priority=1,
            CallerID=caller_id,
            ChannelId=channel_id,
            Async="true",
        )

    async def click_to_dial(
        self, interface: str, number: str, caller_id: str, channel_id: str, ring_timeout: int | None = None
    ) -> Frame:
        # The agent's phone rings first; when it answers, the dialplan dials
        # the customer with the hotline number as caller ID, for ``ring_timeout``
        # seconds (HOTLINE_DIAL_TIMEOUT; the outbound context's own default without it).
        extra = {"Variable": f"HOTLINE_DIAL_TIMEOUT={int(ring_timeout)}"} if ring_timeout else {}
        return await self.ami.action(
            "Originate",
            Channel=interface,
            Context=self.outbound_context,
            Exten=number,
            Priority=1,
            CallerID=caller_id,
            ChannelId=channel_id,
            Timeout=self.seat_ring_seconds * 1000,
            Async="true",
            **extra,
        )

    async def dial_to_queue(
        self,
        number: str,
        queue: str,
        caller_id: str,
        channel_id: str,
        ring_timeout: int,
        connect_timeout: int,
    ) -> Frame:
        # The customer rings first (through the outbound context, recorded, with the
        # hotline number); once answered, this side waits in ``queue`` at most
        # ``connect_timeout`` seconds for an agent (hotline-predictive).
        return await self.ami.action(
            "Originate",
            Channel=f"Local/{number}@{self.outbound_context}/n",
            Context="hotline-predictive",
            Exten=queue,
            Priority=1,
            CallerID=caller_id,
            ChannelId=channel_id,
            Timeout=(ring_timeout + 5) * 1000,
            Variable=[
                f"HOTLINE_DIAL_TIMEOUT={int(ring_timeout)}",
                f"HOTLINE_CONNECT_TIMEOUT={int(connect_timeout)}",
            ],
            Async="true",
        )

    async def spy(
        self,
        supervisor_seat: str,
        mode: str,
        target_channel: str,
        channel_id: str,
        tag: str = "",
        variables: list[str] | None = None,
    ) -> Frame:
        # The supervisor's phone rings; when answered it runs ChanSpy on the agent's leg.
        # ``tag`` (cti.spies.spy_tag) names the session on the channel, for a bridge that restarts;
        # ``variables``: more of them (a seat on another server: what its trunk leg carries).
        return await self.ami.action(
            "Originate",
            Channel=supervisor_seat,
            Context="hotline-spy",
            Exten=mode,
            Priority=1,
            Variable=[
                f"SPY_TARGET={target_channel}",
                *([f"{SPY_VARIABLE}={tag}"] if tag else []),
                *(variables or ()),
            ],
            ChannelId=channel_id,
            Timeout=30000,
            Async="true",
        )

    async def spy_mode(self, spy_channel: str, digit: str) -> Frame:
        # Received, not sent: the digit reaches ChanSpy on the spy channel as if the supervisor
        # had pressed it (its d option: 4 listen, 5 whisper, 6 barge), not the phone behind it.
        return await self.ami.action("PlayDTMF", Channel=spy_channel, Digit=digit, Receive="true")

    async def phone_answer(self, endpoint: str) -> Frame:
        # Most SIP desk phones (Yealink, Fanvil, Grandstream) answer on "Event: talk".
        return await self.ami.action("PJSIPNotify", Endpoint=endpoint, Variable="Event=talk")

    async def getvar(self, channel: str, variable: str) -> str:
        frame = await self.ami.action("Getvar", Channel=channel, Variable=variable)
        return frame.get("Value")
