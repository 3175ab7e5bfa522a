"""What counts as nothing typed: whitespace of any script (the full-width space \\u3000 of a
Chinese input method) and the invisible format characters a paste brings along (zero-width
space \\u200b, joiners \\u200c \\u200d, word joiner \\u2060, byte-order mark \\ufeff). A required
field holding only these is empty, and stored text is trimmed of them at both ends: no
invisible 故障地址 or 标题 passes for one."""

from __future__ import annotations

import unicodedata
from typing import Any


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp")


def trim(text: str) -> str:
    """``text`` without whitespace and invisible characters at either end."""
    if not text:
        return text
    ends = text[0] + text[-1]
    if ends.isprintable() and " " not in ends:
        return text  # printable at both ends and no space: neither end is invisible (most text)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(value: Any) -> bool:
    """Text with nothing visible in it (None too)."""
    return value is None or (isinstance(value, str) and not trim(value))
