"""The console's Chinese keeps one voice: 您 (never 你) to the user, 坐席 (never 座席) for a seat,
and the full-width colon ： after Chinese text (never the half-width : of 表单有误:); in
texts/zh-CN.json and in the templates' own Chinese words. A value whose colon is code (YAML the
admin types) is listed with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ZH = json.loads((ROOT / "agent_ui" / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
HALF_COLON_AFTER_CJK = re.compile(f"[{_CJK}]:")
#: key -> why its half-width colon stays
CODE_COLONS = {"wf.problem.bad_subcategory_binding": "the YAML an admin writes (小类别代码: 选项)"}


def _templates() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "agent_ui" / "templates").rglob("*.html"))
    }


def test_the_user_is_addressed_as_您():
    assert {k: v for k, v in ZH.items() if "你" in v} == {}
    assert [name for name, text in _templates().items() if "你" in text] == []


def test_a_seat_is_坐席():
    assert {k: v for k, v in ZH.items() if "座席" in v} == {}
    assert [name for name, text in _templates().items() if "座席" in text] == []
    assert "座席" not in (ROOT / "docs" / "console.md").read_text(encoding="utf-8")


def test_chinese_text_takes_the_full_width_colon():
    found = {k: v for k, v in ZH.items() if HALF_COLON_AFTER_CJK.search(v) and k not in CODE_COLONS}
    assert found == {}
    for key in CODE_COLONS:  # a key that no longer needs its exception leaves the list
        assert HALF_COLON_AFTER_CJK.search(ZH[key]), key
