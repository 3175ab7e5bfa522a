"""Simulated callers for the demo: real calls through the real Asterisk.

Each simulated call is an ``Originate`` of a Local channel into the
``hotline-inbound`` context (the same path a SIP trunk call takes), with a
caller number drawn from the demo customers (and some unknown numbers), and a
patience after which the caller hangs up if nobody answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

from cti.ami import AmiClient, AmiError

log = logging.getLogger(__name__)


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
        rng: random.Random | None = None,
    ) -> None:
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        self.ami = ami
        self.numbers = list(numbers)
        self.dnis = list(dnis)
        self.interval = 60.0 / calls_per_minute
        self.patience = patience
        self.unknown_share = unknown_share
        self.rng = rng or random.Random()
        self.placed = 0
        self.failed = 0

    def next_call(self) -> dict[str, str]:
        if not self.numbers or self.rng.random() < self.unknown_share:
            number = "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))
        else:
            number = self.rng.choice(self.numbers)
        return {
            "Channel": f"Local/{self.rng.choice(self.dnis)}@hotline-inbound/n",
            "Context": "hotline-sim-caller",
            "Exten": str(self.rng.randint(*self.patience)),
            "Priority": "1",
            "CallerID": f'"" <{number}>',
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
