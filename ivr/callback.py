"""The ``callback`` FastAGI script: a queued caller pressed 9 to be called back.

``[hotline-queue-exit]`` runs it when a caller leaves the queue with 9. It
publishes ``CallbackRequested`` with the time the call arrived (the integer
part of the linkedid is the first channel's creation time), so the dialer
calls people back in the order they called: the caller keeps their place. It
says so to the call model (``UserEvent(HotlineCallback)``: the queue leg's outcome is
``callback``) and sets ``HOTLINE_CALLBACK=1`` before saying goodbye. Without an answer from here
(the AGI server down, crashed or cut off: neither 1 nor 0) the dialplan keeps the request itself
and the caller their place (``ivr/callback_spool.py`` publishes it). A caller whose number is withheld
has nothing to be called back on: the queue's periodic announcement does not offer
them 9 (``[hotline-queue]`` sets their channel's language to ``<language>_withheld``,
whose ``hotline/queue-callback`` only asks them to hold), and should they press it
anyway nothing happens: ``[hotline-queue-exit]`` has a 9 only for a caller ID that is a number
(``9/_X!``, ``9/_+X!``), so app_queue keeps them where they were. The refusal below is for a
dialplan that sends them here all the same: told a callback needs their number, they are queued
again (``HOTLINE_CALLBACK=0``: the dialplan must not keep a request for them).
"""

from __future__ import annotations

import logging
import time

from ivr.events import CallbackRequested
from ivr.route import IvrServices, caller_number
from ivr.session import AgiSession

log = logging.getLogger(__name__)


class CallbackScript:
    def __init__(self, services: IvrServices) -> None:
        self.services = services

    async def __call__(self, session: AgiSession) -> None:
        s = self.services
        call_id = await session.get_variable("${CHANNEL(linkedid)}") or session.env.get("uniqueid", "")
        queue = await session.get_variable("HOTLINE_IN_QUEUE") or s.routing.default_queue
        caller = caller_number(session.env.get("callerid", ""))
        if not caller:
            # promising a call nobody can place would lose the caller's place for nothing
            log.info("callback refused in queue %s: no caller number (%s)", queue, call_id)
            await session.set_variable("HOTLINE_CALLBACK", "0")
            for sound in s.flows.prompt("callback_needs_number"):
                await session.stream_file(sound)
            return
        path = await session.get_variable("HOTLINE_IVR_PATH")
        event = CallbackRequested(
            call_id=call_id,
            caller=caller,
            dnis=await session.get_variable("HOTLINE_DNIS"),
            queue=queue,
            priority=_int(await session.get_variable("QUEUE_PRIO")),
            entered_at=arrival_time(call_id),
            requested_at=time.time(),
            customer_id=await session.get_variable("HOTLINE_CUSTOMER_ID"),
            ivr_path=tuple(p for p in path.split("/") if p),
            source="queue",
        )
        await s.bus.publish(event)
        log.info("callback requested from queue %s by %s (%s)", queue, event.caller, call_id)
        # the call model counts the queue leg as a callback: neither answered nor abandoned, and
        # no 未接来电 for a caller already in the callback campaign
        await session.user_event("HotlineCallback", Queue=queue, Linkedid=call_id)
        await session.set_variable("HOTLINE_CALLBACK", "1")
        for key in ("callback_saved", "goodbye"):
            for sound in s.flows.prompt(key):
                await session.stream_file(sound)


def arrival_time(call_id: str) -> float:
    """When the call arrived, from Asterisk's id ("<epoch>.<sequence>", after "<systemname>-" on
    an Asterisk with one: several servers); now if it is not one."""
    try:
        return float(call_id.rsplit("-", 1)[-1].split(".", 1)[0])
    except ValueError:
        return time.time()


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
