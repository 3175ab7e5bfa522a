"""A callback request keeps the caller's place by when the call arrived, read from its id."""

from __future__ import annotations

import time

from ivr.callback import arrival_time


def test_the_arrival_is_read_from_the_call_id_with_or_without_a_systemname():
    assert arrival_time("1764000000.12") == 1764000000.0
    # several Asterisk servers each have a systemname, which prefixes their call ids
    assert arrival_time("hotline2-1764000000.12") == 1764000000.0
    assert arrival_time("gz-a-1764000001.3") == 1764000001.0
    before = time.time()
    assert arrival_time("not-an-id") >= before
