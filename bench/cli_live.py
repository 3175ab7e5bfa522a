"""Placeholder: filled in as the pieces it measures land."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    return None
