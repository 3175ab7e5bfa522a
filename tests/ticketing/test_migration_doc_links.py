"""The migrations' docstrings name the docs that explain them: every doc they name exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_doc_a_migration_names_exists():
    named = {
        (path.name, ref)
        for path in sorted((ROOT / "ticketing" / "migrations" / "versions").glob("*.py"))
        for ref in re.findall(r"docs/[\w./-]+\.md", path.read_text(encoding="utf-8"))
    }
    missing = sorted((name, ref) for name, ref in named if not (ROOT / ref).is_file())
    assert missing == []
