"""A new order's JSON values are written once per value by a C encoder made once
(``ticketing.workflow.insert.dumps``), not by ``json.dumps`` setting one up per call: the text
must be json.dumps's, byte for byte, whatever the value."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketing.workflow import insert

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
EDGES = [
    {"故障地址": '中山路1号 "东"座\n\t\\', "所属供电局": "440100"},
    [float("nan"), math.inf, -math.inf, -0.0, 1e300, 2**70],
    {3: "int key", 2.5: "float key", False: "bool key", None: "none key"},
    "\x00\u2028😀",
    [],
    {},
    None,
]


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_dumps_writes_json_dumps_text(value):
    assert insert.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", EDGES)
def test_dumps_writes_json_dumps_text_for_edges(value):
    assert insert.dumps(value) == json.dumps(value)


def test_dumps_refuses_what_json_dumps_refuses():
    looped: list = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        insert.dumps(looped)
    with pytest.raises(TypeError, match="not JSON serializable"):
        insert.dumps({"at": object()})
    # a refusal leaves nothing behind: the same kind of value is written afterwards
    assert insert.dumps([[1], {"a": [2]}]) == '[[1], {"a": [2]}]'


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_json_columns_go_through_dumps_with_the_dialects_own_text(dialect_name):
    """Each JSON column of a new order's rows is encoded by ``dumps`` where the dialect's own
    bind processor writes json.dumps's text, and None (JSON null) as the dialect writes it."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.asyncpg.dialect()}[dialect_name]
    for table in (insert.ORDERS, *(t for t, _ in insert.KINDS.values())):
        columns = {c.key: c for c in insert._columns(table)}
        for key, _make, _default, process in insert._plan(dialect, table):
            column = columns[key]
            if not isinstance(column.type, JSON):
                continue
            own = column.type.dialect_impl(dialect).bind_processor(dialect)
            for value in (*EDGES[:2], {"k": [1, "值"]}, [], None):
                assert process(value) == own(value), (table.name, key, value)
