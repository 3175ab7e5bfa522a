"""Which implementation of the AMI hot path runs: C or pure Python.

The C accelerator (``cti.ami._speedups``, built from ``cti/ami/_speedups.c`` by
``pip install -e .`` / ``make setup``) does the framing of the wanted events
(``AmiProtocol``) and the model's listeners (``cti.calls.listener``: a handler's
fields and the ``Timestamp:`` read out of a frame), and builds the events the
model emits (``cti.events.event``'s ``make``). The pure Python code it
stands in for stays beside it and gives the same answers; it runs when the
extension was not built (no compiler: the build marks it optional) or when
``HOTLINE_NO_SPEEDUPS`` is set to a non-empty value in the environment.

``IMPLEMENTATION`` is "c" or "python": which one this process uses by default.
``AmiProtocol(speedups=...)``, ``listener(handler, speedups=...)`` and
``cti.events._maker(cls, speedups=...)`` choose per object (tests run both on the
same input).
"""

from __future__ import annotations

import functools
import os
from types import ModuleType

c: ModuleType | None
if os.environ.get("HOTLINE_NO_SPEEDUPS"):
    c = None
else:
    try:
        from cti.ami import _speedups as c
    except ImportError:  # not built: the pure Python implementation
        c = None

IMPLEMENTATION = "c" if c is not None else "python"

#: ``round(x, 3)``: the C accelerator's (the same value; a float's without going through decimal
#: text, a twelfth of the builtin's work), else the builtin itself (no Python frame either way)
round3 = c.round3 if c is not None and hasattr(c, "round3") else functools.partial(round, ndigits=3)

#: ``untrack_plain(obj, classes)``: ``obj`` and the containers it holds out of the garbage
#: collector's sight when all it reaches is plain data (values the collector does not watch, the
#: builtin containers of them, instances of exactly one of ``classes`` holding them), which can be
#: in no reference cycle; whether ``obj`` was (and is untracked now). Without the C accelerator
#: nothing is untracked (False): the same objects, walked by every collection.
untrack_plain = (
    c.untrack_plain if c is not None and hasattr(c, "untrack_plain") else lambda obj, classes: False
)


def chosen(speedups: bool | None) -> ModuleType | None:
    """The C module to use: the default (None), or the one asked for (True: C, False: Python)."""
    if speedups is None or not speedups:
        return c if speedups is None else None
    if c is None:
        from cti.ami import _speedups  # raises ImportError: asked for C, which is not there

        return _speedups
    return c
