"""No refusal reaches a user with a bare ``{name}`` in it (F16: 该坐席不在队列 {queue} 中。).

Every error raised in the code is found as a reviewer would grep it (``UiError("…", queue=…)``,
``ActionRefused("…", limit=…, count=…)``, an error class's ``error_id = "…"`` called with
details), and its words are rendered, in Chinese and in English, with the details that raiser
gives: each placeholder its text names must be filled. An id built at run time
(``f"seat_queue.{refused.error_id}"``) stands for every text under its prefix.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from agent_ui.texts import LANGUAGES, Texts

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent_ui", "ticketing", "campaigns", "recordings", "ivr", "cti", "hotline")
#: the errors that take their id as the first argument, details as keywords
TAKES_ID = {"UiError", "ActionRefused"}
UNFILLED = re.compile(r"\{\w+\}")


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def own_details(init: ast.FunctionDef) -> list[str]:
    """The details an error class's own ``__init__`` hands on: the keywords of its
    ``super().__init__(…)``, and the keys of a mapping it spreads there (``**details``)."""
    spread, keys = set(), []
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "__init__":
            for k in node.keywords:
                if k.arg is not None:
                    keys.append(k.arg)
                elif isinstance(k.value, ast.Name):
                    spread.add(k.value.id)
    for node in ast.walk(init):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if {getattr(t, "id", None) for t in targets} & spread:
                for d in ast.walk(node.value):
                    if isinstance(d, ast.Dict):
                        keys += [k.value for k in d.keys if isinstance(k, ast.Constant)]
    return keys


def class_ids(trees) -> dict[str, tuple[str, list[str] | None]]:
    """Error class name → its ``error_id`` and, where its own ``__init__`` builds them, the
    details it gives (None: the caller's keywords)."""
    ids: dict[str, tuple[str, list[str] | None]] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            error_id, init = None, None
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and [getattr(t, "id", None) for t in item.targets] == ["error_id"]
                    and isinstance(item.value, ast.Constant)
                ):
                    error_id = item.value.value
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    init = item
            if error_id:
                ids[node.name] = (error_id, own_details(init) if init else None)
    return ids


#: the details ``Texts.error`` reads for their structure (a field → problem mapping, a list of
#: fields), given a stand-in of that shape
STRUCTURED = {
    "problems": {"甲": "field_required"},
    "rows": {},
    "problem_values": {},
    "fields": ["甲"],
    "password_problems": ["甲"],
}


def sample(name: str, value: ast.expr | None) -> object:
    """A stand-in of the detail's kind: names for a list, a mapping for a dict, else a word."""
    if name in STRUCTURED:
        return STRUCTURED[name]
    if isinstance(value, ast.List | ast.ListComp | ast.Tuple | ast.Set | ast.SetComp):
        return ["甲"]
    if isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("sorted", "list"):
        return ["甲"]
    if isinstance(value, ast.Dict | ast.DictComp):
        return {}
    return "甲"


def raisers() -> list[tuple[str, bool, dict[str, object], str]]:
    """(id or id prefix, whether it is a prefix, sample details, where) of every error built
    with a known id; one that spreads a mapping of details (``**details``) cannot be read."""
    trees = list(modules())
    by_class = class_ids(trees)
    found = []
    for path, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if any(k.arg is None for k in node.keywords):
                continue
            name = node.func.id
            if name in TAKES_ID and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    error_id, prefix = first.value, False
                elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                    error_id, prefix = first.values[0].value, True
                else:
                    continue
            elif name in by_class:
                (error_id, built), prefix = by_class[name], False
                if built is not None:
                    details = {key: sample(key, None) for key in built}
                    found.append((error_id, prefix, details, f"{path.relative_to(ROOT)}:{node.lineno}"))
                    continue
            else:
                continue
            details = {k.arg: sample(k.arg, k.value) for k in node.keywords}
            found.append((error_id, prefix, details, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


TEXTS = Texts()


def test_the_scan_finds_the_raisers_of_f16():
    found = {(error_id, tuple(sorted(details))) for error_id, _, details, _ in raisers()}
    assert ("event.waiting_changed", ("count", "now")) in found
    assert ("event.too_many", ("count", "limit")) in found
    assert ("seat_queue.unknown_queue", ("queue",)) in found
    assert ("seat_queue.", ("agent", "name", "queue")) in found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_refusal_keeps_a_placeholder_unfilled(lang):
    unfilled = {}
    for error_id, prefix, details, at in raisers():
        ids = [error_id]
        if prefix:
            ids = [
                key.removeprefix("error.")
                for key in TEXTS.tables[lang]
                if key.startswith(f"error.{error_id}")
            ]
        for one in ids:
            said = TEXTS.error(lang, one, "", details)
            if UNFILLED.search(said):
                unfilled[f"{one} ({at})"] = said
    assert unfilled == {}, f"{lang}: refusals shown with a bare placeholder"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_queue_in_a_refusal_is_named_in_words(lang):
    said = TEXTS.error(lang, "seat_queue.not_member", "", {"queue": "complaint", "agent": "1001"})
    assert (
        said == {"zh-CN": "该坐席不在队列「投诉」中。", "en": "The agent is not in queue “Complaints”."}[lang]
    )
    # a queue the shipped texts do not name (configured by an admin) is shown as it is named
    assert "pilot" in TEXTS.error(lang, "seat_queue.unknown_queue", "", {"queue": "pilot"})


def test_counts_in_a_refusal_are_filled():
    said = TEXTS.error("zh-CN", "event.waiting_changed", "", {"now": 8, "count": 1})
    assert said.startswith("现在符合条件的未分派事件有 8 条，多于您确认的 1 条")
