"""What every ``python -m bench`` sub-command is made of: a help line, its module's text, a run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def benchmark(
    sub: argparse._SubParsersAction,
    name: str,
    help: str,
    doc: str | None,
    run: Callable[[argparse.Namespace], object],
) -> argparse.ArgumentParser:
    """The sub-command ``name``: ``help`` in the list, ``doc`` (its module's docstring) under ``--help``."""
    parser = sub.add_parser(
        name, help=help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.set_defaults(run=run)
    return parser


def capture_missing(path: Path) -> bool:
    """True, having said so, when there is no capture at ``path`` to replay."""
    if path.exists():
        return False
    print(f"no capture at {path}: run `python -m bench record` first")
    return True
