"""Callbacks the dialplan kept by itself: a queued caller pressed 9 while the AGI was away.

``[hotline-queue-callback]`` (deploy/asterisk/etc/extensions.conf) runs the AGI ``callback``
script (``ivr/callback.py``) for a caller with a number who pressed 9. When the script does not
answer (the FastAGI server down, crashed or cut off half-way: ``HOTLINE_CALLBACK`` neither 1 nor
0), the dialplan does not put the caller back at the end of the queue: it keeps the request in
Asterisk's own database, ``AstDB`` (``hotline-callback/<linkedid>``, the family the dialplan's
``HOTLINE_CALLBACK_DB`` names, =
``caller|queue|priority|dnis|customer id|requested at|ivr path``, kept across an Asterisk
restart), tells the call model (``UserEvent(HotlineCallback, Source: dialplan)``: the queue leg
ends as a callback), tells the caller it is kept and says goodbye.

``DialplanCallbacks`` turns those records into ``CallbackRequested`` (``source="queue"``,
``entered_at`` the call's arrival, so the dialer still calls them back in the order they called)
and deletes each once published. It drains the family when its AMI connection comes up (the
records of a time when nothing of ours ran), at once on the dialplan's user event, and every
``interval`` seconds in case an event was missed. Published first, deleted second: a crash in
between publishes a record again, which the callback campaign ignores (its contact's
``source_key`` is the call id, as the AGI's own request is: a script that published and then
died before answering the dialplan adds nothing twice either).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from cti.ami import AmiClient, AmiError, Frame
from cti.bus import Bus
from ivr.callback import arrival_time
from ivr.events import CallbackRequested
from ivr.route import caller_number

log = logging.getLogger(__name__)

FAMILY = "hotline-callback"
FIELDS = ("caller", "queue", "priority", "dnis", "customer_id", "requested_at", "ivr_path")


def parse_record(call_id: str, value: str, now: Callable[[], float] = time.time) -> CallbackRequested | None:
    """One ``hotline-callback/<linkedid>`` value as the request it stands for (None: unreadable)."""
    parts = value.split("|")
    if len(parts) < 2 or not parts[0]:
        return None
    parts += [""] * (len(FIELDS) - len(parts))
    raw = dict(zip(FIELDS, parts, strict=False))
    # the 9 is only given to a caller ID that is a number (a digit, or + and a digit, first)
    caller = caller_number(raw["caller"]) or raw["caller"]
    return CallbackRequested(
        call_id=call_id,
        caller=caller,
        dnis=raw["dnis"],
        queue=raw["queue"],
        priority=_int(raw["priority"]),
        entered_at=arrival_time(call_id),
        requested_at=_float(raw["requested_at"]) or now(),
        customer_id=raw["customer_id"],
        ivr_path=tuple(p for p in raw["ivr_path"].split("/") if p),
        source="queue",
    )


class DialplanCallbacks:
    """Publishes the callback requests the dialplan kept in AstDB, and forgets them."""

    def __init__(self, ami: AmiClient, bus: Bus, *, interval: float = 30.0, family: str = FAMILY) -> None:
        self.ami = ami
        self.bus = bus
        self.interval = interval
        # the dialplan's HOTLINE_CALLBACK_DB: a test's calls set their own, so that a demo
        # beside them on one Asterisk does not take their records (nor they the demo's)
        self.family = family
        self._wake = asyncio.Event()
        self._unsubscribe = ami.on_event("UserEvent", self._on_user_event)
        ami.on_connection(self._on_connection)

    def _on_user_event(self, frame: Frame) -> None:
        if frame.get("UserEvent") == "HotlineCallback" and frame.get("Source") == "dialplan":
            self._wake.set()

    def _on_connection(self, connected: bool, reason: str) -> None:
        if connected:
            self._wake.set()

    async def drain(self) -> int:
        """Publish every record in ``hotline-callback``, then delete it; how many were published."""
        published = 0
        for frame in await self.ami.action_list("DBGetTree", Family=self.family):
            key = frame.get("Key").rsplit("/", 1)[-1]  # "/hotline-callback/<linkedid>"
            if not key:
                continue
            event = parse_record(key, frame.get("Val"))
            if event is None:
                log.warning("callback record %s unreadable (%r): removed", key, frame.get("Val"))
            else:
                await self.bus.publish(event)
                published += 1
                log.info(
                    "callback kept by the dialplan (AGI away) for %s in queue %s (%s)",
                    event.caller,
                    event.queue,
                    key,
                )
            with contextlib.suppress(AmiError):  # kept: published again next time, to no effect
                await self.ami.action("DBDel", Family=self.family, Key=key)
        return published

    async def run(self) -> None:
        """Drain on connecting, on the dialplan's event and every ``interval`` seconds."""
        self._wake.set()
        last = ""
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self._wake.wait()
                self._wake.clear()
                if not self.ami.connected:
                    continue
                try:
                    await self.drain()
                    last = ""
                except AmiError as exc:  # Asterisk going away meanwhile: the next connect drains
                    if repr(exc) != last:
                        log.warning("callbacks kept by the dialplan not read now: %r", exc)
                    last = repr(exc)
        finally:
            self._unsubscribe()


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
