"""Call capacity: rising inbound rates through the real Asterisk with the real bridge watching.

The bridge (real ``CtiBridge``, in-process bus, no customer lookup) logs in
``--agents`` simulated agents on bench-a (answer at once, talk 1 s). For each
rate in ``--rates``, a separate process (``capture.originate`` in
``python -m bench.capacity --load``) originates callers for ``--seconds``, so
that the bridge process's CPU is the bridge's own. Per step:

* every call accounted for: ``CallStarted`` and ``CallEnded`` seen for each
  originated caller, and how many were answered;
* the bridge's event lag: wall time at dispatch minus Asterisk's ``Timestamp``
  on the model's events (p50, p99, max): it grows without bound once the
  bridge falls behind;
* the bridge process's CPU as a share of one core.

Asterisk's own limit here is 400-500 calls/s (ASTERISK.md); the load is
shared with everyone else on the machine, so keep steps short.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from bench.capture import BENCH_PREFIX, Load, _originate_all
from bench.figures import record, spread, table
from bench.sim_agents import sign_in, sign_out

QUEUE = "bench-a"
LAG_EVENTS = ("Newchannel", "AgentCalled", "AgentConnect", "BridgeEnter", "Hangup")


async def _load(rate: float, seconds: float) -> dict[str, int]:
    from cti.ami import AmiClient

    load = Load(rate=rate, seconds=seconds, queues=(QUEUE,))
    ami = AmiClient(load.host, load.port, load.username, load.secret, events="off")
    async with ami:
        sent, failed = await _originate_all(ami, load)
    return {"sent": sent, "failed": failed}


async def run(agents: int, rates: list[float], seconds: float, first_ext: int = 3100) -> list[dict[str, Any]]:
    from cti.ami import AmiClient
    from cti.bridge import CtiBridge, CtiSettings
    from cti.bus import InProcessBus
    from cti.call_events import CallAnswered, CallEnded, CallStarted

    settings = CtiSettings.from_env()
    settings.replay_history = False
    bus = InProcessBus(retain=10_000)
    bridge = CtiBridge(settings, bus)
    lags: list[float] = []

    def lag(frame: Any) -> None:
        ts = frame.timestamp
        if ts:
            lags.append((time.time() - ts) * 1000)

    for name in LAG_EVENTS:
        bridge.ami.on_event(name, lag)
    seen: dict[str, set[str]] = {"started": set(), "ended": set(), "answered": set()}

    async def on_event(event: Any) -> None:
        caller = getattr(event, "caller", "")
        if isinstance(event, CallStarted) and caller.startswith(BENCH_PREFIX):
            seen["started"].add(event.call_id)
        elif isinstance(event, CallAnswered) and event.call_id in seen["started"]:
            seen["answered"].add(event.call_id)
        elif isinstance(event, CallEnded) and event.call_id in seen["started"]:
            seen["ended"].add(event.call_id)

    subscription = bus.subscribe(on_event, types=[CallStarted, CallAnswered, CallEnded])
    control = AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret, events="off"
    )
    exts = [str(first_ext + n) for n in range(agents)]
    steps = []
    await bridge.start()
    await bridge.wait_connected()
    await control.start()
    await control.wait_connected()
    try:
        await sign_in(bridge, control, exts, "cap", QUEUE)
        await asyncio.sleep(1.0)
        for rate in rates:
            for s in seen.values():
                s.clear()
            lags.clear()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.capacity", "--load", "--rate", str(rate), "--seconds", str(seconds),
                stdout=subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate()
            load = json.loads(out.decode().strip().splitlines()[-1])
            deadline = asyncio.get_running_loop().time() + 20
            left = load["sent"] - load["failed"]
            # Polling once per step is fine: the bus has no "all ended" signal.
            while len(seen["ended"]) < left and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            await bridge.flush()
            steps.append(
                {
                    "rate": rate,
                    "originated": load["sent"],
                    "refused": load["failed"],
                    "started": len(seen["started"]),
                    "answered": len(seen["answered"]),
                    "ended": len(seen["ended"]),
                    "lag_ms": spread(lags),
                    "cpu_percent": cpu / wall * 100,
                    "seconds": wall,
                }
            )
            print(f"  {rate:g} calls/s: {steps[-1]['ended']}/{load['sent']} ended, lag p99 {steps[-1]['lag_ms']['p99']:.1f} ms, "
                  f"{steps[-1]['cpu_percent']:.0f} % CPU", flush=True)  # fmt: skip
            await asyncio.sleep(2.0)
    finally:
        await sign_out(bridge, control, exts, "cap")
        await control.stop()
        await subscription.close()
        await bridge.stop()
        await bus.close()
    return steps


def report(steps: list[dict[str, Any]], agents: int) -> str:
    record("capacity", {"agents": agents, "steps": steps})
    rows = []
    for s in steps:
        lag = s["lag_ms"]
        rows.append(
            [
                f"{s['rate']:g}",
                f"{s['ended']} / {s['originated']}",
                s["answered"],
                s["refused"],
                f"{lag['p50']:.1f} / {lag['p99']:.1f} / {lag['max']:.1f}",
                f"{s['cpu_percent']:.0f} %",
            ]
        )
    return table(
        f"Call capacity: real Asterisk + real bridge, {agents} agents",
        [
            "calls/s",
            "ended / originated",
            "answered",
            "refused",
            "bridge lag p50 / p99 / max ms",
            "bridge CPU",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity")
    parser.add_argument("--load", action="store_true", help="(internal) originate the callers and exit")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args(argv)
    if args.load:
        print(json.dumps(asyncio.run(_load(args.rate, args.seconds))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
