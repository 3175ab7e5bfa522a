"""Project-wide rules that a linter does not know."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["cti", "ivr", "ticketing", "recordings", "agent_ui", "campaigns", "hotline"]


def test_product_code_bounds_waits_with_asyncio_timeout_not_wait_for():
    # Python 3.11's wait_for loses a cancel that lands as its future completes
    # (docs/architecture.md, "Time limits").
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bwait_for\(", line)
    ]
    assert offenders == []
