"""``python -m bench <benchmark> [options]``: one sub-command per benchmark; none = ``all``."""

from __future__ import annotations

import argparse
import sys

from bench import cli_ami, cli_data, cli_live


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Hotline benchmarks (issue 6). Each prints its figures beside a peer's, same run.",
    )
    sub = parser.add_subparsers(dest="command", metavar="BENCHMARK")
    for module in (cli_ami, cli_data, cli_live):
        module.add_commands(sub)
    every = sub.add_parser("all", help="every benchmark with its default sizes (what `make bench` runs)")
    every.set_defaults(run=lambda _args: run_all(parser))
    args = parser.parse_args(argv if argv is not None else (sys.argv[1:] or ["all"]))
    return int(args.run(args) or 0)


def run_all(parser: argparse.ArgumentParser) -> int:
    """AMI ingest on a fresh capture, memory, fan-out, lookups and orders at 1 M customers,
    then screen-pop and call capacity through the real Asterisk."""
    # screenpop before orders: orders leave open work orders behind, which the pop lookup reads.
    steps = (["ami", "--record"], ["memory"], ["fanout"], ["lookup"], ["screenpop"], ["orders"], ["capacity"])
    for command in steps:
        print(f"\n## python -m bench {' '.join(command)}", flush=True)
        args = parser.parse_args(command)
        if args.run(args):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
