"""Sub-commands that need live sockets: ``fanout`` and ``screenpop`` (the real Asterisk)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bench import capacity, capture, fanout, screenpop
from bench.commands import benchmark


def add_commands(sub: argparse._SubParsersAction) -> None:
    fan = benchmark(
        sub,
        "fanout",
        "websocket fan-out of a wallboard update: our gateway vs aiohttp vs websockets broadcast",
        fanout.__doc__,
        run_fanout,
    )
    fan.add_argument("--clients", type=int, default=1000)
    fan.add_argument("--updates", type=int, default=40, help="updates per trial (default 40)")
    fan.add_argument("--interval", type=float, default=0.25, help="seconds between updates")
    fan.add_argument("--runs", type=int, default=3)
    fan.add_argument("--settle", type=float, default=1.0, help="quiet seconds before timing starts")
    fan.add_argument("--impls", default=",".join(fanout.IMPLS))
    fan.add_argument("--client-procs", type=int, default=2, help="processes the clients are spread over")

    pop = benchmark(
        sub,
        "screenpop",
        "screen-pop latency through the real Asterisk and bridge, customer matched (needs Asterisk)",
        screenpop.__doc__,
        run_screenpop,
    )
    pop.add_argument("--agents", type=int, default=500)
    pop.add_argument("--rate", type=float, default=20.0, help="calls per second (default 20)")
    pop.add_argument("--seconds", type=float, default=10.0)
    pop.add_argument("--customers", type=int, default=1_000_000, help="the population to match against")
    pop.add_argument(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="where the population lives (default sqlite; postgres: database hotline_bench)",
    )
    pop.add_argument(
        "--tabs", type=int, default=None, help="agents with the console open (default: every agent)"
    )
    pop.add_argument("--settle", type=float, default=1.0, help="quiet seconds before the first call")
    pop.add_argument(
        "--split",
        action="store_true",
        help="the console in a process of its own on a Redis bus (--role web beside --role cti)",
    )

    cap = benchmark(
        sub,
        "capacity",
        "call capacity: rising inbound rates through the real Asterisk with the bridge (needs Asterisk)",
        capacity.__doc__,
        run_capacity,
    )
    cap.add_argument("--agents", type=int, default=450)
    cap.add_argument("--rates", default="50,100,200,300", help="calls per second, one step each")
    cap.add_argument("--seconds", type=float, default=8.0, help="seconds of load per step")
    cap.add_argument(
        "--entry",
        choices=capacity.ENTRIES,
        default="signalling",
        help="signalling: silent Local channels (default); inbound: the product path with AGI, recording, tones",
    )
    cap.add_argument(
        "--replay-rates",
        default="100,300",
        help="calls per second for the bridge alone on the recorded stream ('' to skip; needs a capture)",
    )
    cap.add_argument("--capture", type=Path, default=capture.DEFAULT_CAPTURE, help="the stream to replay")


def run_fanout(args: argparse.Namespace) -> int:
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    print(
        fanout.run(
            args.clients,
            args.updates,
            args.interval,
            args.runs,
            impls,
            args.settle,
            client_procs=args.client_procs,
        )
    )
    return 0


def run_screenpop(args: argparse.Namespace) -> int:
    got = asyncio.run(
        screenpop.run(
            args.agents,
            args.rate,
            args.seconds,
            args.customers,
            tabs=args.tabs,
            db=args.db,
            split=args.split,
            settle=args.settle,
        )
    )
    print(screenpop.report(got))
    return 0


def run_capacity(args: argparse.Namespace) -> int:
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if rates:
        steps = asyncio.run(capacity.run(args.agents, rates, args.seconds, args.entry))
        print(capacity.report(steps, args.agents))
    replay_rates = [float(r) for r in args.replay_rates.split(",") if r.strip()]
    if replay_rates:
        if not args.capture.exists():
            print(f"recording {args.capture} first (python -m bench record)", flush=True)
            asyncio.run(capture.record(capture.Load(), args.capture))
        plans = [capacity.replay_plan(r, args.seconds, args.capture) for r in replay_rates]
        results = [asyncio.run(capacity.replayed(plan, args.seconds)) for plan in plans]
        print(capacity.replay_report(results))
    return 0
