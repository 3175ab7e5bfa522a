"""``cti.ami.speedups.round3`` (the call model's waits and a queue's longest wait to the
millisecond) is ``round(x, 3)``: the same value, type and sign, C or not, for any float (ties and
near ties, subnormals, huge values, inf, nan) and for ints."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami import speedups

IMPLEMENTATIONS = [pytest.param(speedups.round3, id="default")]
if speedups.c is not None:
    IMPLEMENTATIONS.append(pytest.param(speedups.c.round3, id="c"))


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float):
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)
    return a == b


def _near_ties(draw_k: int, shift: int) -> float:
    """(k + ½) thousandths, and the floats either side of it: where the product's error decides."""
    x = (draw_k + 0.5) / 1000
    for _ in range(abs(shift)):
        x = math.nextafter(x, math.inf if shift > 0 else -math.inf)
    return x


@pytest.mark.parametrize("round3", IMPLEMENTATIONS)
@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1e11, max_value=1e11),
        st.builds(_near_ties, st.integers(-(10**13), 10**13), st.integers(-3, 3)),
        st.integers(-(10**20), 10**20),
    )
)
def test_round3_is_round_to_three_places(round3, x):
    assert _same(round3(x), round(x, 3)), x


@pytest.mark.parametrize("round3", IMPLEMENTATIONS)
def test_round3_keeps_the_sign_of_a_wait_rounding_to_nothing_and_halves_to_even(round3):
    for x in (
        0.0,
        -0.0,
        0.0004,
        -0.0004,
        0.0005,
        -0.0005,
        2.675,
        1.0005,
        0.0015,
        1e-320,
        -1e-320,
        9.999e9,
        3,
    ):
        assert _same(round3(x), round(x, 3)), x
    assert math.copysign(1.0, round3(-0.0004)) == -1.0
