"""Screen-pop latency through the real Asterisk and the real bridge, with the customer matched.

Setup: the real ``CtiBridge`` connected to the real Asterisk, its
``customer_lookup`` the ticketing core's ``screen_pop_hook`` on the 1 M
customer SQLite population; ``--agents`` agents logged in by the bridge itself
(``login`` + ``ready``: QueueAdd on bench-a, simulated phones
``Local/<ext>@hotline-sim-phone/n`` that answer at once and talk 1 s). Callers
arrive at ``--rate`` per second through ``hotline-inbound`` (DNIS 95598), each
with the mobile number of a random customer.

Per call, three clocks (one monotonic clock, one process):

* Originate sent → ``AgentCalled`` read off AMI by the bridge's client: the
  Asterisk side, the floor;
* ``AgentCalled`` read → ``CallOffered`` *with the customer matched* delivered
  by the bus to a subscriber: what the bridge adds (model, lookup, publish);
* Originate → that delivery: end to end.

Not included: the websocket hop to the agent's browser (see ``fanout``: one
message to one tab is a few hundred µs of that figure).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bench.figures import record, spread, table
from bench.population import mobile
from bench.sim_agents import sign_in, sign_out

QUEUE = "bench-a"


async def run(
    agents: int, rate: float, seconds: float, customers: int, first_ext: int = 3100
) -> dict[str, Any]:
    from bench import population
    from cti.ami import AmiClient
    from cti.bridge import CtiBridge, CtiSettings
    from cti.bus import InProcessBus
    from cti.call_events import CallOffered
    from ticketing import create_engine, screen_pop_hook, sessionmaker

    url = await population.ensure("sqlite", customers, clean=True)
    engine = create_engine(url)
    settings = CtiSettings.from_env()
    settings.replay_history = False
    bus = InProcessBus()
    bridge = CtiBridge(settings, bus, customer_lookup=screen_pop_hook(sessionmaker(engine)))
    sent: dict[str, float] = {}
    called: dict[str, float] = {}
    offered: dict[str, float] = {}
    matched: dict[str, bool] = {}
    bridge.ami.on_event("AgentCalled", lambda f: called.setdefault(f.get("CallerIDNum"), time.monotonic()))

    async def on_offered(event: Any) -> None:
        if isinstance(event, CallOffered) and event.caller in sent:
            offered.setdefault(event.caller, time.monotonic())
            matched.setdefault(event.caller, bool(event.customer))

    subscription = bus.subscribe(on_offered, types=[CallOffered])
    control = AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret, events="off"
    )
    exts = [str(first_ext + n) for n in range(agents)]
    await bridge.start()
    await bridge.wait_connected()
    await control.start()
    await control.wait_connected()
    try:
        await sign_in(bridge, control, exts, "sp", QUEUE)
        await asyncio.sleep(1.0)
        rng = random.Random(20)
        loop = asyncio.get_running_loop()
        start = loop.time()
        total = int(rate * seconds)
        tasks = []
        for n in range(total):
            delay = start + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            number = mobile(rng.randint(1, customers))
            while number in sent:
                number = mobile(rng.randint(1, customers))
            sent[number] = time.monotonic()
            tasks.append(
                loop.create_task(
                    control.action(
                        "Originate",
                        Channel="Local/95598@hotline-inbound/n",
                        Context="hotline-sim-caller",
                        Exten="10",
                        Priority=1,
                        CallerID=f'"Bench" <{number}>',
                        Variable=[f"__HOTLINE_QUEUE={QUEUE}"],
                        Async="true",
                    )
                )
            )
        refused = sum(
            isinstance(r, BaseException) for r in await asyncio.gather(*tasks, return_exceptions=True)
        )
        deadline = loop.time() + 15
        while len(offered) < total - refused and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.5)  # let the last calls finish before the agents leave
    finally:
        await sign_out(bridge, control, exts, "sp")
        await control.stop()
        await subscription.close()
        await bridge.stop()
        await bus.close()
        await engine.dispose()
    both = [k for k in offered if k in called]
    return {
        "agents": agents,
        "rate": rate,
        "calls": len(sent),
        "refused": refused,
        "offered": len(offered),
        "matched": sum(matched.values()),
        "end_to_end_ms": spread([(offered[k] - sent[k]) * 1000 for k in offered]),
        "asterisk_ms": spread([(called[k] - sent[k]) * 1000 for k in called if k in sent]),
        "bridge_ms": spread([(offered[k] - called[k]) * 1000 for k in both]),
    }


def report(got: dict[str, Any]) -> str:
    record("screenpop", got)
    rows = []
    for key, label in (
        ("asterisk_ms", "Originate → AgentCalled on AMI (Asterisk, the floor)"),
        ("bridge_ms", "AgentCalled → CallOffered with customer on the bus (the bridge adds)"),
        ("end_to_end_ms", "Originate → CallOffered with customer on the bus (end to end)"),
    ):
        s = got[key]
        rows.append([label, f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['max']:.2f}", s["n"]])
    title = (
        f"Screen-pop latency: {got['agents']} agents, {got['rate']:g} calls/s, {got['calls']} calls "
        f"({got['offered']} offered, {got['matched']} with the customer matched, {got['refused']} refused)"
    )
    return table(title, ["span", "p50 ms", "p99 ms", "max ms", "calls"], rows)
