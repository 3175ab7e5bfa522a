"""One width fold for search: the full-width forms of ASCII (９５５９８, ＡＰＰ, １号, what a Chinese
input method types) and the ideographic space read as ASCII, so a search finds a text typed in
either width.

The same fold runs on both sides: ``fold_width`` on what the user typed, ``folded`` on the stored
text as it is searched (SQL: PostgreSQL's ``translate``; on SQLite the same Python function,
registered on every connection by ``ticketing.db``). The stored text keeps what was typed, for
display. A plain character table rather than NFKC, because it must be the same fold in SQL on
both databases (SQLite has no Unicode normalisation); it covers what IMEs produce.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_TABLE = str.maketrans(_FULL, _HALF)
_ANY_FULL = re.compile(f"[{_FULL[0]}-{_FULL[-2]}{_FULL[-1]}]")


def fold_width(text: str) -> str:
    """``text`` with full-width ASCII forms as ASCII (``９５５９８`` → ``95598``)."""
    # SQLite calls this on every text searched: most have no full-width form, and the regex
    # says so far faster than translate walks them
    if not text or not _ANY_FULL.search(text):
        return text
    return text.translate(_TABLE)


def has_ascii(text: str) -> bool:
    """``text`` (folded) holds a character that has a full-width form: only a text without one
    matches its stored spelling byte for byte, whatever width that was typed in."""
    return any(" " <= c <= "~" for c in text)


class folded(FunctionElement[str]):  # noqa: N801 (a SQL function, named as one)
    """``fold_width`` of a column or expression, in SQL."""

    type = String()
    name = "fold_width"
    inherit_cache = True


@compiles(folded)
def _sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"fold_width({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses.clauses
    return compiler.process(func.translate(column, literal(_FULL), literal(_HALF)), **kw)
