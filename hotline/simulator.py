"""Simulated callers for the demo: real calls through the real Asterisk.

Each simulated call is an ``Originate`` of a Local channel into the
``hotline-inbound`` context (the same path a SIP trunk call takes), with a
caller number drawn from the demo customers (and some unknown numbers), and a
patience after which the caller hangs up if nobody answered.

The 95598 line answers with the IVR's main menu (deploy/ivr.yaml), which takes
longer to hear out than most callers wait, so callers do what real ones do:
most press a key for what they want while the menu plays (an agent, a fault, a
complaint, outage information), a few listen to the end, and now and then one
presses 4, 故障报修留言, and leaves a recorded message (``CALLER_INTENTS``): the
IVR's ``report_fault`` records it and publishes a ``VoicemailReceived``, which
ticketing turns into a voicemail event in an agent's inbox with its fault order.

With ``faxes_per_hour`` (and a ``recordings`` store to put the page where
Asterisk reads it) a customer's fax machine calls the fax line (``fax_number``,
routing's ``target: fax``) now and then: the hotline's own ``hotline-fax-send``
half sends a one-page TIFF by SendFAX into ``hotline-inbound``, whose
``hotline-fax-in`` receives it by ReceiveFAX and announces it (``HotlineFax``),
so the fax reaches the inbox as a real one does.

The inbox's other kinds have no inbound path in the product to simulate through:
SMS (the SMS gateway is outbound only, HTTP POST per message; nothing receives a
customer's SMS) and email (``ticketing.intake.receive_email`` takes a message,
but no mailbox or SMTP listener feeds it), nor web messages (客户留言). The demo
leaves those out rather than write rows past the paths.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

from cti.ami import AmiClient, AmiError
from recordings import RecordingStore

log = logging.getLogger(__name__)


#: What callers press at the main menu, and how many in twenty-one do (w: half a second's pause):
#: 0 an agent (queue service), 6 then 1 a fault (queue fault), 5 a complaint (queue complaint),
#: 1 outage information (self-service), nothing (the menu's time-outs queue them, if they wait),
#: 4 故障报修留言: a recorded message (``LEAVES_A_MESSAGE``), a voicemail event in the inbox.
CALLER_INTENTS: tuple[tuple[str, int], ...] = (
    ("0", 10),
    ("6ww1", 4),
    ("5", 2),
    ("1", 2),
    ("", 2),
    ("4", 1),
)
#: the keys of a caller who leaves a message, and how long they speak (seconds after the key,
#: the IVR's prompt included): the message ends when they hang up, as a real one's does
LEAVES_A_MESSAGE = "4"
MESSAGE_SECONDS = (10, 20)
#: the 95598 fax line (deploy/routing.yaml: ``target: fax``)
FAX_NUMBER = "95598009"
#: where the simulated customers' fax page lives, as Asterisk sees it
SIM_FAX_PAGE = "/var/spool/asterisk/fax/hotline-sim/customer-page.tif"


class CallerSimulator:
    def __init__(
        self,
        ami: AmiClient,
        numbers: Sequence[str],
        *,
        dnis: Sequence[str] = ("95598",),
        calls_per_minute: float = 6.0,
        patience: tuple[int, int] = (20, 90),
        unknown_share: float = 0.2,
        intents: Sequence[tuple[str, int]] = CALLER_INTENTS,
        key_delay: tuple[int, int] = (2, 8),
        variables: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        faxes_per_hour: float = 0.0,
        fax_number: str = FAX_NUMBER,
        recordings: RecordingStore | None = None,
    ) -> None:
        """``patience``: seconds a caller stays after pressing their key; ``key_delay``: seconds
        into the call when they press it; ``variables``: channel variables for every call;
        ``faxes_per_hour``: faxes sent to ``fax_number`` (0: none; needs ``recordings``, the
        store whose Asterisk reads the page)."""
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        if faxes_per_hour < 0 or (faxes_per_hour and recordings is None):
            raise ValueError("faxes need a rate of at least 0 and the recordings store")
        if any(weight < 0 for _, weight in intents) or sum(weight for _, weight in intents) <= 0:
            raise ValueError("intents need a positive weight in all")
        self.ami = ami
        self.numbers = list(numbers)
        self.dnis = list(dnis)
        self.interval = 60.0 / calls_per_minute
        self.patience = patience
        self.unknown_share = unknown_share
        self.keys = [keys for keys, _ in intents]
        self.weights = [weight for _, weight in intents]
        self.key_delay = key_delay
        self.variables = dict(variables or {})
        self.rng = rng or random.Random()
        self.placed = 0
        self.failed = 0
        self.fax_interval = 3600.0 / faxes_per_hour if faxes_per_hour else 0.0
        self.fax_number = fax_number
        self.recordings = recordings
        self.faxes_sent = 0
        self._fax_ids = itertools.count(1)

    def _caller(self) -> str:
        if not self.numbers or self.rng.random() < self.unknown_share:
            return "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))
        return self.rng.choice(self.numbers)

    def next_call(self) -> dict[str, str]:
        number = self._caller()
        keys = self.rng.choices(self.keys, self.weights)[0]
        variables = {
            **self.variables,
            "SIM_DTMF": keys,
            "SIM_DTMF_DELAY": str(self.rng.randint(*self.key_delay)),
        }
        # one who leaves a message speaks for a while and hangs up (the message is what was
        # recorded until then); the others wait as long as their patience lasts
        stay = MESSAGE_SECONDS if keys == LEAVES_A_MESSAGE else self.patience
        return {
            "Channel": f"Local/{self.rng.choice(self.dnis)}@hotline-inbound/n",
            "Context": "hotline-sim-dtmf-caller",
            "Exten": str(self.rng.randint(*stay)),
            "Priority": "1",
            "CallerID": f'"" <{number}>',
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "true",
        }

    async def place_one(self) -> None:
        try:
            await self.ami.action("Originate", **self.next_call())
            self.placed += 1
        except AmiError as exc:
            self.failed += 1
            log.warning("simulated call not placed: %s", exc)

    def fax_page(self) -> str:
        """The one-page fax the simulated customers send, written once (blocking: a thread);
        returns its path as Asterisk sees it."""
        from recordings import fax_out

        assert self.recordings is not None
        path = Path(self.recordings.host_path(SIM_FAX_PAGE))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            page = fax_out.render_text(
                "故障报修（传真）",
                "我单位配电房今日上午起停电，请尽快派人抢修。联系人：王先生。",
            )
            partial = path.with_suffix(".part.tif")
            fax_out.write_tiff(page, partial)
            partial.replace(path)
        return SIM_FAX_PAGE

    def next_fax(self, page: str) -> dict[str, str]:
        """A customer's fax machine calling the fax line: the ``hotline-inbound`` half is the
        hotline receiving (routing's ``target: fax``: ReceiveFAX), the other half sends ``page``
        with the product's own SendFAX context. Its ``HotlineFaxOut`` report names a fax id no
        outbox fax has (``sim-…``), which the fax sender ignores."""
        variables = {**self.variables, "FAXFILE": page, "FAXID": f"sim-{next(self._fax_ids)}"}
        return {
            "Channel": f"Local/{self.fax_number}@hotline-inbound/n",
            "Context": "hotline-fax-send",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f'"" <{self._caller()}>',
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "true",
        }

    async def send_fax(self) -> None:
        try:
            page = await asyncio.to_thread(self.fax_page)
            await self.ami.action("Originate", **self.next_fax(page))
            self.faxes_sent += 1
        except (AmiError, OSError) as exc:
            self.failed += 1
            log.warning("simulated fax not sent: %s", exc)

    async def run(self) -> None:
        """Place calls with exponential gaps (a Poisson arrival process) until cancelled, and
        send faxes the same way at their own, lower, rate."""
        if not self.fax_interval:
            await self._calls()
            return
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._calls())
            tasks.create_task(self._faxes())

    async def _calls(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.interval))
            if self.ami.connected:
                await self.place_one()

    async def _faxes(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.fax_interval))
            if self.ami.connected:
                await self.send_fax()
