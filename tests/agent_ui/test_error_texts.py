"""Every error id the code raises has words in Chinese and in English: an id without them
reaches the console as the engine's English sentence (F20: not_an_approve_node…).

The ids are found in the source, as a reviewer would grep them: the first argument of the
errors that take an id (``ActionRefused("…")``, ``UiError("…")``, the recordings' conversion
errors), each error class's ``error_id = "…"``, the workflow validator's problems
(``bad("…")``, texts ``wf.problem.*``) and the form problems (``"field_…"``, ``problem.*``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent_ui", "ticketing", "campaigns", "recordings", "ivr", "cti", "hotline")
TEXTS = {lang: ROOT / "agent_ui" / "texts" / f"{lang}.json" for lang in ("zh-CN", "en")}

RAISED = re.compile(r'\b(?:ActionRefused|UiError|ConversionError|FaxConversionError)\(\s*"([a-z][\w.]*)"')
CLASS_ID = re.compile(r'^\s+error_id\s*=\s*"([a-z][\w.]*)"', re.M)
WORKFLOW = re.compile(r'\b(?:bad|bad_since|Problem)\(\s*"([a-z]\w*)"|\(\s*\(\s*"([a-z]\w*)",')
FIELD = re.compile(r'(?::|=|return|fromkeys\([^()]*,)\s*"(field_[a-z_]+)"')


def sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


def where(path: Path, text: str, at: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, at) + 1}"


def expected_keys() -> dict[str, str]:
    """Text key → where the code uses its id."""
    keys: dict[str, str] = {}
    for path, text in sources():
        for pattern in (RAISED, CLASS_ID):
            for m in pattern.finditer(text):
                keys.setdefault(f"error.{m.group(1)}", where(path, text, m.start()))
        for m in FIELD.finditer(text):
            keys.setdefault(f"problem.{m.group(1)}", where(path, text, m.start()))
        if path.parent.name == "workflow" and path.name in ("definition.py", "store.py"):
            for m in WORKFLOW.finditer(text):
                keys.setdefault(f"wf.problem.{m.group(1) or m.group(2)}", where(path, text, m.start()))
    return keys


def test_the_scan_finds_the_ids_it_is_about():
    keys = expected_keys()
    assert {"error.not_an_approve_node", "error.step_not_optional", "error.order_number_taken"} <= keys.keys()
    assert {"wf.problem.unknown_field", "wf.problem.number_pattern_clash"} <= keys.keys()
    assert {"problem.field_required", "problem.field_before_created"} <= keys.keys()


@pytest.mark.parametrize("lang", TEXTS)
def test_every_error_id_raised_has_words(lang):
    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    missing = {key: at for key, at in expected_keys().items() if not table.get(key)}
    assert missing == {}, f"{lang}: no words for these ids (raised at)"
