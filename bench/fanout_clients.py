"""Many websocket clients in one process, as light as a client can be.

``python -m bench.fanout_clients --port P --clients N --updates U`` opens N
websocket connections (RFC 6455 by hand on ``asyncio.BufferedProtocol``: the
upgrade request, unmasked server frames, masked pongs), and stamps each update
with ``time.monotonic()`` in ``buffer_updated``, the moment its bytes reach
the process. An update is any text frame holding ``bench-<n>``; everything
else (the gateway's snapshot, acks) is ignored.

Being this small matters: the same two cores serve and receive, and an
aiohttp client would spend more per message than the server under test. So
the receive path reads into one buffer shared by every connection (no
allocation per read) and walks the frame headers in place; only a text
message's payload is copied out, for ``on_text``. The bench runs two of these processes,
so receiving is not confined to one core while the server has the other.
Prints one JSON line: ``{"received": {n: [t, …]}, "connected": N, "cpu": s, …}``,
where ``cpu`` is this process's CPU time from its first update to its last.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import sys
import time

_MARK = b"bench-"
_SEARCH = 300  # the queue name sits near the start of the message
_READ = bytearray(256 * 1024)  # every connection reads into this one buffer, in turn
_VIEW = memoryview(_READ)


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Done:
    """Set once every client has seen every update; notes the CPU spent meanwhile."""

    def __init__(self, clients: int, updates: int) -> None:
        self.left, self.updates = clients, updates
        self.event = asyncio.Event()
        self.cpu_first: float | None = None
        self.cpu_last = 0.0

    def first(self) -> None:
        if self.cpu_first is None:
            self.cpu_first = time.process_time()

    def one(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.cpu_last = time.process_time()
            self.event.set()


class WsClient(asyncio.BufferedProtocol):
    def __init__(
        self, host: str, port: int, path: str, cookie: str, sink: list[list[float]], done: Done
    ) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}:{port}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
        ).encode()
        self.sink = sink
        self.done = done
        self.rest = bytearray()  # an incomplete frame (or response head) carried to the next read
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.seen = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def get_buffer(self, sizehint: int) -> memoryview:
        return _VIEW

    def buffer_updated(self, nbytes: int) -> None:
        now = time.monotonic()
        if not self.rest and self.upgraded.done():  # the usual case: whole frames, parsed where they lie
            used = self._frames(_READ, 0, nbytes, now)
            if used < nbytes:
                self.rest += _VIEW[used:nbytes]
            return
        rest = self.rest
        rest += _VIEW[:nbytes]
        pos = 0
        if not self.upgraded.done():
            pos = self._head(rest)
            if pos < 0:
                return  # the response head is not complete yet
        del rest[: self._frames(rest, pos, len(rest), now)]

    def _head(self, buf: bytearray) -> int:
        """Check the upgrade response; returns where the frames start (-1: not all here yet)."""
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return -1
        if b" 101 " not in buf[: buf.find(b"\r\n")]:
            self.upgraded.set_exception(ConnectionError(bytes(buf[:300]).decode(errors="replace")))
        else:
            self.upgraded.set_result(None)
        return end + 4

    def _frames(self, buf: bytearray, pos: int, end: int, now: float) -> int:
        """Walk whole frames in buf[pos:end] in place; returns where the first incomplete one starts."""
        while end - pos >= 2:
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            stop = start + length
            if stop > end:
                break
            opcode = buf[pos] & 0x0F
            if opcode == 1:
                self.on_text(bytes(buf[start:stop]), now)
            elif opcode == 9:  # ping: answer with a masked pong
                self._send(0xA, bytes(buf[start:stop]))
            elif opcode == 8:
                self.transport.close()  # type: ignore[union-attr]
            pos = stop
        return pos

    def on_text(self, payload: bytes, now: float) -> None:
        """A text message arrived at ``now``: count it if it is an update (subclasses stamp others)."""
        at = payload.find(_MARK, 0, _SEARCH)
        if at < 0:
            return
        digits = end = at + 6
        while end < len(payload) and 48 <= payload[end] <= 57:
            end += 1
        if end == digits:
            return  # the warm-up ("bench-warm-up")
        self.sink[int(payload[digits:end])].append(now)
        self.seen += 1
        if self.seen == 1:
            self.done.first()
        if self.seen == self.done.updates:
            self.done.one()

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"closed before the upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)


async def run(port: int, clients: int, updates: int, path: str, cookie: str, limit: float) -> dict:
    loop = asyncio.get_running_loop()
    sink: list[list[float]] = [[] for _ in range(updates)]
    done = Done(clients, updates)
    conns: list[WsClient] = []
    sem = asyncio.Semaphore(50)  # don't overflow the listen backlog

    async def connect() -> None:
        async with sem:
            _, proto = await loop.create_connection(
                lambda: WsClient("127.0.0.1", port, path, cookie, sink, done), "127.0.0.1", port
            )
            await asyncio.wait_for(proto.upgraded, 30)
            conns.append(proto)

    started = time.monotonic()
    await asyncio.gather(*(connect() for _ in range(clients)))
    connect_seconds = time.monotonic() - started
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.event.wait(), limit)  # on time-out the lost updates show
    for c in conns:
        c.transport.close()  # type: ignore[union-attr]
    return {
        "connected": len(conns),
        "connect_seconds": connect_seconds,
        "complete": sum(c.seen >= updates for c in conns),
        "received": {str(n): times for n, times in enumerate(sink)},
        "cpu": done.cpu_last - (done.cpu_first or done.cpu_last),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_clients")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--path", default="/ws")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    raise_file_limit()
    result = asyncio.run(run(args.port, args.clients, args.updates, args.path, args.cookie, args.timeout))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
