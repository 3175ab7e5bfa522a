"""Call capacity: rising inbound rates through the real Asterisk with the real bridge watching.

The bridge (real ``CtiBridge``, in-process bus, no customer lookup) logs in
``--agents`` simulated agents on bench-a (answer at once, talk 1 s). For each
rate in ``--rates``, a separate process (``python -m bench.capacity --load``)
originates callers for ``--seconds``, so that the bridge process's CPU is the
bridge's own. Per step:

* every call accounted for: ``CallStarted`` and ``CallEnded`` seen for each
  originated caller, and how many were answered;
* the event lag: wall time at dispatch minus Asterisk's own ``Timestamp`` on
  the model's events (p50, p99, max). It covers Asterisk's side too (a busy
  Asterisk stamps an event long before it writes it), so beside it:
* the bridge's own lag: how late the bridge's event loop runs a 5 ms timer
  (p99, max). While it stays small the bridge reads everything as it arrives;
* the CPU of the bridge process and of Asterisk, each as a share of one core,
  Asterisk's CPU per call, and how busy the whole machine was. The "limit"
  column names the side that ran out: the bridge when it used most of its one
  core; Asterisk when it used (nearly) every core or left calls unfinished;
  the machine when neither did but every core was busy (Asterisk, the load
  generator and whatever else runs there) and the loop ran late.

``--entry signalling`` (the default) uses the silent hotline-bench-* contexts:
Local channels, the same queue and AMI events, no audio, as ASTERISK.md
measured Asterisk's own 400-500 calls/s. ``--entry inbound`` takes the
product's path: hotline-inbound with its routing AGI, MixMonitor recording and
simulated phones that play tones, which costs Asterisk several times more per
call."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import replay
from bench.capture import BENCH_PREFIX, Load, _originate_all
from bench.figures import record, spread, table
from bench.sim_agents import sign_in, sign_out

QUEUE = "bench-a"
LAG_EVENTS = ("Newchannel", "AgentCalled", "AgentConnect", "BridgeEnter", "Hangup")
ENTRIES = ("signalling", "inbound")
TICK = 0.005  # the bridge loop's lag probe
BUSY_SHARE = 0.9  # of all cores: Asterisk counts as the limit above this


def asterisk_cpu() -> float:
    """CPU seconds used so far by the running Asterisk (it runs in a chroot, but in our /proc)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        if stat[stat.index("(") + 1 : stat.rindex(")")] == "asterisk":
            fields = stat[stat.rindex(")") + 2 :].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return math.nan


async def _load(rate: float, seconds: float, entry: str) -> dict[str, int]:
    from cti.ami import AmiClient

    load = Load(rate=rate, seconds=seconds, queues=(QUEUE,), entry=entry)
    ami = AmiClient(load.host, load.port, load.username, load.secret, events="off")
    async with ami:
        sent, failed = await _originate_all(ami, load)
    return {"sent": sent, "failed": failed}


class LoopLag:
    """How late the event loop runs a timer that asks to run every ``TICK``: the bridge's own backlog."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.samples.append((loop.time() - due) * 1000)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def hang_up_leftovers(control: Any) -> None:
    """Hang up whatever a signalling run left behind (its own hotline-bench-* contexts only:
    the product path's contexts are shared with everyone else's calls)."""
    with contextlib.suppress(Exception):
        await control.action("Hangup", Channel="/@hotline-bench-/", timeout=30)


async def clear_queue(control: Any, queue: str) -> None:
    frames = await control.action_list("QueueStatus", Queue=queue, timeout=30)
    for frame in frames:
        if frame.get("Event") == "QueueMember":
            with contextlib.suppress(Exception):
                await control.action("QueueRemove", Queue=queue, Interface=frame.get("Location"))


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def limit_of(step: dict[str, Any]) -> str:
    """Which side ran out. The bridge is one thread: it is the limit only when it uses (nearly) a whole core.

    A late event loop while the bridge itself is far from a full core means the
    process was waiting for a CPU: the machine's cores were all busy (Asterisk, the
    load generator, anything else), not the bridge.
    """
    cores = os.cpu_count() or 1
    unfinished = step["ended"] < step["originated"] - step["refused"]
    if step["cpu_percent"] > 80:
        return "bridge"
    if step["asterisk_cpu_percent"] > BUSY_SHARE * 100 * cores or unfinished:
        return "Asterisk"
    if step["machine_busy_percent"] > BUSY_SHARE * 100 or step["loop_lag_ms"]["p99"] > 10:
        return "machine (every core busy)"
    return "none"


async def run(
    agents: int, rates: list[float], seconds: float, entry: str = "signalling", first_ext: int = 3100
) -> list[dict[str, Any]]:
    from cti.ami import AmiClient
    from cti.bridge import CtiBridge
    from cti.bus import InProcessBus
    from cti.call_events import CallAnswered, CallEnded, CallStarted
    from hotline.config import load_settings
    from hotline.runtime import cti_settings

    settings = cti_settings(load_settings())
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
    phone_context = Load(entry=entry).phone_context
    exts = [str(first_ext + n) for n in range(agents)]
    steps = []
    loop_lag = LoopLag()
    await control.start()
    await control.wait_connected()
    await clear_queue(control, QUEUE)  # members left by an interrupted run
    await bridge.start()
    await bridge.wait_connected()
    try:
        await sign_in(bridge, control, exts, "cap", QUEUE, phone_context)
        await asyncio.sleep(1.0)
        loop_lag.start()
        for step_no, rate in enumerate(rates):
            for s in seen.values():
                s.clear()
            lags.clear()
            loop_lag.samples.clear()
            cpu0, wall0, ast0, box0 = time.process_time(), time.perf_counter(), asterisk_cpu(), machine_busy()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.capacity", "--load", "--rate", str(rate),
                "--seconds", str(seconds), "--entry", entry, stdout=subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate()
            load = json.loads(out.decode().strip().splitlines()[-1])
            deadline = asyncio.get_running_loop().time() + 20
            left = load["sent"] - load["failed"]
            # Polling once per step is fine: the bus has no "all ended" signal.
            while len(seen["ended"]) < left and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            ast_cpu = asterisk_cpu() - ast0
            box1 = machine_busy()
            await bridge.flush()
            step = {
                "rate": rate,
                "entry": entry,
                "originated": load["sent"],
                "refused": load["failed"],
                "started": len(seen["started"]),
                "answered": len(seen["answered"]),
                "ended": len(seen["ended"]),
                "lag_ms": spread(lags),
                "loop_lag_ms": spread(loop_lag.samples),
                "cpu_percent": cpu / wall * 100,
                "asterisk_cpu_percent": ast_cpu / wall * 100,
                "asterisk_ms_per_call": ast_cpu * 1000 / max(load["sent"], 1),
                "machine_busy_percent": (box1[0] - box0[0]) / max(box1[1] - box0[1], 1) * 100,
                "seconds": wall,
            }
            step["limit"] = limit_of(step)
            steps.append(step)
            print(f"  {rate:g} calls/s: {step['ended']}/{load['sent']} ended, lag p99 {step['lag_ms']['p99']:.1f} ms, "
                  f"loop lag p99 {step['loop_lag_ms']['p99']:.1f} ms, bridge {step['cpu_percent']:.0f} % CPU, "
                  f"Asterisk {step['asterisk_cpu_percent']:.0f} % CPU", flush=True)  # fmt: skip
            if step["ended"] < left:
                # Past the sustainable rate: a higher step only buries Asterisk deeper (here it
                # left channels stuck for good), and proves nothing more.
                print(f"  stopping the ramp: {left - step['ended']} calls did not end at {rate:g} calls/s")
                break
            if step_no < len(rates) - 1:
                await asyncio.sleep(2.0)  # a quiet moment between steps, none after the last
    finally:
        await loop_lag.stop()
        await hang_up_leftovers(control)
        await sign_out(bridge, control, exts, "cap")
        await control.stop()
        await subscription.close()
        await bridge.stop()
        await bus.close()
    return steps


@dataclass
class ReplayPlan:
    calls_per_second: float
    events_per_call: float
    events_per_second: float
    events: int
    stream: Path
    capture: Path


def replay_plan(calls_per_second: float, seconds: float, capture: Path) -> ReplayPlan:
    """How many of the capture's events, at what rate, make ``calls_per_second`` for ``seconds``."""
    raw = capture.read_bytes()
    calls = raw.count(b"Event: QueueCallerJoin\r\n")
    if not calls:
        raise ValueError(f"{capture} holds no queued call")
    per_call = len(replay.frames_of(raw)) / calls
    rate = calls_per_second * per_call
    events = int(rate * seconds)
    return ReplayPlan(calls_per_second, per_call, rate, events, replay.expand(capture, events), capture)


async def replayed(plan: ReplayPlan, seconds: float) -> dict[str, Any]:
    """The bridge alone, fed the recorded stream of real queued calls at the plan's rate.

    Where Asterisk on this machine cannot make that many calls, this still tells
    whether the bridge could follow them: the replay (its own process) sends the
    capture's events at the matching rate with every ``Timestamp`` set to the
    moment of sending, and the lag is measured as in the live steps.
    """
    from bench.ami_consumers import END
    from bench.bridge_harness import BridgeUnderTest, recordings_root

    rate, events, capture = plan.events_per_second, plan.events, plan.capture
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.replay", "--capture", str(plan.stream), "--events", str(events),
        "--rate", f"{rate:.1f}", "--stamp", stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    port = int((await proc.stdout.readline()).decode())
    lags: list[float] = []

    def lag(frame: Any) -> None:
        ts = frame.timestamp
        if ts:
            lags.append((time.time() - ts) * 1000)

    done = asyncio.get_running_loop().create_future()
    # The calls' recordings on the disk when they end, as Asterisk leaves them.
    recordings = contextlib.ExitStack()
    under_test = BridgeUnderTest(port, capture, recordings.enter_context(recordings_root(plan.stream)))
    for name in LAG_EVENTS:
        under_test.on_event(name, lag)
    under_test.on_event(END, lambda _frame: done.done() or done.set_result(None))
    loop_lag = LoopLag()
    await under_test.start()
    loop_lag.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        await asyncio.wait_for(done, seconds + 60)
        await under_test.flush()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await loop_lag.stop()
        await under_test.stop()
        await proc.wait()
        recordings.close()
    return {
        "calls_per_second": plan.calls_per_second,
        "events_per_second": rate,
        "events": events,
        "events_per_call": plan.events_per_call,
        "lag_ms": spread(lags),
        "loop_lag_ms": spread(loop_lag.samples),
        "cpu_percent": cpu / wall * 100,
        "seconds": wall,
    }


def replay_report(results: list[dict[str, Any]]) -> str:
    record("capacity-replayed", {"steps": results})
    rows = [
        [
            f"{r['calls_per_second']:g}",
            f"{r['events_per_second'] / 1000:.1f} k",
            f"{r['lag_ms']['p50']:.2f} / {r['lag_ms']['p99']:.2f} / {r['lag_ms']['max']:.1f}",
            f"{r['loop_lag_ms']['p99']:.1f} / {r['loop_lag_ms']['max']:.1f}",
            f"{r['cpu_percent']:.0f} %",
        ]
        for r in results
    ]
    return table(
        "The bridge alone at the same rates: recorded real stream, replayed with fresh timestamps",
        ["calls/s", "AMI events/s", "event lag p50 / p99 / max ms", "loop lag p99 / max ms", "bridge CPU"],
        rows,
    )


def report(steps: list[dict[str, Any]], agents: int) -> str:
    record("capacity", {"agents": agents, "steps": steps})
    rows = []
    for s in steps:
        lag, loop = s["lag_ms"], s["loop_lag_ms"]
        rows.append(
            [
                f"{s['rate']:g}",
                f"{s['ended']} / {s['originated']}",
                s["answered"],
                s["refused"],
                f"{lag['p50']:.1f} / {lag['p99']:.1f} / {lag['max']:.1f}",
                f"{loop['p99']:.1f} / {loop['max']:.1f}",
                f"{s['cpu_percent']:.0f} %",
                f"{s['asterisk_cpu_percent']:.0f} % ({s['asterisk_ms_per_call']:.1f} ms/call)",
                f"{s['machine_busy_percent']:.0f} %",
                s["limit"],
            ]
        )
    entry = steps[0]["entry"] if steps else "signalling"
    return table(
        f"Call capacity: real Asterisk + real bridge, {agents} agents, entry {entry} ({os.cpu_count()} cores)",
        [
            "calls/s",
            "ended / originated",
            "answered",
            "refused",
            "event lag p50 / p99 / max ms",
            "bridge loop lag p99 / max ms",
            "bridge CPU",
            "Asterisk CPU",
            "all cores busy",
            "limit",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity")
    parser.add_argument("--load", action="store_true", help="(internal) originate the callers and exit")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--entry", choices=ENTRIES, default="signalling")
    args = parser.parse_args(argv)
    if args.load:
        print(json.dumps(asyncio.run(_load(args.rate, args.seconds, args.entry))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
