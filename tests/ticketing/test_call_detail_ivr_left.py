"""通话明细 says what a caller left in the IVR (QA #10): a fault report's voicemail (menu key 4)
reads 留言 with the fault order it opened as the call's 关联工单, a callback asked for at the main
menu (key 9) 预约回电 as one asked for while queued, a fax 收到传真; a caller who only listened
stays IVR 内结束. The seat's screen-pop (最近联系) says the same of the call. Before, all of them read IVR 内结束 with no order, like a caller who heard the
outage information and hung up. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.sources import add_callback
from cti.call_events import AgentStateChanged, CallEnded, FaxReceived, VoicemailReceived
from ivr.events import CallbackRequested
from ticketing.call_reports import CallsQuery, call_detail
from ticketing.calls import CallLinker
from ticketing.intake import Intake
from ticketing.screen_pop import lookup_for_screen_pop, screen_pop_hook

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 11, 30, tzinfo=TZ)


def t(hm: str) -> float:
    h, m = (int(x) for x in hm.split(":"))
    return DAY.replace(hour=h, minute=m).timestamp()


def ended_in_the_ivr(call_id: str, caller: str, at: str) -> CallEnded:
    """An inbound call that reached no queue, as the bridge ends it: outcome ``ivr``."""
    return CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="ivr",
        caller=caller,
        started_at=t(at),
        ended_at=t(at) + 40,
    )


async def test_the_call_detail_says_what_the_caller_left_in_the_ivr(sm, session, seeded):
    intake = Intake()
    await intake.on_agent_state(
        AgentStateChanged(agent_id="1001", state="ready", previous="", seconds_in_previous=0)
    )
    linker = CallLinker(sm, intake)
    # 13200000002 presses 4 and reports a fault: the voicemail opens a fault order for 1001
    await linker.handle(
        VoicemailReceived(
            call_id="c-vm",
            caller="13200000002",
            dnis="95598",
            path="/tmp/c-vm.wav",
            duration=7.0,
            reason="fault_report",
        )
    )
    await linker.handle(ended_in_the_ivr("c-vm", "13200000002", "03:09"))
    # 13300000003 presses 9 at the main menu: 预约回电, into the queue's callback campaign
    async with sm.begin() as db:
        await add_callback(db, CallbackRequested(call_id="c-cb", caller="13300000003", queue="service"))
    await linker.handle(ended_in_the_ivr("c-cb", "13300000003", "03:11"))
    await linker.handle(
        FaxReceived(call_id="c-fax", caller="02080000003", dnis="95598", path="/tmp/c-fax.tif", pages=1)
    )
    await linker.handle(ended_in_the_ivr("c-fax", "02080000003", "03:12"))
    # 13100000001 listens to the outage information and hangs up
    await linker.handle(ended_in_the_ivr("c-heard", "13100000001", "03:13"))

    rows = {
        r["call_id"]: r
        for r in (await call_detail(session, CallsQuery(DAY, DAY + dt.timedelta(days=1))))["rows"]
    }
    fault_orders = rows["c-vm"]["orders"]
    assert rows["c-vm"]["outcome"] == "voicemail" and len(fault_orders) == 1, rows["c-vm"]
    assert fault_orders[0].startswith("GZ")  # the fault order the voicemail opened, by its number
    assert (rows["c-cb"]["outcome"], rows["c-cb"]["orders"]) == ("callback", [])
    assert rows["c-fax"]["outcome"] == "fax"
    assert (rows["c-heard"]["outcome"], rows["c-heard"]["orders"]) == ("ivr", [])
    # the time in the menus is still no queue wait
    assert {r["wait"] for r in rows.values()} == {0.0}

    # the seat's pop says so too (最近联系: 通话 留言, not 通话 IVR 内结束), through the pop's
    # statements in a session and straight through the driver (the bridge's hook)
    hook = screen_pop_hook(sm)
    for number, call_id, at, left in [
        ("13200000002", "c-vm", "03:09", "voicemail"),
        ("13300000003", "c-cb", "03:11", "callback"),
        ("02080000003", "c-fax", "03:12", "fax"),
        ("13100000001", "c-heard", "03:13", "ivr"),
    ]:
        for pop in (await lookup_for_screen_pop(session, number), await hook(number)):
            # the call among the customer's other contacts (the seeded ones): by when it came
            [call] = [
                i
                for i in pop["interactions"]
                if i["kind"] == "call" and dt.datetime.fromisoformat(i["occurred_at"]).timestamp() == t(at)
            ]
            assert call["outcome"] == left, (number, pop["interactions"])
            assert rows[call_id]["outcome"] == left
