"""Sub-commands ``record`` (capture from the real Asterisk), ``ami`` (ingest), ``instructions`` and ``memory``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bench import ami_ingest, capture, instructions, memory
from bench.commands import benchmark, capture_missing
from bench.figures import human, machine


def add_commands(sub: argparse._SubParsersAction) -> None:
    rec = benchmark(
        sub,
        "record",
        "record real AMI events from the real Asterisk under queued-call load",
        capture.__doc__,
        run_record,
    )
    rec.add_argument("--out", type=Path, default=capture.DEFAULT_CAPTURE)
    rec.add_argument("--agents", type=int, default=80, help="simulated agents (default 80)")
    rec.add_argument("--rate", type=float, default=40.0, help="calls per second (default 40)")
    rec.add_argument("--seconds", type=float, default=15.0, help="how long calls keep arriving (default 15)")
    rec.add_argument("--talk", type=int, default=1, help="agent talk time in seconds (default 1)")
    rec.add_argument("--entry", choices=("inbound", "queue"), default="inbound")

    ami = benchmark(
        sub,
        "ami",
        "AMI ingest: ours vs panoramisk, pyst2, read-and-discard, and the bridge",
        ami_ingest.__doc__,
        run_ami,
    )
    ami.add_argument("--capture", type=Path, default=capture.DEFAULT_CAPTURE)
    ami.add_argument("--record", action="store_true", help="record a fresh capture first")
    ami.add_argument("--events", type=int, default=400_000, help="events per trial (default 400k)")
    ami.add_argument("--pyst2-events", type=int, default=10_000, help="pyst2 is slow: its trials are shorter")
    ami.add_argument("--runs", type=int, default=5, help="rounds; the figure is the median (default 5)")
    ami.add_argument("--kinds", default=",".join(ami_ingest.KINDS), help="consumers to run")
    ami.add_argument("--paced-rate", type=float, default=41_000, help="events/s of the CPU-share part")
    ami.add_argument("--paced-seconds", type=float, default=6.0)
    ami.add_argument("--paced-kinds", default="panoramisk,ours-used,bridge,bridge-whole")
    ami.add_argument("--paced-runs", type=int, default=3)
    ami.add_argument(
        "--recordings",
        choices=("present", "missing"),
        default="present",
        help="the bridge's calls' recordings: on the disk when each call ends, as Asterisk leaves them "
        "(default), or never there (an Asterisk whose disk this machine cannot see)",
    )

    count = benchmark(
        sub,
        "instructions",
        "instructions per AMI event under valgrind: the bridge and the model beside panoramisk",
        instructions.__doc__,
        run_instructions,
    )
    count.add_argument("--capture", type=Path, default=capture.DEFAULT_CAPTURE)
    count.add_argument("--events", type=int, default=20_000, help="events of the shorter run (default 20k)")
    count.add_argument("--consumers", default=",".join(instructions.CONSUMERS), help="consumers to count")
    count.add_argument(
        "--orders",
        action="store_true",
        help="count instructions per work order instead (create_order, 1 task; no capture needed)",
    )
    count.add_argument("--db", default="sqlite,postgres", help="with --orders: sqlite,postgres")
    count.add_argument(
        "--customers", type=int, default=2000, help="with --orders: the fresh population's size"
    )
    count.add_argument("--short", type=int, default=50, help="with --orders: orders of the shorter run")
    count.add_argument("--long", type=int, default=250, help="with --orders: orders of the longer run")
    count.add_argument(
        "--tree",
        type=Path,
        help="with --orders: count another source tree's code (e.g. `git worktree add /tmp/wt-X X`)",
    )

    mem = benchmark(
        sub,
        "memory",
        "the bridge's resident memory with 1,000 agents and 500 calls in progress",
        memory.__doc__,
        run_memory,
    )
    mem.add_argument("--capture", type=Path, default=capture.DEFAULT_CAPTURE)
    mem.add_argument("--agents", type=int, default=1000)
    mem.add_argument("--calls", type=int, default=500)


def run_record(args: argparse.Namespace) -> int:
    load = capture.Load(
        agents=args.agents, rate=args.rate, seconds=args.seconds, talk=args.talk, entry=args.entry
    )
    print(
        f"recording: {load.agents} agents on {', '.join(load.queues)}, {load.rate:g} calls/s for {load.seconds:g} s"
    )
    result = asyncio.run(capture.record(load, args.out))
    result.counts = capture.count_events(result.path.read_bytes())
    result.events = sum(result.counts.values())
    per_call = result.events / result.originated if result.originated else 0
    print(
        f"{result.path}: {human(result.bytes, 'B')}, {result.events} events "
        f"({result.bytes / max(result.events, 1):.0f} B/event), {result.originated} calls "
        f"({result.failed_originates} refused), {per_call:.1f} events/call, "
        f"{result.counts.get('AgentComplete', 0)} AgentComplete"
    )
    for name, count in result.counts.most_common(20):
        print(f"  {name:<28} {count}")
    return 0


def run_ami(args: argparse.Namespace) -> int:
    if args.record or not args.capture.exists():
        if run_record(
            argparse.Namespace(out=args.capture, agents=80, rate=40.0, seconds=15.0, talk=1, entry="inbound")
        ):
            return 1
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    paced_kinds = [k.strip() for k in args.paced_kinds.split(",") if k.strip()]
    counts = capture.count_events(args.capture.read_bytes())
    size = args.capture.stat().st_size
    meta = {
        "recordings": args.recordings,
        "capture_bytes": size,
        "capture_events": sum(counts.values()),
        "bytes_per_event": size / max(sum(counts.values()), 1),
        "events": args.events,
        "runs": args.runs,
        "machine": machine(),
    }
    print(
        f"capture {args.capture}: {sum(counts.values())} events, {meta['bytes_per_event']:.0f} B/event; "
        f"{args.events} events per trial, {args.runs} rounds; {machine()}"
    )
    trials = ami_ingest.throughput(
        args.capture, kinds, args.events, args.runs, args.pyst2_events, recordings=args.recordings
    )
    paced = {}
    if paced_kinds and args.paced_runs:
        paced = ami_ingest.paced(
            args.capture,
            paced_kinds,
            args.paced_rate,
            args.paced_seconds,
            args.paced_runs,
            recordings=args.recordings,
        )
    print(ami_ingest.report(trials, paced, args.paced_rate, meta))
    return 0


def run_memory(args: argparse.Namespace) -> int:
    if capture_missing(args.capture):
        return 1
    print(memory.run(args.capture, args.agents, args.calls))
    return 0


def run_instructions(args: argparse.Namespace) -> int:
    if args.orders:
        dbs = [d.strip() for d in args.db.split(",") if d.strip()]
        if set(dbs) - {"sqlite", "postgres"} or args.long <= args.short:
            print("--db takes sqlite,postgres; --long must be more than --short")
            return 2
        print(
            f"each database: a fresh population, {args.short} and {args.long} orders under valgrind; {machine()}"
        )
        print(instructions.run_orders(dbs, args.customers, args.short, args.long, args.tree))
        return 0
    if capture_missing(args.capture):
        return 1
    consumers = [c.strip() for c in args.consumers.split(",") if c.strip()]
    unknown = sorted(set(consumers) - set(instructions.CONSUMERS))
    if unknown:
        print(f"unknown consumers {unknown}; choose from {', '.join(instructions.CONSUMERS)}")
        return 2
    print(
        f"capture {args.capture}: each consumer fed {args.events} and {2 * args.events} events; {machine()}"
    )
    print(instructions.run(args.capture, consumers, args.events))
    return 0
