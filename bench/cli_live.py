"""Sub-commands that need live sockets: ``fanout`` (and, as the pieces land, screen-pop)."""

from __future__ import annotations

import argparse

from bench import fanout


def add_commands(sub: argparse._SubParsersAction) -> None:
    fan = sub.add_parser(
        "fanout",
        help="websocket fan-out of a wallboard update: our gateway vs aiohttp vs websockets broadcast",
        description=fanout.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fan.add_argument("--clients", type=int, default=1000)
    fan.add_argument("--updates", type=int, default=40, help="updates per trial (default 40)")
    fan.add_argument("--interval", type=float, default=0.25, help="seconds between updates")
    fan.add_argument("--runs", type=int, default=3)
    fan.add_argument("--settle", type=float, default=1.0, help="quiet seconds before timing starts")
    fan.add_argument("--impls", default=",".join(fanout.IMPLS))
    fan.set_defaults(run=run_fanout)


def run_fanout(args: argparse.Namespace) -> int:
    impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    print(fanout.run(args.clients, args.updates, args.interval, args.runs, impls, args.settle))
    return 0
