"""The real ``cti.CtiBridge`` pointed at the replay server, with the capture's agents signed in.

The capture was recorded with simulated agents (``MemberName: bench<ext>`` on
``Local/<ext>@hotline-sim-phone/n``) that the bridge did not log in itself, so
they are entered into its agent book as logged in and ready, as a resync
would find them. Then every queue event moves a call *and* an agent, the way
it does in production. Everything the model emits goes through the bridge's
publisher onto an in-process bus (no lookup: screen-pop is measured apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cti import agents as A
from cti import recording
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.calls import EVENTS

_MEMBER = re.compile(rb"MemberName: (\S+)\r\nInterface: (\S+)\r\n")


def members_of(capture: Path) -> dict[str, str]:
    """MemberName → Interface for every queue member the capture mentions."""
    found: dict[str, str] = {}
    for name, iface in _MEMBER.findall(capture.read_bytes()):
        found.setdefault(name.decode(), iface.decode())
    return found


_RECORDED = re.compile(rb"Event: MixMonitorStart\r\n(?:[^\r]*\r\n)*?Linkedid: ([^\r]+)\r\n")


def lay_recordings(stream: Path, root: Path) -> int:
    """Put where MixMonitor would have put it a closed recording of every call ``stream`` records.

    In production the file is on the disk when the call ends, and the bridge's first
    look finds it closed. In a replay no file would ever appear, and the bridge would
    look for each one for 5 s and then search: the cost of an Asterisk whose disk this
    machine cannot see, not of a working one. Returns how many files were laid.
    """
    from cti import recording

    pcm = b"\0" * 800  # 50 ms of 8 kHz 16-bit silence
    wav = (
        b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        + b"data" + struct.pack("<I", len(pcm)) + pcm
    )  # fmt: skip
    offset = recording.local_utc_offset()
    laid = 0
    for linkedid in set(_RECORDED.findall(stream.read_bytes())):
        path = Path(
            recording.host_path(str(root), recording.dialplan_path(linkedid.decode(), time.time(), offset))
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wav)
        laid += 1
    return laid


@contextlib.contextmanager
def recordings_root(stream: Path, present: bool = True) -> Iterator[Path]:
    """A scratch Asterisk root for the bridge under test: holding the recordings of ``stream``'s
    calls (``lay_recordings``), or with ``present=False`` none, as from an Asterisk whose disk
    this machine cannot see."""
    with tempfile.TemporaryDirectory(prefix="hotline-bench-recordings-") as root:
        if present:
            lay_recordings(stream, Path(root))
        yield Path(root)


#: the pace the harness's clock assumes: Asterisk's saturation (goal 1c), AMI events per second
PACE = 41_000.0


class PacedRecordings(recording.Recordings):
    """``Recordings`` on the harness's clock: looked at when the fed events say a tick has passed.

    The real one looks every ``tick`` of the event loop's clock, in a worker thread. Under a
    profiler or valgrind a run takes minutes instead of a second, so how many looks it made, and
    how many ``RecordingReady`` it announced before the end, depended on how slow the run was, not
    on the events: the bridge's instruction count moved by 9 % between runs of one tree. Here the
    clock is ``now``, which the feeding loop moves by the events fed at ``PACE``, and the looks are
    made in the loop's own thread when a tick of it has passed (``step``): what the bridge does
    per event is the same, but the same on every run. (The thread hop saved is one per tick, 20 a
    second at any pace: nothing per event.)
    """

    def __init__(self, tick: float = 0.05) -> None:
        super().__init__(tick)
        self.now = 0.0
        self._next_look = 0.0

    def closed(self, path: str, limit: float = 5.0, poll: float = 0.05) -> asyncio.Future[float | None]:
        return self._add(recording._Closed(path, self.now, self.now + limit, poll))

    def _add(self, look: Any) -> asyncio.Future[Any]:
        look.future = asyncio.get_running_loop().create_future()
        self._looks.append(look)
        return look.future

    def advance(self, seconds: float) -> None:
        """The clock moved on by ``seconds``: the looks due at a tick passed meanwhile are made."""
        self.now += seconds
        while self._next_look <= self.now:
            self.step(self._next_look)
            self._next_look += self.tick

    def step(self, now: float) -> None:
        """One round of ``Recordings._run``, at ``now``, in this thread."""
        self._looks = [look for look in self._looks if not look.future.done()]
        due = [look for look in self._looks if look.due <= now]
        if not due:
            return
        answers = recording._look_all([look.request for look in due])
        for look, answer in zip(due, answers, strict=True):
            if look.future.done():
                continue
            if isinstance(answer, Exception):
                look.future.set_exception(answer)
            else:
                look.seen(answer, now)

    async def settle(self) -> None:
        """Ticks until no look is left (each recording is on the disk, so one look ends its wait),
        letting the callbacks and searches they start run between them."""
        for _ in range(1000):
            await asyncio.sleep(0)
            self._looks = [look for look in self._looks if not look.future.done()]
            if not self._looks:
                return
            self.advance(self.tick)
        raise RuntimeError(f"{len(self._looks)} recordings still looked for after 1000 ticks")


class BridgeUnderTest:
    def __init__(self, port: int, capture: Path | None, recordings_root: Path | None = None) -> None:
        settings = CtiSettings(ami_port=port, ami_user="bench", ami_secret="bench", keepalive=3600.0)
        if recordings_root is not None:
            settings.asterisk_root = str(recordings_root)
        settings.replay_history = False
        self.bus = InProcessBus()
        self.published = 0
        self.bridge = CtiBridge(settings, self.bus)
        self.members = members_of(capture) if capture else {}

    async def start(self, connect: bool = True) -> None:
        async def count(_event: Any) -> None:
            self.published += 1

        self.subscription = self.bus.subscribe(count)
        await self.bridge.start()
        if connect:
            # After the resync, which finds no queue members on the replay server and signs everybody out.
            await self.bridge.wait_connected()
        self.sign_in()

    def sign_in(self) -> None:
        book = self.bridge.agent_book
        for agent_id, interface in self.members.items():
            agent = book.ensure(agent_id, interface)
            book.apply(agent, "login", 0.0)
            book.apply(agent, "ready", 0.0)

    def on_event(self, name: str, callback: Any) -> None:
        self.bridge.ami.on_event(name, callback)

    async def flush(self) -> None:
        """Until every event the model emitted is published and consumed."""
        await self.bridge.flush()

    def stats(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for agent in self.bridge.agent_book.agents.values():
            states[agent.state] = states.get(agent.state, 0) + 1
        return {
            "published": self.published,
            "calls_open": len(self.bridge.model.calls),
            "agents": len(self.bridge.agent_book.agents),
            "agent_states": states,
            "ready": states.get(A.READY, 0),
        }

    async def stop(self) -> None:
        await self.subscription.close()
        await self.bridge.stop()
        await self.bus.close()


async def feed_in_process(
    capture: Path,
    events: int,
    model_only: bool = False,
    chunk: int = 65536,
    prepared: int | None = None,
    panoramisk: bool = False,
) -> dict[str, Any]:
    """The bridge fed ``events`` replayed frames with no socket (for profilers): CPU µs per event.

    The frames enter where the socket's bytes would (the link's ``data_received``),
    so the client's framing and dispatch, the model and the publisher are all in.
    ``model_only``: the AMI client and the call/agent/queue model alone, whose
    events are only counted (no publisher, no bus, none of the bridge's side work).
    ``panoramisk``: the peer instead, panoramisk 1.4's protocol and manager with a
    ``'*'`` callback, on the same frames. ``prepared``: frames are read, and recordings
    laid, for this many events, of which only the first ``events`` are fed, so that two
    runs of different lengths do the same work before feeding (``bench.instructions``).
    """
    from bench import replay

    # Whole frames per chunk, as the replay server writes them: the answers to the
    # bridge's actions then come in between chunks, as they do over the socket.
    stream = replay.expand(capture, max(events, prepared or 0))
    chunks = replay.chunks_of(replay.frames_of(stream.read_bytes()), chunk)
    fed, total = [], 0
    for data, count in chunks:
        if total >= events:
            break
        fed.append((data, count))
        total += count
    with recordings_root(stream) as root:  # the calls' recordings on the disk, as in production
        if panoramisk:
            return await _feed_panoramisk(fed, total)
        under_test = ModelUnderTest(capture) if model_only else BridgeUnderTest(0, capture, root)
        return await _feed(under_test, fed, total)


async def _feed(under_test: BridgeUnderTest, chunks: list[tuple[bytes, int]], events: int) -> dict[str, Any]:
    import time

    from cti.ami.client import _Link

    ami = under_test.bridge.ami
    # The recordings on the fed events' clock, not the loop's (PacedRecordings); the model alone
    # has none.
    paced = PacedRecordings() if isinstance(under_test.bridge, CtiBridge) else None
    if paced is not None:
        under_test.bridge._recordings = paced
    ami.start = _no_connection  # type: ignore[method-assign]
    await under_test.start(connect=False)
    link = _Link(ami)
    link.proto.greeting = ""
    link.transport = _Answering(link)  # type: ignore[assignment]
    ami._link = link
    ami._apply_filter()
    ami._live = True
    # As a started service does (hotline.runtime.settle_heap): what start-up built is moved out of
    # the collector's sight, so a full collection walks only what the bridge makes as it runs.
    gc.collect()
    gc.freeze()
    started = time.process_time()
    for data, count in chunks:
        link.data_received(data)
        if paced is not None:
            paced.advance(count / PACE)
        await asyncio.sleep(0)
    if paced is not None:
        await paced.settle()  # every ended call's recording looked at and announced
    await under_test.flush()
    cpu = time.process_time() - started
    stats = under_test.stats()
    await under_test.stop()
    return {"events": events, "cpu": cpu, "us_per_event": cpu / events * 1e6, **stats}


async def _feed_panoramisk(chunks: list[tuple[bytes, int]], events: int) -> dict[str, Any]:
    import time

    from panoramisk import Manager
    from panoramisk.ami_protocol import AMIProtocol

    seen = 0

    def on_event(_manager: Any, _message: Any) -> None:
        nonlocal seen
        seen += 1

    manager = Manager(loop=asyncio.get_running_loop(), ping_delay=3600)
    manager.register_event("*", on_event)
    protocol = AMIProtocol()
    protocol.connection_made(_Answering(None))
    protocol.factory = manager
    started = time.process_time()
    for data, _count in chunks:
        protocol.data_received(data)
        await asyncio.sleep(0)
    cpu = time.process_time() - started
    return {"events": events, "cpu": cpu, "us_per_event": cpu / events * 1e6, "published": seen}


class ModelUnderTest(BridgeUnderTest):
    """The AMI client and the model as the bridge wires them, without the bridge."""

    def __init__(self, capture: Path) -> None:
        from types import SimpleNamespace

        from cti.agents import AgentBook
        from cti.ami import AmiClient
        from cti.calls import CallModel
        from cti.queues import QueueBoard

        def count(_event: Any) -> None:
            self.published += 1

        self.published = 0
        self.members = members_of(capture)
        book = AgentBook(count)
        board = QueueBoard(count, book)
        model = CallModel(count, book, board)
        self.bridge = SimpleNamespace(ami=AmiClient(port=0, keepalive=3600.0), agent_book=book, model=model)

    async def start(self, connect: bool = False) -> None:
        self.sign_in()
        self.published = 0
        for name in EVENTS:
            self.bridge.ami.on_event(name, self.bridge.model.listeners[name])

    async def flush(self) -> None:
        pass

    async def stop(self) -> None:
        pass


async def _no_connection() -> None:
    return None


class _Answering:
    """A transport that answers every action the bridge sends (Getvar …) with an empty Success."""

    def __init__(self, link: Any) -> None:
        self.link = link

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        action_id = re.search(rb"ActionID: (\S+)", data)[1]  # type: ignore[index]
        reply = b"Response: Success\r\nActionID: " + action_id + b"\r\nValue: \r\n\r\n"
        asyncio.get_running_loop().call_soon(self.link.data_received, reply)

    def abort(self) -> None:
        pass

    def pause_reading(self) -> None:  # the frames come from the loop in feed_in_process, not from here
        pass

    def resume_reading(self) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    from bench.capture import DEFAULT_CAPTURE

    parser = argparse.ArgumentParser(
        prog="python -m bench.bridge_harness", description=feed_in_process.__doc__
    )
    parser.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE)
    parser.add_argument("--events", type=int, default=200_000)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model-only", action="store_true", help="the AMI client and the model, no bridge")
    which.add_argument(
        "--panoramisk", action="store_true", help="the peer, panoramisk 1.4, on the same frames"
    )
    parser.add_argument(
        "--prepared",
        type=int,
        help="read the frames (and lay the recordings) of this many events, feed --events",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile dump here")
    args = parser.parse_args(argv)
    run = feed_in_process(
        args.capture, args.events, args.model_only, prepared=args.prepared, panoramisk=args.panoramisk
    )
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, run)
        profiler.dump_stats(args.profile)
    else:
        result = asyncio.run(run)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
