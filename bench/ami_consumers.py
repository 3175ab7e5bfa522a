"""AMI consumers under test, each run alone in a child process.

``python -m bench.ami_consumers KIND --port P`` connects to the replay server
(bench/replay.py), logs in, consumes until ``Event: BenchEnd`` and prints one
JSON line: events seen, wall seconds and CPU seconds from the first event (or,
for the kinds in ``GO_KINDS``, from their ``BenchGo``) to the end marker (the
clock never includes connecting or logging in), and the peak resident memory.

Kinds:

* ``discard`` - an asyncio.Protocol that drops the bytes: the ceiling;
* ``panoramisk`` - panoramisk 1.4, ``register_event('*')``;
* ``pyst2`` - pyst2 0.5.1 ``asterisk.manager.Manager``, a ``'*'`` callback;
* ``ours`` - our ``AmiClient``: one ``'*'`` listener, no field read (the
  frames are split and named, never parsed into fields);
* ``ours-used`` - our ``AmiClient`` with a listener per event a CTI model
  uses (``USED_EVENTS``), each reading fields, and no ``'*'`` listener: it asks
  the server for those events only (``Action: Filter``, which the replay honours
  as Asterisk does);
* ``ours-used-whole`` - the same with ``server_filter=False``: the whole stream
  arrives and the other events are dropped after their first line, never parsed;
* ``ours-all`` - our ``AmiClient`` reading one field (``Uniqueid``) of every
  event (a byte search, no dict: ``Frame.get``);
* ``ours-dict`` - our ``AmiClient`` parsing every event into its dict of fields
  (``Frame.fields``): what panoramisk does for every event, like for like;
* ``bridge`` - ``cti.CtiBridge`` with the full call/agent/queue model, its
  publisher and an in-process bus (bench/bridge_harness.py), asking the server
  for the events it uses, as in production; its clock stops when the last
  emitted event is on the bus;
* ``bridge-whole`` - the same bridge reading the whole stream
  (``server_filter=False``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cti.calls import EVENTS

# The events the real call/agent/queue model listens to (cti.calls.EVENTS);
# the rest of the stream (DeviceStateChange, NewConnectedLine …) is never parsed.
USED_EVENTS = EVENTS
END = "BenchEnd"
# Kinds that have no '*' listener to see the first event by: they start the
# stream (and their clock) with an ``Action: BenchGo``; -2 = "all the server sent".
GO_KINDS = ("ours-used", "ours-used-whole", "bridge", "bridge-whole")


class Meter:
    """Counts events; the clock runs from the first event to the end marker."""

    def __init__(self, on_end: Callable[[], None]) -> None:
        self.events = 0
        self.wall0 = self.cpu0 = 0.0
        self.wall = self.cpu = 0.0
        self._on_end = on_end

    def tick(self, name: str) -> None:
        if self.events == 0:
            self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        if name == END:
            self.wall = time.perf_counter() - self.wall0
            self.cpu = time.process_time() - self.cpu0
            self._on_end()
            return
        self.events += 1

    def result(self, **extra: Any) -> dict[str, Any]:
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"events": self.events, "seconds": self.wall, "cpu": self.cpu, "max_rss_mb": rss_mb, **extra}


async def run_discard(port: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    header = len(b"Asterisk Call Manager/11.0.0\r\n") + len(
        b"Response: Success\r\nActionID: d\r\nMessage: Authentication accepted\r\n\r\n"
    )
    stats = {"bytes": 0, "wall0": 0.0, "cpu0": 0.0}

    class Discard(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transport.write(b"Action: Login\r\nActionID: d\r\n\r\n")  # type: ignore[attr-defined]

        def data_received(self, data: bytes) -> None:
            # Greeting and login answer come first, then (50 ms later) the stream.
            if stats["bytes"] <= header < stats["bytes"] + len(data) or stats["bytes"] == header:
                if not stats["wall0"]:
                    stats["wall0"], stats["cpu0"] = time.perf_counter(), time.process_time()
            stats["bytes"] += len(data)

        def connection_lost(self, exc: Exception | None) -> None:
            done.set_result((time.perf_counter() - stats["wall0"], time.process_time() - stats["cpu0"]))

    transport, _ = await loop.create_connection(Discard, "127.0.0.1", port)
    wall, cpu = await done
    transport.close()
    return {"events": -1, "seconds": wall, "cpu": cpu, "bytes": stats["bytes"] - header}


async def run_panoramisk(port: int) -> dict[str, Any]:
    from panoramisk import Manager

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    meter = Meter(lambda: done.set_result(None))
    manager = Manager(
        loop=loop, host="127.0.0.1", port=port, username="bench", secret="bench", ping_delay=3600
    )

    def on_event(_manager: Any, message: Any) -> None:
        meter.tick(message.event)

    manager.register_event("*", on_event)
    await manager.connect()
    await done
    manager.close()
    return meter.result()


class _Headers(dict):
    """pyst2 0.5.1 still calls Python 2's ``dict.has_key`` on ``ChanVariable`` lines (manager.conf channelvars)."""

    def has_key(self, key: str) -> bool:
        return key in self


def run_pyst2(port: int) -> dict[str, Any]:
    from asterisk.manager import Manager, ManagerMsg

    plain_parse = ManagerMsg.parse

    def parse(self: Any, response: Any) -> Any:
        self.headers = _Headers(self.headers)
        return plain_parse(self, response)

    ManagerMsg.parse = parse

    finished = threading.Event()
    meter = Meter(finished.set)
    manager = Manager()
    manager.register_event("*", lambda event, _manager: meter.tick(event.name))
    manager.connect("127.0.0.1", port)
    manager.login("bench", "bench")
    finished.wait(3600)
    result = meter.result()
    manager._running.clear()  # its close() would log off and wait for threads
    return result


def _client(port: int, server_filter: bool = True) -> Any:
    from cti.ami import AmiClient

    return AmiClient("127.0.0.1", port, "bench", "bench", keepalive=3600, server_filter=server_filter)


async def run_ours(port: int, mode: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    meter = Meter(lambda: done.set_result(None))
    client = _client(port)
    sink: list[str] = []
    if mode == "all":
        client.on_event("*", lambda frame: (sink.append(frame.get("Uniqueid")), meter.tick(frame.name)))
    elif mode == "dict":
        client.on_event("*", lambda frame: (sink.append(frame.fields), meter.tick(frame.name)))
    else:
        client.on_event("*", lambda frame: meter.tick(frame.name))
    await client.start()
    await done
    await client.stop()
    return meter.result(parsed=len(sink))


async def _go(client: Any) -> tuple[float, float]:
    """Tell the replay server to start; the clock starts now (see replay --wait-go)."""
    await client.wait_connected()
    started = time.perf_counter(), time.process_time()
    await client.action("BenchGo")
    return started


def _stop_clock(started: tuple[float, float], events: int, **extra: Any) -> dict[str, Any]:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "events": events,
        "seconds": time.perf_counter() - started[0],
        "cpu": time.process_time() - started[1],
        "max_rss_mb": rss_mb,
        **extra,
    }


async def run_ours_used(port: int, server_filter: bool) -> dict[str, Any]:
    """Listeners only on the model's events: no '*' listener, so the rest is never parsed."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    client = _client(port, server_filter)
    sink: list[str] = []

    def read(frame: Any) -> None:
        sink.append(frame.get("Uniqueid") or frame.get("Queue"))

    for name in USED_EVENTS:
        client.on_event(name, read)
    client.on_event(END, lambda _frame: done.set_result(None))
    await client.start()
    started = await _go(client)
    await done
    result = _stop_clock(started, -2, parsed=len(sink))
    await client.stop()
    return result


async def run_bridge(
    port: int, capture: Path | None, server_filter: bool, recordings_root: Path | None
) -> dict[str, Any]:
    from bench.bridge_harness import BridgeUnderTest

    loop = asyncio.get_running_loop()
    done = loop.create_future()
    under_test = BridgeUnderTest(port, capture, recordings_root)
    under_test.bridge.ami.server_filter = server_filter
    under_test.on_event(END, lambda _frame: done.set_result(None))
    await under_test.start()
    started = await _go(under_test.bridge.ami)
    await done
    # The clock stops once everything the model emitted is on the bus, not before.
    await under_test.flush()
    result = _stop_clock(started, -2, **under_test.stats())
    await under_test.stop()
    return result


RUNNERS: dict[str, Callable[[int, Path | None, Path | None], Any]] = {
    "discard": lambda port, _, __: run_discard(port),
    "panoramisk": lambda port, _, __: run_panoramisk(port),
    "pyst2": lambda port, _, __: run_pyst2(port),
    "ours": lambda port, _, __: run_ours(port, "dispatch"),
    "ours-used": lambda port, _, __: run_ours_used(port, True),
    "ours-used-whole": lambda port, _, __: run_ours_used(port, False),
    "ours-all": lambda port, _, __: run_ours(port, "all"),
    "ours-dict": lambda port, _, __: run_ours(port, "dict"),
    "bridge": lambda port, capture, root: run_bridge(port, capture, True, root),
    "bridge-whole": lambda port, capture, root: run_bridge(port, capture, False, root),
}
#: the kinds that wait for call recordings (``--recordings-root``)
RECORDING_KINDS = ("bridge", "bridge-whole")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ami_consumers")
    parser.add_argument("kind", choices=sorted(RUNNERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--capture", type=Path, help="the capture (the bridge signs its agents in)")
    parser.add_argument(
        "--recordings-root",
        type=Path,
        help="the bridge's Asterisk root, holding the calls' recordings (default: the real chroot)",
    )
    args = parser.parse_args(argv)
    outcome = RUNNERS[args.kind](args.port, args.capture, args.recordings_root)
    if asyncio.iscoroutine(outcome):
        outcome = asyncio.run(outcome)
    outcome["kind"] = args.kind
    print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
