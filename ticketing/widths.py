"""One width fold for search: the full-width forms of ASCII (９５５９８, ＡＰＰ, １号, what a Chinese
input method types) and the ideographic space read as ASCII, so a search finds a text typed in
either width.

The same fold runs on both sides: ``fold_width`` on what the user typed, ``folded`` on the stored
text as it is searched (SQL: PostgreSQL's ``translate``; on SQLite the same Python function,
registered on every connection by ``ticketing.db``; PostgreSQL's trigram indexes on the folded
text are built by ``trigram_index`` from the queries' own expressions). The stored text keeps
what was typed, for display. A plain character table rather than NFKC, because it must be the same fold in SQL on
both databases (SQLite has no Unicode normalisation); it covers what IMEs produce.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
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
    # the tables as constants, not parameters: an index on the folded text (``trigram_index``)
    # serves only a query whose expression is the index's, generic plans included
    full, half = (compiler.render_literal_value(t, String()) for t in (_FULL, _HALF))
    return f"translate({compiler.process(column, **kw)}, {full}, {half})"


def trigram_index(connection: Connection, name: str, table: str, expression: ColumnElement[Any]) -> None:
    """A pg_trgm GIN index ``name`` on ``expression`` (a ``folded`` text of ``table``'s
    columns), compiled as a query compiles it, so (I)LIKE '%…%' on the same expression uses it."""
    sql = expression.compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True, "include_table": False}
    )
    connection.exec_driver_sql(f"CREATE INDEX {name} ON {table} USING gin (({sql}) gin_trgm_ops)")
