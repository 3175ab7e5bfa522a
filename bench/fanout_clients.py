"""Many websocket clients in one process, as light as a client can be.

``python -m bench.fanout_clients --port P --clients N --updates U`` opens N
websocket connections (RFC 6455 by hand on ``asyncio.Protocol``: the upgrade
request, unmasked server frames, masked pongs), and stamps each update with
``time.monotonic()`` in ``data_received``, the moment its bytes reach the
process. An update is any text frame holding ``bench-<n>``; everything else
(the gateway's snapshot, acks) is ignored.

Being this small matters: the same two cores serve and receive, and an
aiohttp client would spend more per message than the server under test.
Prints one JSON line: ``{"received": {n: [t, …]}, "connected": N, …}``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import resource
import struct
import sys
import time

_UPDATE = re.compile(rb"bench-(\d+)")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Done:
    """Set once every client has seen every update."""

    def __init__(self, clients: int, updates: int) -> None:
        self.left, self.updates = clients, updates
        self.event = asyncio.Event()

    def one(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.event.set()


class WsClient(asyncio.Protocol):
    def __init__(
        self, host: str, port: int, path: str, cookie: str, sink: dict[int, list[float]], done: Done
    ) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}:{port}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
        ).encode()
        self.sink = sink
        self.done = done
        self.buf = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.seen = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf + data if self.buf else data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            head, buf = buf[:end], buf[end + 4 :]
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.upgraded.set_exception(ConnectionError(head.decode(errors="replace")[:300]))
                return
            self.upgraded.set_result(None)
        self.buf = self._frames(buf, now)

    def _frames(self, buf: bytes, now: float) -> bytes:
        while len(buf) >= 2:
            opcode, length = buf[0] & 0x0F, buf[1] & 0x7F
            start = 2
            if length == 126:
                if len(buf) < 4:
                    break
                (length,) = struct.unpack_from("!H", buf, 2)
                start = 4
            elif length == 127:
                if len(buf) < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, 2)
                start = 10
            if len(buf) < start + length:
                break
            payload = buf[start : start + length]
            buf = buf[start + length :]
            if opcode == 1:
                self.on_text(payload, now)
            elif opcode == 9:  # ping: answer with a masked pong
                self._send(0xA, payload)
            elif opcode == 8:
                self.transport.close()  # type: ignore[union-attr]
        return buf

    def on_text(self, payload: bytes, now: float) -> None:
        """A text message arrived at ``now``: count it if it is an update."""
        match = _UPDATE.search(payload, 0, 300)
        if match:
            self.sink.setdefault(int(match.group(1)), []).append(now)
            self.seen += 1
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
    sink: dict[int, list[float]] = {}
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
        "received": {str(k): v for k, v in sink.items()},
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
