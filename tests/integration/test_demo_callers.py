"""The demo's simulated callers on the real 95598 line: the real Asterisk, the product's own
routing and IVR menu (deploy/routing.yaml, deploy/ivr.yaml), and the keys each caller presses.

The main menu takes longer to hear out than most callers wait, so a caller who pressed
nothing never reached an agent: the demo's agents sat ready while every call ended in the IVR.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ivr_harness import Harness, ami_fixture, serving, unique_caller
from test_serve_roles import STORIES_LOCK as CTI_STORIES_LOCK

from cti.call_events import VoicemailReceived
from cti.routing_config import load_routing
from hotline.simulator import CALLER_INTENTS, LEAVES_A_MESSAGE, CallerSimulator
from ivr import IvrFinished, IvrServices, load_flows
from recordings import RecordingStore

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture"]  # the fixture (named ami) lives in ivr_harness

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


class ProductLine(Harness):
    """The harness's AGI server with the product's routing and flows in place of the test ones."""

    def services(self) -> IvrServices:
        routing = load_routing(DEPLOY / "routing.yaml")
        return IvrServices(
            routing=routing,
            flows=load_flows(DEPLOY / "ivr.yaml", queues=routing.queues),
            bus=self.bus,
            profile_lookup=self.profile,
            store=RecordingStore(self.asterisk.root),
            clock=lambda: dt.datetime.now(dt.UTC),
        )


@pytest.fixture
async def line(ami, asterisk) -> AsyncIterator[ProductLine]:
    async with serving(ProductLine(ami, asterisk)) as h:
        yield h


@pytest.mark.parametrize(
    ("keys", "outcome", "queue", "path"),
    [
        ("0", "queue", "service", ("top:0",)),
        ("6ww1", "queue", "fault", ("top:6", "faults:1")),
        ("5", "queue", "complaint", ("top:5",)),
    ],
)
async def test_a_simulated_caller_presses_through_the_main_menu_to_the_queue_they_want(
    line, keys, outcome, queue, path
):
    assert keys in {k for k, _ in CALLER_INTENTS}
    caller = unique_caller()
    sim = CallerSimulator(
        line.ami,
        [caller],
        unknown_share=0.0,
        intents=[(keys, 1)],
        key_delay=(2, 2),
        patience=(15, 15),
        variables={"HOTLINE_AGI": f"agi://127.0.0.1:{line.port}"},
        rng=random.Random(7),
    )
    await sim.place_one()
    try:
        finished = await line.wait_bus(IvrFinished, lambda e: e.caller == caller, timeout=30)
        assert (finished.flow, finished.outcome, finished.queue, finished.path) == (
            "main",
            outcome,
            queue,
            path,
        )
    finally:
        await line.hangup_caller(caller)


async def test_a_simulated_caller_leaves_a_fault_message_through_the_ivr(line):
    """Now and then a caller presses 4 (故障报修留言), speaks, hangs up: the IVR's report_fault
    records it and publishes the voicemail that ticketing puts in an agent's inbox."""
    assert LEAVES_A_MESSAGE in {k for k, _ in CALLER_INTENTS}
    caller = unique_caller()
    sim = CallerSimulator(
        line.ami,
        [caller],
        unknown_share=0.0,
        intents=[(LEAVES_A_MESSAGE, 1)],
        key_delay=(2, 2),
        variables={"HOTLINE_AGI": f"agi://127.0.0.1:{line.port}"},
        rng=random.Random(7),
    )
    await sim.place_one()
    try:
        message = await line.wait_bus(VoicemailReceived, lambda e: e.caller == caller, timeout=60)
        assert (message.reason, message.dnis) == ("fault_report", "95598")
        assert message.duration > 1 and await asyncio.to_thread(Path(message.path).exists)
        finished = await line.wait_bus(IvrFinished, lambda e: e.caller == caller, timeout=30)
        assert finished.path == ("top:4",) and "report_fault" in finished.self_service
    finally:
        await line.hangup_caller(caller)


async def test_a_simulated_customer_faxes_the_fax_line_through_asterisk(line):
    """A customer's fax machine calls 95598009 (routing: target fax): SendFAX on the simulator's
    half, ReceiveFAX in hotline-fax-in, whose HotlineFax event the bridge turns into the inbox's
    fax. One T.30 page takes about 18 s."""
    caller = unique_caller()
    sim = CallerSimulator(
        line.ami,
        [caller],
        unknown_share=0.0,
        faxes_per_hour=1,
        recordings=RecordingStore(line.asterisk.root),
        variables={"HOTLINE_AGI": f"agi://127.0.0.1:{line.port}"},
        rng=random.Random(7),
    )
    await sim.send_fax()
    assert (sim.faxes_sent, sim.failed) == (1, 0)
    try:
        fax = await line.wait_event(
            lambda f: f.get("UserEvent") == "HotlineFax" and f.get("CallerIDNum") == caller, timeout=90
        )
        assert (fax.get("Status"), fax.get("Pages"), fax.get("DNIS")) == ("SUCCESS", "1", "95598009")
        assert await asyncio.to_thread(line.asterisk.host_path(fax.get("File")).exists)
    finally:
        await line.hangup_caller(caller)


async def _demo_members(ami) -> set[tuple[str, str]]:
    frames = await ami.action_list("QueueStatus")
    return {
        (f.get("Queue"), f.get("StateInterface") or f.get("Location"))
        for f in frames
        if f.name == "QueueMember"
        and (f.get("Location") or "").endswith("@hotline-sim-phone/n")
        and (f.get("Name") or "") in ("1001", "1002", "1003", "1004")
    }


async def test_the_demo_leaves_no_queue_member_behind_when_it_stops(ami, tmp_path):
    """Members outlive Asterisk restarts: a demo that left its seats in the queues made the next
    test on this Asterisk find agents where it expected none (a JOINEMPTY that became a TIMEOUT)."""
    # The demo uses a running Asterisk only with the settings it was started with (4bf1d4c), so
    # it takes the shared one's AGI port; the CTI stories, which route by whether an AGI server
    # answers there (tests/cti/harness.py), wait for it meanwhile.
    env = dict(
        os.environ,
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3",
        HOTLINE_HTTP_PORT="8094",
    )
    stories = open(CTI_STORIES_LOCK, "w")  # noqa: ASYNC230, SIM115
    await asyncio.to_thread(fcntl.flock, stories, fcntl.LOCK_EX)
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hotline",
        "demo",
        "--no-simulator",
        env=env,
        stdout=(tmp_path / "demo.log").open("w"),
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while ("service", "Local/1002@hotline-sim-phone/n") not in await _demo_members(ami):
            assert demo.returncode is None, "the demo stopped by itself"
            assert loop.time() < deadline, "the demo's agents never signed in"
            await asyncio.sleep(0.5)
        # the person trying the demo signs in on 1001, as the console does
        await ami.action(
            "QueueAdd",
            Queue="service",
            Interface="Local/1001@hotline-sim-phone/n",
            MemberName="1001",
            Penalty="1",
        )
        await asyncio.sleep(1.0)  # the demo's bridge hears of it
        demo.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(demo.wait(), 60) == 0
        assert await _demo_members(ami) == set()
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
        for queue, interface in await _demo_members(ami):  # whatever the outcome, leave none
            await ami.action("QueueRemove", Queue=queue, Interface=interface)
        fcntl.flock(stories, fcntl.LOCK_UN)
        stories.close()
