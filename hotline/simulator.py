"""Simulated callers for the demo: real calls through the real Asterisk.

Each simulated call is an ``Originate`` of a Local channel into the
``hotline-inbound`` context (the same path a SIP trunk call takes), with a
caller number drawn from the demo customers (and some unknown numbers), and a
patience after which the caller hangs up if nobody answered.

The 95598 line answers with the IVR's main menu (deploy/ivr.yaml), which takes
longer to hear out than most callers wait, so callers do what real ones do:
most press a key for what they want while the menu plays (an agent, a fault, a
complaint, outage information) and a few listen to the end (``CALLER_INTENTS``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence

from cti.ami import AmiClient, AmiError

log = logging.getLogger(__name__)


#: What callers press at the main menu, and how many in ten do (w: half a second's pause):
#: 0 an agent (queue service), 6 then 1 a fault (queue fault), 5 a complaint (queue complaint),
#: 1 outage information (self-service), nothing (the menu's time-outs queue them, if they wait).
CALLER_INTENTS: tuple[tuple[str, int], ...] = (("0", 5), ("6ww1", 2), ("5", 1), ("1", 1), ("", 1))


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
    ) -> None:
        """``patience``: seconds a caller stays after pressing their key; ``key_delay``: seconds
        into the call when they press it; ``variables``: channel variables for every call."""
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
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

    def next_call(self) -> dict[str, str]:
        if not self.numbers or self.rng.random() < self.unknown_share:
            number = "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))
        else:
            number = self.rng.choice(self.numbers)
        keys = self.rng.choices(self.keys, self.weights)[0]
        variables = {
            **self.variables,
            "SIM_DTMF": keys,
            "SIM_DTMF_DELAY": str(self.rng.randint(*self.key_delay)),
        }
        return {
            "Channel": f"Local/{self.rng.choice(self.dnis)}@hotline-inbound/n",
            "Context": "hotline-sim-dtmf-caller",
            "Exten": str(self.rng.randint(*self.patience)),
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

    async def run(self) -> None:
        """Place calls with exponential gaps (a Poisson arrival process) until cancelled."""
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.interval))
            if self.ami.connected:
                await self.place_one()
