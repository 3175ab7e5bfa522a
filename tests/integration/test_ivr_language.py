"""Mandarin on the real Asterisk: a hotline call speaks zh, its prompts and numbers come
from the sounds/zh/ tree that hotline-asterisk start spoke from deploy/prompts/zh.yaml."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import wave
from pathlib import Path

import pytest
from ivr_harness import Harness, ami_fixture, closed_port, unique_caller

from cti.routing_config import parse_routing
from ivr import IvrFinished, IvrServices, create_agi_server, load_flows
from ivr.agi import AgiResponse
from ivr.flows import DATETIME_FORMATS
from ivr.server import AgiServer
from ivr.session import AgiSession
from recordings import RecordingStore

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture"]

REPO = Path(__file__).resolve().parents[2]
MAIN_LINE = "95596"
ROUTING = {
    "default_queue": "service",
    "queues": {"service": {}, "fault": {}, "complaint": {}},
    "entries": [{"numbers": [MAIN_LINE], "target": "ivr:main"}],
}


def zh_sound(asterisk, name: str) -> Path:
    return asterisk.root / "usr/share/asterisk/sounds/zh" / f"{name}.wav"


def wav_samples(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


@pytest.fixture
def agi_log(monkeypatch) -> list[tuple[tuple, AgiResponse]]:
    """Every AGI command the IVR sends on these calls and what Asterisk answered."""
    seen: list[tuple[tuple, AgiResponse]] = []
    command = AgiSession.command

    async def spy(self, *words, **kwargs):
        response = await command(self, *words, **kwargs)
        seen.append((words, response))
        return response

    monkeypatch.setattr(AgiSession, "command", spy)
    return seen


async def test_the_main_flow_greets_the_caller_with_the_zh_prompt(ami, asterisk, agi_log, monkeypatch):
    welcome = zh_sound(asterisk, "hotline/welcome")
    assert welcome.exists(), "hotline-asterisk start did not speak deploy/prompts/zh.yaml"
    h = Harness(ami, asterisk)
    h.watch_agi(monkeypatch)
    services = IvrServices(
        routing=parse_routing(ROUTING),
        flows=load_flows(REPO / "deploy" / "ivr.yaml"),  # the shipped flows, prompts and language
        bus=h.bus,
        store=RecordingStore(asterisk.root),
        clock=lambda: dt.datetime.now(dt.UTC),
    )
    server = create_agi_server(services, port=0)
    await server.start()
    h.port = server.port
    caller = unique_caller()
    try:
        await h.call(MAIN_LINE, caller, stay=30)
        # "0" (an agent) once the greeting has been heard to its end, during the menu.
        await h.press_during(caller, "0", "STREAM FILE", "hotline/menu-main")
        finished = await h.wait_bus(IvrFinished, lambda e: e.caller == caller)
        assert (finished.flow, finished.path, finished.queue) == ("main", ("top:0",), "service")
    finally:
        await h.hangup_caller(caller)
        await server.stop()
        h._unsub()
        await h.bus.close()
    assert (("SET VARIABLE", "CHANNEL(language)", "zh"), "200") in [
        (words, str(r.code)) for words, r in agi_log if words[0] == "SET VARIABLE"
    ]
    played = [(words[1], r) for words, r in agi_log if words[0] == "STREAM FILE"]
    assert played[0][0] == "hotline/welcome"
    # Asterisk found it (no zh file: result -1) and played this very file to its end:
    # the end position is its length in samples (an English or other file would differ).
    assert played[0][1].result == "0"
    assert played[0][1].endpos == wav_samples(welcome)
    assert played[1][0] == "hotline/menu-main"


async def test_numbers_and_times_are_said_from_the_zh_digits(ami, asterisk):
    """SAY NUMBER/DIGITS/DATETIME on a zh channel find every file say.c's Chinese syntax asks for.

    One call for each saying, side by side (said one after another they took 20 s); the date's
    format in its space-separated parts (say.c reads each letter on its own), 10 s said whole."""
    log = asterisk.root / "var/log/asterisk/messages.log"
    start = log.stat().st_size
    h = Harness(ami, asterisk)
    when = int(dt.datetime(2026, 11, 26, 15, 5).timestamp())

    def saying(say, *args):
        async def run(session: AgiSession) -> None:
            await say(session, *args)

        return run

    sayings = {
        unique_caller(): saying(AgiSession.say_number, 120045),  # 十 二 万 零 四十 五: digits/wan is zh only
        unique_caller(): saying(AgiSession.say_number, -3),
        unique_caller(): saying(AgiSession.say_digits, "95598"),
        **{
            unique_caller(): saying(AgiSession.say_datetime, when, part)
            for part in DATETIME_FORMATS["zh"].split()
        },
    }
    said: dict[str, list[str]] = {}

    async def say(session: AgiSession) -> None:
        caller = session.env.get("callerid", "")
        said[caller] = [await session.get_variable("${CHANNEL(language)}")]
        await sayings[caller](session)
        said[caller].append("done")
        await session.set_variable("HOTLINE_ACTION", "hangup")

    server = AgiServer({"route": say}, port=0)
    await server.start()
    h.port = server.port
    try:
        for caller in sayings:
            await h.call(MAIN_LINE, caller, stay=30)
        for _ in range(300):
            if all("done" in words for words in said.values()) and len(said) == len(sayings):
                break
            await asyncio.sleep(0.1)
    finally:
        for caller in sayings:
            await h.hangup_caller(caller)
        await server.stop()
        h._unsub()
    assert said == {
        caller: ["zh", "done"] for caller in sayings
    }  # the dialplan's language, set before the AGI
    with log.open("rb") as f:
        f.seek(start)
        appended = f.read().decode(errors="replace")
    missing = [
        line
        for line in appended.splitlines()
        if ("does not exist" in line or "Unable to open" in line) and "digits/" in line
    ]
    assert missing == []


async def test_a_waiting_caller_hears_the_position_announcement_in_zh(ami, asterisk):
    """The product queues announce; Asterisk's own trace says which file and language it played."""
    name = f"hotline-test-{unique_caller()}.log"
    trace = asterisk.root / "var/log/asterisk" / name
    caller = unique_caller()
    member = "Local/2978@hotline-sim-phone/n"
    # A paused member: the caller may join but is not rung, so it waits and is told its place.
    with contextlib.suppress(Exception):  # left over from an interrupted run (members persist)
        await ami.action("QueueRemove", Queue="vip", Interface=member)
    await ami.action(
        "QueueAdd", Queue="vip", Interface=member, Penalty="0", MemberName="ivr2978", Paused="true"
    )
    asterisk.cli(f"logger add channel {name} verbose(3)")
    try:
        await ami.action(
            "Originate",
            Channel=f"Local/{MAIN_LINE}@hotline-inbound/n",
            Context="hotline-sim-caller",
            Exten="20",
            Priority="1",
            CallerID=f'"IVR test" <{caller}>',
            Variable=f"HOTLINE_AGI=agi://127.0.0.1:{closed_port()},__HOTLINE_QUEUE=vip",
            Async="true",
        )
        told = ""
        for _ in range(150):
            text = trace.read_text(errors="replace") if trace.exists() else ""
            ours = [line for line in text.splitlines() if f"{MAIN_LINE}@hotline-inbound" in line]
            told = "\n".join(line for line in ours if "Playing 'queue-" in line)
            if "queue-thankyou" in told:
                break
            await asyncio.sleep(0.1)
    finally:
        asterisk.cli(f"logger remove channel {name}")
        await ami.action("QueueRemove", Queue="vip", Interface=member)
        h = Harness(ami, asterisk)
        await h.hangup_caller(caller)
        h._unsub()
        trace.unlink(missing_ok=True)
    # Position 1 ("您是下一位…"), then "感谢您的耐心等待", from the zh WAVs (slin), not English GSM.
    assert "Playing 'queue-youarenext.slin' (language 'zh')" in told
    assert "Playing 'queue-thankyou.slin' (language 'zh')" in told
