"""The route script and IVR menus, driven by a scripted AGI peer (tests/ivr/conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from cti.bus import InProcessBus
from cti.call_events import VoicemailReceived
from cti.routing import CallerProfile
from cti.routing_config import parse_routing
from ivr import (
    Bill,
    CallbackRequested,
    IvrFinished,
    IvrServices,
    Outage,
    RouteScript,
    SelfServiceHooks,
    TicketProgress,
    parse_flows,
)
from recordings import RecordingStore

from .conftest import FakeChannel

ROUTING = {
    "default_queue": "service",
    "hours": {"day": {"workdays": ["08:00-18:00"], "restdays": ["08:00-18:00"]}},
    "queues": {
        "service": {"timeout": 300, "overflow": "voicemail"},
        "complaint": {"timeout": 60, "overflow": "queue:service"},
        "fault": {},
    },
    "entries": [
        {"numbers": ["95598"], "target": "ivr:main"},
        {"numbers": ["95599"], "target": "queue:fault", "priority": 1},
        {"numbers": ["95500"], "target": "queue:fault", "hours": "day", "after_hours": "ivr:closed"},
        {"numbers": ["95598009"], "target": "fax", "hours": "day", "after_hours": "fax"},
    ],
    "priority_rules": [{"name": "vip", "when": {"vip": True}, "priority": 9}],
}
FLOWS = {
    "flows": {
        "main": {
            "start": "top",
            "menus": {
                "top": {
                    "prompts": ["hello", "basic-pbx-ivr-main"],
                    "retries": 1,
                    "choices": {
                        "1": "outage",
                        "2": "bill",
                        "3": "ticket_status",
                        "4": "report_fault",
                        "5": "queue:complaint",
                        "6": "menu:sub",
                        "8": {"do": "bill", "then": "queue:fault"},
                        "9": "callback",
                        "0": "queue:service",
                    },
                    "on_timeout": "queue:service",
                    "on_invalid": "hangup",
                },
                "sub": {"prompts": ["vm-press"], "choices": {"1": "voicemail", "*": "menu:top"}},
            },
        },
        "closed": {
            "callback_without_number": "voicemail",  # as deploy/ivr.yaml: nobody to put them through to
            "menus": {"closed": {"prompts": ["im-sorry"], "choices": {"1": "voicemail", "9": "callback"}}},
        },
    },
    "status_prompts": {"dispatched": ["pls-hold-while-try"]},
}
NOON = dt.datetime(2026, 9, 23, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
NIGHT = dt.datetime(2026, 9, 23, 14, 0, tzinfo=dt.UTC)  # 22:00


class Hooks:
    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    async def outage(self, area: str):
        self.asked.append(("outage", area))
        return [Outage(area=area, starts_at=1.7e9, ends_at=1.7e9 + 7200)] if area == "0101" else []

    async def bill(self, account: str):
        self.asked.append(("bill", account))
        # FakeChannel's number is registered on the account: its bill is read at once
        found = Bill(account_no=account, amount=Decimal("88.50"), phones=("13800138000",))
        return found if account == "123456" else None

    async def ticket(self, keyed: str, caller: str):
        self.asked.append(("ticket", keyed, caller))
        if keyed == "20260923002":  # a fault and a consultation, neither the caller's
            return [TicketProgress(number=f"{p}20260923002", status="dispatched") for p in ("GZ", "ZX")]
        # the caller's own order (FakeChannel's number is registered on it)
        return [TicketProgress(number="GZ20260923001", status="dispatched", phones=("13800138000",))]

    async def broken(self, _: str):
        raise RuntimeError("database down")

    async def slow(self, _: str):
        await asyncio.sleep(5)


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
async def bus():
    bus = InProcessBus()
    yield bus
    await bus.close()


def services(bus, hooks: Hooks, tmp_path, *, now=NOON, profile=None, self_service=None) -> IvrServices:
    return IvrServices(
        routing=parse_routing(ROUTING),
        flows=parse_flows(FLOWS),
        bus=bus,
        profile_lookup=profile,
        hooks=self_service
        or SelfServiceHooks(
            outage_lookup=hooks.outage, bill_lookup=hooks.bill, ticket_status=hooks.ticket, timeout=0.5
        ),
        store=RecordingStore(tmp_path),
        clock=lambda: now,
    )


async def run(agi_server, svc: IvrServices, channel: FakeChannel) -> FakeChannel:
    server = await agi_server({"route": RouteScript(svc)})
    await asyncio.wait_for(channel.run(server.port), 10)
    return channel


def bus_events(bus, kind):
    return [e for e in bus._history if isinstance(e, kind)]


async def test_queue_number_sets_every_variable_and_action_last(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel(extension="95599"))
    assert ch.variables == {
        "CHANNEL(language)": "zh",
        "HOTLINE_QUEUE": "fault",
        "QUEUE_PRIO": "1",
        "HOTLINE_QUEUE_TIMEOUT": "",
        "HOTLINE_OVERFLOW": "",
        "HOTLINE_OVERFLOW_TIMEOUT": "",
        "HOTLINE_ROUTE_REASON": "entry 95599",
        "HOTLINE_ACTION": "queue",
    }
    assert [c for c in ch.commands if c[:2] == ["SET", "VARIABLE"]][-1][2] == "HOTLINE_ACTION"


@pytest.mark.parametrize("now", [NOON, NIGHT])
async def test_a_fax_number_goes_to_the_fax_receiver_day_and_night(agi_server, bus, hooks, tmp_path, now):
    # The dialplan sends HOTLINE_ACTION=fax to [hotline-fax-in]; no IVR prompt may play into the fax tones.
    ch = await run(agi_server, services(bus, hooks, tmp_path, now=now), FakeChannel(extension="95598009"))
    assert ch.variables["HOTLINE_ACTION"] == "fax"
    assert "HOTLINE_QUEUE" not in ch.variables and ch.played() == []


async def test_vip_profile_raises_priority_and_tags_the_customer(agi_server, bus, hooks, tmp_path):
    async def profile(number):
        assert number == "13800138000"
        return CallerProfile(vip=True, customer_id="C9")

    ch = await run(
        agi_server, services(bus, hooks, tmp_path, profile=profile), FakeChannel("5", extension="95598")
    )
    assert ch.variables["QUEUE_PRIO"] == "9"
    assert ch.variables["HOTLINE_CUSTOMER_ID"] == "C9"
    assert ch.variables["HOTLINE_QUEUE"] == "complaint"
    assert (
        ch.variables["HOTLINE_OVERFLOW"] == "queue:service"
        and ch.variables["HOTLINE_OVERFLOW_TIMEOUT"] == "300"
    )


async def test_the_line_language_is_set_before_anything_is_played(agi_server, bus, hooks, tmp_path):
    svc = services(bus, hooks, tmp_path)
    ch = await run(agi_server, svc, FakeChannel("0"))
    assert ch.variables["CHANNEL(language)"] == "zh"
    first_media = next(i for i, c in enumerate(ch.commands) if c[:2] == ["STREAM", "FILE"])
    assert ch.commands.index(["SET", "VARIABLE", "CHANNEL(language)", "zh"]) < first_media


async def test_a_line_can_keep_another_language(agi_server, bus, hooks, tmp_path):
    flows = {**FLOWS, "number_languages": {"95599": "en"}}
    svc = dataclasses.replace(services(bus, hooks, tmp_path), flows=parse_flows(flows))
    ch = await run(agi_server, svc, FakeChannel(extension="95599"))
    assert ch.variables["CHANNEL(language)"] == "en"
    ch = await run(agi_server, svc, FakeChannel("0", extension="95598"))
    assert ch.variables["CHANNEL(language)"] == "zh"


@pytest.mark.parametrize("kind", ["slow", "broken"])
async def test_a_failing_profile_lookup_routes_without_it(agi_server, bus, hooks, tmp_path, kind):
    svc = services(bus, hooks, tmp_path, profile=getattr(hooks, kind))
    svc.routing = parse_routing({**ROUTING, "profile_timeout": 0.2})
    ch = await run(agi_server, svc, FakeChannel(extension="95599", callerid="+86 138 0013 8000"))
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["QUEUE_PRIO"]) == ("queue", "1")


async def test_after_hours_runs_the_closed_flow(agi_server, bus, hooks, tmp_path):
    # QA #15: a message left in a closed line's flow is an after-hours one (非工作时间留言), not a
    # menu's: the inbox says so, and it is no fault report
    ch = await run(agi_server, services(bus, hooks, tmp_path, now=NIGHT), FakeChannel("1", extension="95500"))
    assert (
        ch.variables["HOTLINE_ACTION"] == "voicemail" and ch.variables["HOTLINE_VM_REASON"] == "after_hours"
    )
    assert ch.variables["HOTLINE_IVR_PATH"] == "closed:1"


async def test_a_message_left_at_an_open_lines_menu_is_the_menus(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path, now=NOON), FakeChannel("61"))
    assert ch.variables["HOTLINE_ACTION"] == "voicemail" and ch.variables["HOTLINE_VM_REASON"] == "ivr"
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:6/sub:1"


async def test_menu_choice_path_user_event_and_finished_event(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("6*0"))
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:6/sub:*/top:0"
    assert ch.variables["HOTLINE_QUEUE"] == "service" and ch.variables["HOTLINE_ACTION"] == "queue"
    assert (
        ch.user_events()[-1]
        == "HotlineIvr,Flow: main,Path: top:6/sub:*/top:0,Linkedid: 1700000000.1,Uniqueid: 1700000000.2"
    )
    await bus.drain()
    (finished,) = bus_events(bus, IvrFinished)
    assert (finished.call_id, finished.outcome, finished.queue) == ("1700000000.1", "queue", "service")
    assert finished.path == ("top:6", "sub:*", "top:0")


async def test_the_first_key_interrupts_the_prompts(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("0"))
    assert ch.played() == ["hello"]


async def test_timeout_replays_then_takes_on_timeout(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel(""))
    assert ch.played() == ["hello", "basic-pbx-ivr-main"] * 2
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:timeout" and ch.variables["HOTLINE_QUEUE"] == "service"


async def test_invalid_key_says_so_retries_then_takes_on_invalid(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("77"))
    assert ch.played().count("hotline/invalid") == 2
    assert ch.variables["HOTLINE_ACTION"] == "hangup"


async def test_bill_by_account_number_then_back_to_the_menu(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("2123456#0"))
    assert hooks.asked == [("bill", "123456")]
    said = [c for c in ch.commands if c[0] == "SAY"]
    # 88.50: 八十八 元 五 角 (no 分)
    assert said == [["SAY", "NUMBER", "88", ""], ["SAY", "NUMBER", "5", ""]]
    played = ch.played()
    assert played.index("hotline/bill-amount") < played.index("hotline/yuan") < played.index("hotline/jiao")
    assert "hotline/fen" not in played
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:2/bill:found/top:0"


async def test_bill_not_found_and_then_target(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("8999#"))
    assert "hotline/not-found" in ch.played()
    assert ch.variables["HOTLINE_QUEUE"] == "fault"
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:8/bill:not_found"


async def test_outage_for_an_area(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("10101#0"))
    assert hooks.asked == [("outage", "0101")]
    assert ["SAY", "NUMBER", "1", ""] in ch.commands
    # Read the Chinese way: 十一月 十四日 星期二 下午 …点 …分, in the hotline's time zone.
    assert ["SAY", "DATETIME", str(int(1.7e9 + 7200)), "", "BdAp IM", "Asia/Shanghai"] in ch.commands
    assert ch.played().index("hotline/outage-count") < ch.played().index("hotline/outage-count-after")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:1/outage:1/top:0"
    assert "hotline/outage-planned" not in ch.played()


async def test_a_planned_outage_is_told_as_planned_from_its_start_to_its_end(
    agi_server, bus, hooks, tmp_path
):
    # QA F7: tomorrow's outage was told as "restored at ..." as though the power were off now.
    start, end = NOON.timestamp() + 86400, NOON.timestamp() + 86400 + 6 * 3600

    async def planned(area):
        return [Outage(area=area, starts_at=start, ends_at=end)]

    svc = services(bus, hooks, tmp_path, self_service=SelfServiceHooks(outage_lookup=planned))
    ch = await run(agi_server, svc, FakeChannel("10101#0"))
    said = [c[2] for c in ch.commands if c[:2] == ["SAY", "DATETIME"]]
    assert said == [str(int(start)), str(int(end))]
    assert "hotline/outage-until" not in ch.played()
    assert ch.played().index("hotline/outage-planned") < ch.played().index("hotline/outage-planned-until")


async def test_ticket_status_by_my_phone_number(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("3#0"))
    assert hooks.asked == [("ticket", "", "13800138000")]
    assert ["SAY", "DIGITS", "20260923001", ""] in ch.commands
    assert "pls-hold-while-try" in ch.played()


async def test_ticket_status_by_number(agi_server, bus, hooks, tmp_path):
    await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("320260923001#0"))
    assert hooks.asked == [("ticket", "20260923001", "13800138000")]


async def test_digits_of_two_tickets_are_read_to_nobody_and_the_caller_reaches_an_agent(
    agi_server, bus, hooks, tmp_path
):
    # QA F10: one of the two was read out, to its owner or not; then the caller had to find 0.
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("320260923002#"))
    assert not [c for c in ch.commands if c[:2] == ["SAY", "DIGITS"]]
    assert "pls-hold-while-try" not in ch.played() and "hotline/ticket-ambiguous" in ch.played()
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:ambiguous"


async def test_keyed_digits_reach_the_ticket_hook_apart_from_the_callers_number(
    agi_server, bus, hooks, tmp_path
):
    # QA F1: another customer's phone number keyed in was looked up as if it were the caller's.
    await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("313200000002#0"))
    assert hooks.asked == [("ticket", "13200000002", "13800138000")]


@pytest.mark.parametrize("kind", ["broken", "slow"])
async def test_a_failing_hook_is_not_available_and_the_call_goes_on(agi_server, bus, hooks, tmp_path, kind):
    fn = getattr(hooks, kind)
    svc = services(bus, hooks, tmp_path, self_service=SelfServiceHooks(bill_lookup=fn, timeout=0.2))
    ch = await run(agi_server, svc, FakeChannel("2123456#0"))
    assert "hotline/not-available" in ch.played()
    assert ch.variables["HOTLINE_ACTION"] == "queue"


async def test_a_step_whose_lookup_is_not_configured_is_not_offered(agi_server, bus, hooks, tmp_path):
    # No bill lookup: 2 is an unknown key, the caller is never asked for a 户号 only to hear "unavailable".
    svc = services(bus, hooks, tmp_path, self_service=SelfServiceHooks(ticket_status=hooks.ticket))
    ch = await run(agi_server, svc, FakeChannel("20"))
    assert "hotline/enter-account" not in ch.played() and "hotline/invalid" in ch.played()
    assert hooks.asked == []
    assert (ch.variables["HOTLINE_IVR_PATH"], ch.variables["HOTLINE_QUEUE"]) == ("top:0", "service")


async def test_fault_report_records_and_publishes_a_voicemail(agi_server, bus, hooks, tmp_path):
    from .test_fault_message import Caller

    ch = Caller("4", tmp_path, [(2, 0.5)])
    await run(agi_server, services(bus, hooks, tmp_path), ch)
    assert ["EXEC", "Record", "/var/spool/x/20260923/1700000000.1-fault.wav,3,120,k"] in ch.commands
    assert ch.variables["HOTLINE_ACTION"] == "hangup"
    await bus.drain()
    (vm,) = bus_events(bus, VoicemailReceived)
    assert vm.reason == "fault_report" and vm.caller == "13800138000" and vm.dnis == "95598"
    assert vm.path == str(tmp_path / "var/spool/x/20260923/1700000000.1-fault.wav")
    (finished,) = bus_events(bus, IvrFinished)
    assert finished.outcome == "self_service" and finished.self_service == ("report_fault",)


async def test_callback_keeps_the_place_and_hangs_up(agi_server, bus, hooks, tmp_path):
    async def profile(number):
        return CallerProfile(vip=True, customer_id="C1")

    ch = await run(agi_server, services(bus, hooks, tmp_path, profile=profile), FakeChannel("9"))
    assert ch.variables["HOTLINE_ACTION"] == "hangup" and ch.variables["HOTLINE_CALLBACK"] == "1"
    await bus.drain()
    (cb,) = bus_events(bus, CallbackRequested)
    assert (cb.queue, cb.priority, cb.customer_id, cb.ivr_path) == ("service", 9, "C1", ("top:9",))
    assert 0 < cb.entered_at <= cb.requested_at


async def test_caller_hangs_up_in_the_menu(agi_server, bus, hooks, tmp_path):
    ch = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("6H"))
    assert "HOTLINE_ACTION" not in ch.variables
    await bus.drain()
    (finished,) = bus_events(bus, IvrFinished)
    assert finished.outcome == "caller_hangup" and finished.path == ("top:6",)


async def test_a_crashing_script_leaves_the_dialplan_defaults(agi_server, bus, hooks, tmp_path):
    svc = services(bus, hooks, tmp_path)
    svc.clock = lambda: 1 / 0
    ch = await run(agi_server, svc, FakeChannel(extension="95599"))
    assert "HOTLINE_ACTION" not in ch.variables


async def test_unknown_script_closes_the_connection(agi_server, bus, hooks, tmp_path):
    ch = FakeChannel()
    ch.env["network_script"] = "nope"
    await run(agi_server, services(bus, hooks, tmp_path), ch)
    assert ch.commands == []


async def test_unknown_dnis_goes_to_the_default_queue(agi_server, bus, hooks, tmp_path):
    ch = await run(
        agi_server, services(bus, hooks, tmp_path), FakeChannel(extension="12345", callerid="unknown")
    )
    assert ch.variables["HOTLINE_QUEUE"] == "service" and ch.variables["HOTLINE_OVERFLOW"] == "voicemail"


async def test_callback_script_from_the_queue_keeps_the_arrival_time(agi_server, bus, hooks, tmp_path):
    from ivr import CallbackScript

    ch = FakeChannel()
    ch.env["network_script"] = "callback"
    ch.variables.update(
        {
            "HOTLINE_IN_QUEUE": "fault",
            "QUEUE_PRIO": "5",
            "HOTLINE_DNIS": "95598",
            "HOTLINE_IVR_PATH": "top:6/sub:1",
        }
    )
    server = await agi_server({"callback": CallbackScript(services(bus, hooks, tmp_path))})
    await asyncio.wait_for(ch.run(server.port), 10)
    assert ch.variables["HOTLINE_CALLBACK"] == "1"
    assert ch.played() == ["hotline/callback-saved", "hotline/goodbye"]
    await bus.drain()
    (cb,) = bus_events(bus, CallbackRequested)
    assert (cb.source, cb.queue, cb.priority, cb.dnis, cb.call_id) == (
        "queue",
        "fault",
        5,
        "95598",
        "1700000000.1",
    )
    assert cb.entered_at == 1700000000.0 and cb.ivr_path == ("top:6", "sub:1")


async def test_a_flow_that_loops_on_silence_ends_with_an_agent(agi_server, bus, hooks, tmp_path):
    looping = {
        "flows": {
            "main": {
                "menus": {
                    "m": {
                        "prompts": ["beep"],
                        "retries": 0,
                        "choices": {"1": "hangup"},
                        "on_timeout": "menu:m",
                    }
                }
            }
        }
    }
    svc = services(bus, hooks, tmp_path)
    svc.flows = parse_flows(looping)
    ch = await run(agi_server, svc, FakeChannel(""))
    assert ch.played().count("beep") == 30
    assert ch.variables["HOTLINE_QUEUE"] == "service" and ch.variables["HOTLINE_IVR_PATH"].endswith("/limit")


async def test_survey_entry_sets_the_survey_variable_also_after_the_ivr(agi_server, bus, hooks, tmp_path):
    svc = services(bus, hooks, tmp_path)
    svc.routing = parse_routing({**ROUTING, "entries": [dict(e, survey=True) for e in ROUTING["entries"]]})
    ch = await run(agi_server, svc, FakeChannel("5"))
    assert ch.variables["HOTLINE_SURVEY"] == "1" and ch.variables["HOTLINE_QUEUE"] == "complaint"
    plain = await run(agi_server, services(bus, hooks, tmp_path), FakeChannel("5"))
    assert "HOTLINE_SURVEY" not in plain.variables


@pytest.mark.parametrize(("keys", "score"), [("4", 4), ("94", 4), ("", None), ("99", None), ("5", 5)])
async def test_survey_script(agi_server, bus, hooks, tmp_path, keys, score):
    from ivr import SurveyAnswered, SurveyScript

    ch = FakeChannel(keys)
    ch.env["network_script"] = "survey"
    ch.variables.update({"HOTLINE_IN_QUEUE": "fault", "MEMBERNAME": "agent1001", "HOTLINE_DNIS": "95598"})
    server = await agi_server({"survey": SurveyScript(services(bus, hooks, tmp_path), timeout_s=1)})
    await asyncio.wait_for(ch.run(server.port), 10)
    await bus.drain()
    answers = bus_events(bus, SurveyAnswered)
    if score is None:
        assert answers == []
    else:
        (answer,) = answers
        assert (answer.score, answer.queue, answer.member, answer.call_id) == (
            score,
            "fault",
            "agent1001",
            "1700000000.1",
        )
        assert ch.played()[-1] == "hotline/survey-thanks"
    if "9" in keys:
        assert "hotline/invalid" in ch.played()


def test_the_server_serves_every_script_the_dialplan_calls(bus, hooks, tmp_path):
    from pathlib import Path

    from ivr import create_agi_server

    server = create_agi_server(services(bus, hooks, tmp_path), port=0)
    dialplan = (Path(__file__).parents[2] / "deploy/asterisk/etc/extensions.conf").read_text()
    called = set(re.findall(r"AGI\(\$\{HOTLINE_AGI\}/(\w+)\)", dialplan))
    assert called == set(server.scripts) == {"route", "callback", "survey"}
