"""Self-service entries the caller gets wrong (QA F9): a limit, then an agent; * and half numbers."""

from __future__ import annotations

import copy

from ivr import parse_flows

from .conftest import FakeChannel
from .test_route import FLOWS, bus, hooks, run, services  # noqa: F401  (fixtures)


async def test_three_wrong_entries_hand_the_caller_to_an_agent(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("2999#2998#2997#2123456#"))
    assert hooks.asked == [("bill", "999"), ("bill", "998"), ("bill", "997")]  # no fourth guess
    assert ch.played()[-1] == "hotline/too-many-wrong"
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"].endswith("/wrong_entries")


async def test_star_restarts_the_entry(agi_server, bus, hooks, tmp_path):  # noqa: F811
    await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("212*123456#0"))
    assert hooks.asked == [("bill", "123456")]


async def test_half_a_number_then_silence_is_asked_again(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("212.123456#0"))
    assert hooks.asked == [("bill", "123456")]
    assert ch.played().count("hotline/invalid") == 1
    assert ch.played().count("hotline/enter-account") == 2


async def test_a_lone_hash_for_an_area_is_wrong_and_asked_again(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("1#0101#0"))
    assert hooks.asked == [("outage", "0101")]
    assert ch.played().count("hotline/invalid") == 1


async def test_back_at_the_menu_the_caller_hears_the_menu_not_the_welcome(agi_server, bus, hooks, tmp_path):  # noqa: F811
    raw = copy.deepcopy(FLOWS)
    top = raw["flows"]["main"]["menus"]["top"]
    top["greeting"], top["prompts"] = ["hello"], ["basic-pbx-ivr-main"]
    svc = services(bus, hooks, tmp_path)
    svc.flows = parse_flows(raw)
    ch = await run(agi_server, svc, FakeChannel(".10101#0"))  # "." lets the welcome play out
    assert ch.played()[:2] == ["hello", "basic-pbx-ivr-main"]
    assert (ch.played().count("hello"), ch.played().count("basic-pbx-ivr-main")) == (1, 2)
