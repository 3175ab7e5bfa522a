"""``python -m bench <benchmark> [options]``: one sub-command per benchmark."""

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
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
