"""Record a real AMI event stream from the real Asterisk under queued-call load.

Two AMI connections: a raw one that logs in with ``Events: on`` and writes
every byte after its login response to the capture file (so the file holds
nothing but events, exactly as Asterisk framed them), and a control one (our
``AmiClient``, events off) that drives the load:

* simulated agents ``Local/3xxx@hotline-sim-phone/n`` join the bench queues
  (QueueAdd), each with AstDB ``hotline-sim/talk-<ext>`` = the talk time and no
  ring delay;
* callers are originated at a steady rate into ``hotline-inbound`` (DNIS 95598)
  with ``__HOTLINE_QUEUE`` naming the queue, the caller's side in
  ``hotline-sim-caller``;
* afterwards the members are removed and the AstDB keys deleted, whatever
  happened.

The bench queues (bench-a, bench-b in queues.conf) keep this load out of the
test queues other people's integration tests watch.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.figures import CAPTURES
from cti.ami import AmiClient, AmiError

DEFAULT_CAPTURE = CAPTURES / "ami-queued.raw"
# Callers' numbers start with this, so the drain check can tell our channels apart.
BENCH_PREFIX = "1398"


@dataclass
class Load:
    agents: int = 80
    rate: float = 40.0  # calls per second
    seconds: float = 15.0
    talk: int = 1  # agent talk time (s)
    # The caller hangs up after this if nobody did before; two digits at least
    # (hotline-sim-caller matches _X.).
    caller_stays: int = 10
    queues: tuple[str, ...] = ("bench-a", "bench-b")
    first_ext: int = 3000
    # inbound: through hotline-inbound (its AGI, recording) with tones on both ends;
    # queue: straight into hotline-queue (recording, tones);
    # signalling: the silent hotline-bench-* contexts, no audio at all
    entry: str = "inbound"
    host: str = "127.0.0.1"
    port: int = int(os.environ.get("HOTLINE_AMI_PORT", "5038"))
    username: str = os.environ.get("HOTLINE_AMI_USER", "hotline")
    secret: str = os.environ.get("HOTLINE_AMI_SECRET", "hotline-demo")

    @property
    def phone_context(self) -> str:
        return "hotline-bench-phone" if self.entry == "signalling" else "hotline-sim-phone"

    @property
    def caller_context(self) -> str:
        return "hotline-bench-caller" if self.entry == "signalling" else "hotline-sim-caller"

    def members(self) -> list[tuple[str, str, str]]:
        """(extension, interface, queue) for every simulated agent."""
        out = []
        for i in range(self.agents):
            ext = str(self.first_ext + i)
            out.append((ext, f"Local/{ext}@{self.phone_context}/n", self.queues[i % len(self.queues)]))
        return out


@dataclass
class CaptureResult:
    path: Path
    bytes: int = 0
    events: int = 0
    seconds: float = 0.0
    originated: int = 0
    failed_originates: int = 0
    counts: collections.Counter[str] = field(default_factory=collections.Counter)


class _Recorder(asyncio.Protocol):
    """Writes every byte after the login response; counts frames as it goes."""

    def __init__(self, path: Path, username: str, secret: str) -> None:
        self.fh = path.open("wb")
        self.username, self.secret = username, secret
        self.pre = b""
        self.logged_in = asyncio.get_running_loop().create_future()
        self.recording = False
        self.bytes = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(  # type: ignore[attr-defined]
            f"Action: Login\r\nActionID: rec-1\r\nUsername: {self.username}\r\n"
            f"Secret: {self.secret}\r\nEvents: on\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        if self.recording:
            self.fh.write(data)
            self.bytes += len(data)
            return
        self.pre += data
        end = self.pre.find(b"ActionID: rec-1")
        stop = self.pre.find(b"\r\n\r\n", end) if end >= 0 else -1
        if stop < 0:
            return
        response = self.pre[:stop]
        if b"Response: Success" not in response:
            self.logged_in.set_exception(AmiError(f"capture login refused: {response[-200:]!r}"))
            return
        rest = self.pre[stop + 4 :]
        self.recording = True
        self.logged_in.set_result(None)
        self.data_received(rest) if rest else None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.logged_in.done():
            self.logged_in.set_exception(AmiError(f"capture connection lost: {exc}"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.fh.close()


def _agi_listening(port: int = 4573) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.3):
        return True
    return False


async def _setup(ami: AmiClient, load: Load) -> None:
    for ext, iface, queue in load.members():
        await ami.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val=str(load.talk))
        await ami.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val="0")
        with contextlib.suppress(AmiError):  # a member left over from an interrupted run
            await ami.action("QueueRemove", Queue=queue, Interface=iface)
        await ami.action("QueueAdd", Queue=queue, Interface=iface, Penalty=0, MemberName=f"bench{ext}")


async def _teardown(ami: AmiClient, load: Load) -> None:
    for ext, iface, queue in load.members():
        with contextlib.suppress(AmiError):
            await ami.action("QueueRemove", Queue=queue, Interface=iface)
        for key in (f"talk-{ext}", f"ring-{ext}"):
            with contextlib.suppress(AmiError):
                await ami.action("DBDel", Family="hotline-sim", Key=key)


async def _originate_all(ami: AmiClient, load: Load) -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    total = int(load.rate * load.seconds)
    start = loop.time()
    sent = failed = 0
    tasks: list[asyncio.Task[object]] = []
    for n in range(total):
        delay = start + n / load.rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue = load.queues[n % len(load.queues)]
        number = f"{BENCH_PREFIX}{n % 10_000_000:07d}"
        if load.entry == "queue":
            channel, variables = f"Local/{queue}@hotline-queue/n", []
        elif load.entry == "signalling":
            channel, variables = f"Local/{queue}@hotline-bench-queue/n", []
        else:
            channel, variables = "Local/95598@hotline-inbound/n", [f"__HOTLINE_QUEUE={queue}"]
        tasks.append(
            loop.create_task(
                ami.action(
                    "Originate",
                    Channel=channel,
                    Context=load.caller_context,
                    Exten=str(load.caller_stays),
                    Priority=1,
                    CallerID=f'"Bench {n}" <{number}>',
                    Variable=variables,
                    Async="true",
                )
            )
        )
        sent += 1
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        failed += isinstance(result, BaseException)
    return sent, failed


async def _channels(ami: AmiClient) -> int:
    """Channels of this load still up (other people's calls may be running too)."""
    frames = await ami.action_list("CoreShowChannels", timeout=30)
    return sum(
        1
        for f in frames
        if f.get("CallerIDNum").startswith(BENCH_PREFIX) or f.get("ConnectedLineNum").startswith(BENCH_PREFIX)
    )


async def record(load: Load, path: Path = DEFAULT_CAPTURE, *, drain_timeout: float = 60.0) -> CaptureResult:
    path.parent.mkdir(parents=True, exist_ok=True)
    if load.entry == "inbound" and _agi_listening():
        print("note: a FastAGI server answers on 4573; its routing decides where the calls go")
    result = CaptureResult(path=path)
    ami = AmiClient(load.host, load.port, load.username, load.secret, events="off")
    async with ami:
        loop = asyncio.get_running_loop()
        try:
            await _setup(ami, load)
            _, rec = await loop.create_connection(
                lambda: _Recorder(path, load.username, load.secret), load.host, load.port
            )
            try:
                await asyncio.wait_for(rec.logged_in, 10)
                started = time.perf_counter()
                result.originated, result.failed_originates = await _originate_all(ami, load)
                # Let every call finish: once its channels are up (an Async originate's may not
                # be yet; talk + ring + a margin at most), until none is left.
                # Polling is fine here: this is a harness draining its own load, once.
                deadline = loop.time() + load.talk + 1
                while loop.time() < deadline and await _channels(ami) == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                deadline = loop.time() + drain_timeout
                while loop.time() < deadline and await _channels(ami) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                await asyncio.sleep(0.5)
                result.seconds = time.perf_counter() - started
            finally:
                rec.close()
            result.bytes = rec.bytes
        finally:
            await _teardown(ami, load)
    return result


_EVENT = re.compile(rb"(?:^|\r\n\r\n)Event: ([^\r]+)")


def count_events(stream: bytes) -> collections.Counter[str]:
    return collections.Counter(m.decode() for m in _EVENT.findall(stream))
