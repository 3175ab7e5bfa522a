"""The ``route`` FastAGI script: decide where an inbound call goes and tell the dialplan.

Called as ``AGI(agi://127.0.0.1:4573/route)`` from ``[hotline-inbound]``. It looks
up the caller's profile (injected hook, bounded by a time-out), asks
``cti.routing.decide``, runs the IVR flow when the number's entry point is one,
and sets the channel variables the dialplan acts on:

=========================  ==========================================================
HOTLINE_ACTION             queue | voicemail | hangup | fax (set last; fax: [hotline-fax-in])
CHANNEL(language)          the line's language (ivr.yaml ``language``/``number_languages``), first
HOTLINE_QUEUE, QUEUE_PRIO  the queue and the caller's priority in it
HOTLINE_QUEUE_TIMEOUT      seconds in that queue before overflow ('' = dialplan default)
HOTLINE_OVERFLOW           queue:NAME | voicemail ('' = voicemail)
HOTLINE_OVERFLOW_TIMEOUT   seconds in the overflow queue
HOTLINE_VM_REASON          why a caller is sent to voicemail (after_hours, ivr, …)
HOTLINE_CUSTOMER_ID        the matched customer, for the screen-pop
HOTLINE_IVR_PATH           the caller's IVR choices, ``/``-separated
HOTLINE_SURVEY             1: keep the caller for the satisfaction survey after the agent hangs up
=========================  ==========================================================

If anything fails before ``HOTLINE_ACTION`` is set, the dialplan's defaults
(default queue, priority 0) still route the call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable

from cti.bus import Bus
from cti.phones import InvalidPhoneNumber, normalize
from cti.routing import CallerProfile, ProfileLookup, RoutingConfig, RoutingDecision, decide, queue_decision
from ivr.agi import AgiHangup
from ivr.events import IvrFinished
from ivr.flows import IvrConfig
from ivr.menus import FlowOutcome, IvrCall, offered, run_flow
from ivr.selfservice import SelfServiceHooks
from ivr.session import AgiSession
from recordings.store import RecordingStore

log = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class IvrServices:
    """Everything the IVR scripts need, injected by the composition root."""

    routing: RoutingConfig
    flows: IvrConfig
    bus: Bus
    store: RecordingStore  # where voicemail left in the IVR is found
    profile_lookup: ProfileLookup | None = None
    hooks: SelfServiceHooks = dataclasses.field(default_factory=SelfServiceHooks)
    clock: Callable[[], dt.datetime] = _utc_now

    def __post_init__(self) -> None:
        for flow in self.flows.flows.values():
            for menu in flow.menus.values():
                for key, step in menu.choices.items():
                    if not offered(step, self.hooks):
                        log.warning(
                            "flow %s menu %s: %s (key %s) has no data hook; the key is refused, "
                            "take it out of the menu and its prompt",
                            flow.name,
                            menu.name,
                            step.kind,
                            key,
                        )


class RouteScript:
    def __init__(self, services: IvrServices) -> None:
        self.services = services

    async def __call__(self, session: AgiSession) -> None:
        s = self.services
        entered_at = time.time()
        env = session.env
        dnis = env.get("extension", "")
        caller = caller_number(env.get("callerid", ""))
        call_id = await session.get_variable("${CHANNEL(linkedid)}") or env.get("uniqueid", "")
        # Before anything is played: the IVR, the queue's announcements and voicemail
        # all speak the line's language.
        await session.set_variable("CHANNEL(language)", s.flows.language_for(dnis))
        profile = await self._profile(caller)
        decision = decide(s.routing, dnis, caller, s.clock(), profile)
        log.info("route %s %s -> %s: %s", call_id, dnis, decision.action, decision.reason)
        if decision.action == "ivr":
            decision = await self._run_ivr(session, decision, call_id, caller, dnis, entered_at)
        await apply_decision(session, decision)

    async def _profile(self, caller: str) -> CallerProfile | None:
        lookup = self.services.profile_lookup
        if lookup is None or not caller or not self.services.routing.needs_profile:
            return None
        try:
            async with asyncio.timeout(self.services.routing.profile_timeout):
                return await lookup(caller)
        except Exception as exc:  # routing must not wait on or fail with ticketing
            log.warning("caller profile lookup for %s failed (%r); routing without it", caller, exc)
            return None

    async def _run_ivr(
        self,
        session: AgiSession,
        decision: RoutingDecision,
        call_id: str,
        caller: str,
        dnis: str,
        entered_at: float,
    ) -> RoutingDecision:
        s = self.services
        flow = s.flows.flows.get(decision.ivr)
        if flow is None:
            log.error("routing names IVR flow %r which is not loaded; default queue", decision.ivr)
            return queue_decision(s.routing, s.routing.default_queue, decision.priority, "missing flow")
        call = IvrCall(
            session=session,
            ivr_config=s.flows,
            hooks=s.hooks,
            bus=s.bus,
            store=s.store,
            call_id=call_id,
            caller=caller,
            dnis=dnis,
            entered_at=entered_at,
            now=lambda: s.clock().timestamp(),
            priority=decision.priority,
            customer_id=decision.customer_id,
            callback_queue=flow.callback_queue or s.routing.default_queue,
            timezone=s.routing.timezone,
            language=s.flows.language_for(dnis),
        )
        try:
            outcome = await run_flow(flow, call)
        except AgiHangup:
            await self._finished(call, FlowOutcome("caller_hangup"))
            raise
        await self._finished(call, outcome)
        why = f"ivr {flow.name}: {'/'.join(call.path)}"
        if outcome.kind == "queue":
            return queue_decision(
                s.routing, outcome.queue, decision.priority, why, decision.customer_id, decision.survey
            )
        return RoutingDecision(
            action=outcome.kind,  # type: ignore[arg-type]
            reason=why,
            customer_id=decision.customer_id,
            # a message left in a closed line's flow (the 400 line's 非工作时间菜单) is an
            # after-hours one, not a menu's (QA #15)
            vm_reason=(decision.vm_reason or "ivr") if outcome.kind == "voicemail" else "",
        )

    async def _finished(self, call: IvrCall, outcome: FlowOutcome) -> None:
        kind = "self_service" if outcome.kind == "hangup" and call.used else outcome.kind
        await self.services.bus.publish(
            IvrFinished(
                call_id=call.call_id,
                caller=call.caller,
                dnis=call.dnis,
                flow=call.flow,
                path=tuple(call.path),
                outcome=kind,
                queue=outcome.queue,
                self_service=tuple(call.used),
            )
        )


async def apply_decision(session: AgiSession, decision: RoutingDecision) -> None:
    def text(value: int | None) -> str:
        return "" if value is None else str(value)

    if decision.action == "queue":
        await session.set_variable("HOTLINE_QUEUE", decision.queue)
        await session.set_variable("QUEUE_PRIO", decision.priority)
        await session.set_variable("HOTLINE_QUEUE_TIMEOUT", text(decision.queue_timeout))
        await session.set_variable("HOTLINE_OVERFLOW", decision.overflow)
        await session.set_variable("HOTLINE_OVERFLOW_TIMEOUT", text(decision.overflow_timeout))
    if decision.action == "queue" and decision.survey:
        await session.set_variable("HOTLINE_SURVEY", "1")
    if decision.action == "voicemail":
        await session.set_variable("HOTLINE_VM_REASON", decision.vm_reason)
    if decision.customer_id:
        await session.set_variable("HOTLINE_CUSTOMER_ID", decision.customer_id)
    await session.set_variable("HOTLINE_ROUTE_REASON", decision.reason[:200])
    await session.set_variable("HOTLINE_ACTION", decision.action)


def caller_number(raw: str) -> str:
    """The caller's number, normalised; '' for unknown or anonymous callers."""
    if not raw or raw.lower() in ("unknown", "anonymous"):
        return ""
    try:
        return normalize(raw)
    except InvalidPhoneNumber:
        return ""
