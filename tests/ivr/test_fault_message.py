"""A fault message with no words in it opens no order (QA F3): asked once more, then an agent."""

from __future__ import annotations

import math
import wave
from pathlib import Path

from cti.call_events import VoicemailReceived

from .conftest import FakeChannel
from .test_route import bus, bus_events, hooks, run, services  # noqa: F401  (fixtures)

ASTERISK_PATH = "/var/spool/x/20260923/1700000000.1-fault.wav"


def wav(path: Path, seconds: float, amplitude: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        samples = (int(amplitude * 32767 * math.sin(i / 8000 * 2 * math.pi * 440)) for i in range(frames))
        out.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))


class Caller(FakeChannel):
    """Each Record() leaves the next of ``messages`` (seconds, amplitude) in the file."""

    def __init__(self, keys: str, root: Path, messages: list[tuple[float, float]]) -> None:
        super().__init__(keys)
        self.get_vars["${HOTLINE_VM_DIR}/${STRFTIME(${EPOCH},,%Y%m%d)}/${CHANNEL(linkedid)}-fault.wav"] = (
            ASTERISK_PATH
        )
        self.file = root / ASTERISK_PATH.lstrip("/")
        self.messages = list(messages)

    def answer(self, words: list[str]) -> str:
        if words[:2] == ["EXEC", "Record"]:
            wav(self.file, *self.messages.pop(0))
        return super().answer(words)


async def test_a_spoken_message_is_published_with_the_length_of_its_audio(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(agi_server, services(bus, hooks, tmp_path), Caller("4", tmp_path, [(2.5, 0.5)]))
    await bus.drain()
    (vm,) = bus_events(bus, VoicemailReceived)
    assert vm.duration == 2.5 and vm.path == str(ch.file)
    assert "hotline/message-saved" in ch.played() and ch.variables["HOTLINE_ACTION"] == "hangup"


async def test_silence_twice_opens_nothing_and_hands_the_caller_to_an_agent(agi_server, bus, hooks, tmp_path):  # noqa: F811
    # a silent line, then one whose phone sends no audio at all (a bare WAV header)
    ch = await run(agi_server, services(bus, hooks, tmp_path), Caller("4", tmp_path, [(10, 0.0), (0, 0.0)]))
    await bus.drain()
    assert bus_events(bus, VoicemailReceived) == []
    assert "hotline/message-saved" not in ch.played() and not ch.file.exists()
    assert ch.played().index("hotline/message-empty-retry") < ch.played().index("hotline/message-empty")
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")


async def test_a_silent_message_may_be_said_again(agi_server, bus, hooks, tmp_path):  # noqa: F811
    ch = await run(agi_server, services(bus, hooks, tmp_path), Caller("4", tmp_path, [(0.5, 0.5), (3, 0.3)]))
    await bus.drain()
    (vm,) = bus_events(bus, VoicemailReceived)
    assert vm.duration == 3.0
    assert ch.played().count("hotline/message-empty-retry") == 1 and "hotline/message-saved" in ch.played()
