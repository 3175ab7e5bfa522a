"""The callback script tells the call model the caller left the queue for a callback
(``UserEvent(HotlineCallback)``), so the queue leg is not an abandon (QA F11)."""

from __future__ import annotations

import asyncio

from ivr import CallbackScript

from .conftest import FakeChannel
from .test_route import bus, hooks, services  # noqa: F401


async def test_the_callback_script_sends_hotline_callback_with_the_queue(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = FakeChannel()
    ch.env["network_script"] = "callback"
    ch.variables.update({"HOTLINE_IN_QUEUE": "fault", "HOTLINE_DNIS": "95598"})
    server = await agi_server({"callback": CallbackScript(services(bus, hooks, tmp_path))})
    await asyncio.wait_for(ch.run(server.port), 10)
    assert ch.user_events() == ["HotlineCallback,Queue: fault,Linkedid: 1700000000.1"]
    assert ch.variables["HOTLINE_CALLBACK"] == "1"
