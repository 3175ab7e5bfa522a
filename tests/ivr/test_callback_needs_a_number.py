"""A caller whose number is withheld has no number to be called back on (QA F5: told 已为您登记回电,
hung up, and the request dropped): 9 is refused and the caller told that a callback needs their
number. In the queue they stay queued; at the daytime main menu they are put through to an agent,
not dropped into voicemail; after hours (nobody to put them through to) they leave a message."""

from __future__ import annotations

import asyncio

import pytest

from cti.routing_config import parse_routing
from ivr import CallbackRequested, CallbackScript, IvrConfigError, IvrFinished, IvrServices, parse_flows
from recordings import RecordingStore

from .conftest import FakeChannel
from .test_route import FLOWS, NIGHT, ROUTING, bus, bus_events, hooks, run, services  # noqa: F401


async def test_a_withheld_caller_pressing_9_in_the_queue_stays_in_it(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = FakeChannel(callerid="anonymous")
    ch.env["network_script"] = "callback"
    ch.variables.update({"HOTLINE_IN_QUEUE": "service", "HOTLINE_DNIS": "95598"})
    server = await agi_server({"callback": CallbackScript(services(bus, hooks, tmp_path))})
    await asyncio.wait_for(ch.run(server.port), 10)
    # HOTLINE_CALLBACK=0 (refused, not unanswered): the dialplan puts the caller back into the
    # queue, and does not keep a request for them as it does when the AGI does not answer
    assert ch.variables.get("HOTLINE_CALLBACK") == "0"
    assert ch.played() == ["hotline/callback-needs-number"]
    await bus.drain()
    assert bus_events(bus, CallbackRequested) == []


async def test_a_withheld_caller_pressing_9_at_the_main_menu_reaches_an_agent_not_voicemail(
    agi_server,
    bus,  # noqa: F811
    hooks,  # noqa: F811
    tmp_path,
):
    # Daytime, 95598's main menu: 9 without a number went to voicemail with 该服务暂时不可用.
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("9", callerid='"" <anonymous>'))
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert "HOTLINE_CALLBACK" not in ch.variables and "HOTLINE_VM_REASON" not in ch.variables
    played = ch.played()
    assert played.index("hotline/callback-needs-number") < played.index("hotline/to-agent")
    assert "hotline/callback-saved" not in played and "hotline/not-available" not in played
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:9/callback:no_number"
    await bus.drain()
    assert bus_events(bus, CallbackRequested) == []
    (finished,) = bus_events(bus, IvrFinished)
    assert (finished.outcome, finished.queue) == ("queue", "service")


async def test_the_flow_says_where_a_withheld_callers_callback_goes(agi_server, bus, hooks, tmp_path):  # noqa: F811
    # a flow may send them back to a menu instead (they hear it again, 0 for an agent)
    flows = {**FLOWS, "flows": {**FLOWS["flows"], "main": {**FLOWS["flows"]["main"]}}}
    flows["flows"]["main"]["callback_without_number"] = "menu:top"
    svc = IvrServices(
        routing=parse_routing(ROUTING),
        flows=parse_flows(flows),
        bus=bus,
        store=RecordingStore(tmp_path),
    )
    ch = await run(agi_server, svc, FakeChannel("90", callerid="unknown"))
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:9/callback:no_number/top:0"
    assert "hotline/to-agent" not in ch.played()


async def test_a_withheld_caller_pressing_9_after_hours_leaves_a_message(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(
        agi_server,
        services(bus, hooks, tmp_path, now=NIGHT),
        FakeChannel("9", extension="95500", callerid='"" <anonymous>'),
    )
    assert ch.variables["HOTLINE_ACTION"] == "voicemail" and "HOTLINE_CALLBACK" not in ch.variables
    assert "hotline/callback-saved" not in ch.played() and "hotline/callback-needs-number" in ch.played()
    assert "hotline/to-agent" not in ch.played()
    await bus.drain()
    assert bus_events(bus, CallbackRequested) == []
    (finished,) = bus_events(bus, IvrFinished)
    assert finished.outcome == "voicemail" and finished.path == ("closed:9", "callback:no_number")


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("callback", "bad_target"),
        ("bill", "bad_target"),
        ("menu:nowhere", "unknown_menu"),
        ("queue", "bad_target"),
    ],
)
def test_where_a_withheld_callers_callback_goes_is_checked(target, problem):
    flows = {**FLOWS, "flows": {**FLOWS["flows"], "main": {**FLOWS["flows"]["main"]}}}
    flows["flows"]["main"]["callback_without_number"] = target
    with pytest.raises(IvrConfigError) as info:
        parse_flows(flows, queues={"service", "complaint", "fault"})
    assert [(p.error_id, p.where) for p in info.value.problems] == [
        (f"ivr.{problem}", "flows.main.callback_without_number")
    ]
