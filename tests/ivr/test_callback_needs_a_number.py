"""A caller whose number is withheld has no number to be called back on (QA F5: told 已为您登记回电,
hung up, and the request dropped): 9 is refused, the caller told so, and stays in the queue or,
from the IVR, leaves a message instead."""

from __future__ import annotations

import asyncio

from ivr import CallbackRequested, CallbackScript, IvrFinished

from .conftest import FakeChannel
from .test_route import NIGHT, bus, bus_events, hooks, run, services  # noqa: F401


async def test_a_withheld_caller_pressing_9_in_the_queue_stays_in_it(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = FakeChannel(callerid="anonymous")
    ch.env["network_script"] = "callback"
    ch.variables.update({"HOTLINE_IN_QUEUE": "service", "HOTLINE_DNIS": "95598"})
    server = await agi_server({"callback": CallbackScript(services(bus, hooks, tmp_path))})
    await asyncio.wait_for(ch.run(server.port), 10)
    # without HOTLINE_CALLBACK=1 the dialplan puts the caller back into the queue
    assert ch.variables.get("HOTLINE_CALLBACK", "") != "1"
    assert ch.played() == ["hotline/not-available"]
    await bus.drain()
    assert bus_events(bus, CallbackRequested) == []


async def test_a_withheld_caller_pressing_9_after_hours_leaves_a_message(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(
        agi_server,
        services(bus, hooks, tmp_path, now=NIGHT),
        FakeChannel("9", extension="95500", callerid='"" <anonymous>'),
    )
    assert ch.variables["HOTLINE_ACTION"] == "voicemail" and "HOTLINE_CALLBACK" not in ch.variables
    assert "hotline/callback-saved" not in ch.played() and "hotline/not-available" in ch.played()
    await bus.drain()
    assert bus_events(bus, CallbackRequested) == []
    (finished,) = bus_events(bus, IvrFinished)
    assert finished.outcome == "voicemail" and finished.path == ("closed:9",)
