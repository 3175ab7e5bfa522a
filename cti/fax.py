"""Sending a fax through Asterisk: one Originate, and the dialplan's report of how it went.

The dialplan's side (deploy/asterisk/etc/extensions.conf): ``Local/<number>@
hotline-fax-out/n`` rings the number through the trunk; once it answers, the
other half runs ``hotline-fax-send``, which is ``SendFAX(${FAXFILE})``. Exactly
one of them reports a ``UserEvent: HotlineFaxOut`` carrying our ``FaxId``:
``Status`` is SendFAX's FAXSTATUS (SUCCESS / FAILED, empty when the far end hung
up before the fax started) or, when nobody answered, the DIALSTATUS (BUSY,
NOANSWER, CONGESTION, CHANUNAVAIL).

It uses its own AMI connection with ``Events: user``: it needs only that event,
runs in whichever process delivers notifications (not necessarily the one
holding the bridge), and costs Asterisk nothing for the call events it skips.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from cti.ami.client import AmiClient
from cti.ami.protocol import Frame

log = logging.getLogger(__name__)

#: statuses that mean the number was not reached: worth trying again later
UNREACHED = frozenset({"BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL", "CANCEL"})


@dataclasses.dataclass(frozen=True, slots=True)
class FaxOutcome:
    status: str  # SUCCESS, FAILED, HANGUP, TIMEOUT or a DIALSTATUS
    pages: int = 0
    error: str = ""

    @property
    def sent(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def unreached(self) -> bool:
        return self.status in UNREACHED


class FaxSender:
    """Sends one TIFF to one number and waits for the dialplan's outcome."""

    def __init__(
        self,
        ami: AmiClient,
        *,
        caller_id: str = "95598",
        ring_seconds: int = 45,
        seconds_per_page: int = 60,
    ) -> None:
        self.ami = ami
        self.caller_id = caller_id
        self.ring_seconds = ring_seconds
        self.seconds_per_page = seconds_per_page
        self._waiting: dict[str, asyncio.Future[FaxOutcome]] = {}
        ami.on_event("UserEvent", self._on_user_event)

    async def send(self, number: str, tiff: str, fax_id: str, *, pages: int = 1) -> FaxOutcome:
        """Fax ``tiff`` (a path Asterisk sees) to ``number`` (digits only); ``fax_id`` names the
        attempt in the dialplan's report. AMI errors (Asterisk down) are raised as they are."""
        if not number.isdigit():
            raise ValueError(f"not a dialable number: {number!r}")
        if fax_id in self._waiting:
            raise ValueError(f"fax {fax_id} is being sent already")
        outcome: asyncio.Future[FaxOutcome] = asyncio.get_running_loop().create_future()
        self._waiting[fax_id] = outcome
        # Long enough for ringing, training and every page; a fax still going after this is lost anyway.
        patience = self.ring_seconds + 30 + self.seconds_per_page * max(pages, 1)
        try:
            await self.ami.action(
                "Originate",
                Channel=f"Local/{number}@hotline-fax-out/n",
                Context="hotline-fax-send",
                Exten="s",
                Priority=1,
                CallerID=f'"{self.caller_id}" <{self.caller_id}>',
                Variable=[f"FAXFILE={tiff}", f"FAXID={fax_id}", f"HOTLINE_FAX_RING={self.ring_seconds}"],
                Timeout=(self.ring_seconds + 15) * 1000,
                Async="true",
            )
            async with asyncio.timeout(patience):
                return await outcome
        except TimeoutError:
            return FaxOutcome("TIMEOUT", 0, f"no outcome from Asterisk within {patience} s")
        finally:
            self._waiting.pop(fax_id, None)

    def _on_user_event(self, frame: Frame) -> None:
        if frame.get("UserEvent") != "HotlineFaxOut":
            return
        waiting = self._waiting.get(frame.get("FaxId"))
        if waiting is None or waiting.done():
            return
        status = frame.get("Status") or "HANGUP"
        pages = frame.get("Pages")
        error = frame.get("Error") if status != "SUCCESS" else ""
        if status == "HANGUP" and not error:
            error = "the far end hung up before the fax started"
        waiting.set_result(FaxOutcome(status, int(pages) if pages.isdigit() else 0, error))
