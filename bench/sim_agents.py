"""Simulated agents for the live benchmarks: phones that answer at once and talk 1 s."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from cti.ami import AmiClient, AmiError

#: the simulated phone that plays a tone (``hotline-sim-phone``), or the silent
#: one of the signalling-only capacity runs (``hotline-bench-phone``)
PHONE_CONTEXT = "hotline-sim-phone"


def seat(ext: str, context: str = PHONE_CONTEXT) -> str:
    return f"Local/{ext}@{context}/n"


async def sign_in(
    bridge: Any,
    control: AmiClient,
    exts: Iterable[str],
    prefix: str,
    queue: str,
    context: str = PHONE_CONTEXT,
) -> None:
    """Each extension's phone set to answer, its seat cleared from ``queue``, signed in as ready."""
    for ext in exts:
        await control.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val="1")
        await control.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val="0")
        with contextlib.suppress(AmiError):
            await control.action("QueueRemove", Queue=queue, Interface=seat(ext, context))
        result = await bridge.login(f"{prefix}{ext}", seat(ext, context), {queue: 0})
        if not result.ok:
            raise RuntimeError(f"login of {prefix}{ext} refused: {result}")
        await bridge.ready(f"{prefix}{ext}")


async def sign_out(bridge: Any, control: AmiClient, exts: Iterable[str], prefix: str) -> None:
    """Undo ``sign_in`` as far as it got; never raises (it runs in ``finally``)."""
    for ext in exts:
        with contextlib.suppress(Exception):
            await bridge.logout(f"{prefix}{ext}")
        for key in (f"talk-{ext}", f"ring-{ext}"):
            with contextlib.suppress(Exception):
                await control.action("DBDel", Family="hotline-sim", Key=key)
