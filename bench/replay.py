"""A fake AMI server that replays a captured event stream to one client.

Runs in its own process (``python -m bench.replay``) so that on a two-core
machine the consumer being measured has a core to itself. It speaks just enough
AMI for every client under test: the greeting, a ``Success`` answer to any
action (Login, Ping …, with the ActionID echoed), then the captured events,
cut into whole-frame chunks and repeated until ``--events`` are sent (the
benchmark hands it ``expand(capture, events)``: the capture repeated with the
call ids made unique per repetition, written once and cached), then an
``Event: BenchEnd`` frame, then it half-closes and waits for the client to go.

With ``--wait-go`` the stream starts only when the client sends ``Action:
BenchGo`` (clients that start their clock themselves). ``--rate`` paces the stream (events per second, sent every few milliseconds);
0 sends as fast as the socket takes it. ``--stamp`` rewrites each chunk's
``Timestamp:`` fields to the moment it is sent, so a consumer can measure its
own lag exactly as it does against a live Asterisk.

A client's ``Action: Filter`` with ``MatchCriteria: name(X)`` is honoured as
Asterisk honours it: once any is asked for, only the events so named are sent
(the ``--rate`` still counts the whole captured stream, as Asterisk's own
output, so a filtering client is measured at the same Asterisk load).
"""

from __future__ import annotations

import argparse
import re
import select
import socket
import sys
import time
from pathlib import Path

GREETING = b"Asterisk Call Manager/11.0.0\r\n"
SEP = b"\r\n\r\n"
END_EVENT = b"Event: BenchEnd\r\nPrivilege: system,all\r\n\r\n"
_TIMESTAMP = re.compile(rb"Timestamp: [0-9.]+")
GO_ACTION = b"Action: BenchGo"
_FILTER_BY_NAME = re.compile(rb"^Action: Filter\r\n(?:.*\r\n)*?MatchCriteria: name\((\w+)\)", re.M)


def frames_of(stream: bytes) -> list[bytes]:
    """The stream's complete frames, each with its terminator."""
    parts = stream.split(SEP)
    parts.pop()  # an incomplete tail, if the capture stopped mid-frame
    return [p.lstrip(b"\r\n") + SEP for p in parts if p.strip()]


_IDS = re.compile(rb"(niqueid|inkedid): (\d+)\.(\d+)")
# Ids an Originate chose itself (``ChannelId``/``OtherChannelId``, e.g. click-to-dial's out-<hex>)
_NAMED_IDS = re.compile(rb"(niqueid|inkedid): ([A-Za-z][^\r\n]*)\r\n")
_LOCAL = re.compile(rb"-([0-9a-f]{8});")
_BRIDGE = re.compile(rb"(BridgeUniqueid: )([0-9a-f]{8})")


def renamed(stream: bytes, cycle: int) -> bytes:
    """The stream with every channel, call and bridge id made unique to ``cycle``.

    A repeated capture must not replay the same calls: the model remembers ended
    calls and would ignore them, doing less work than on a real stream.
    """
    if cycle == 0:
        return stream
    shift = cycle * 10_000_000
    stream = _IDS.sub(lambda m: b"%s: %s.%d" % (m[1], m[2], int(m[3]) + shift), stream)
    stream = _NAMED_IDS.sub(lambda m: b"%s: %s-r%d\r\n" % (m[1], m[2], cycle), stream)
    stream = _LOCAL.sub(lambda m: b"-%08x;" % ((int(m[1], 16) + cycle * 0x01000000) & 0xFFFFFFFF), stream)
    return _BRIDGE.sub(lambda m: m[1] + b"%08x" % ((int(m[2], 16) + cycle) & 0xFFFFFFFF), stream)


def expand(capture: Path, events: int) -> Path:
    """A file of exactly ``events`` frames: the capture repeated, ids unique per repetition (cached)."""
    out = capture.with_name(f"{capture.stem}-x{events}.raw")
    if out.exists() and out.stat().st_mtime >= capture.stat().st_mtime:
        return out
    frames = frames_of(capture.read_bytes())
    if not frames:
        raise ValueError(f"{capture} holds no complete frame")
    original = b"".join(frames)
    written, cycle = 0, 0
    tmp = out.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        while written < events:
            take = min(len(frames), events - written)
            data = original if take == len(frames) else b"".join(frames[:take])
            fh.write(renamed(data, cycle))
            written += take
            cycle += 1
    tmp.replace(out)
    return out


def chunks_of(frames: list[bytes], target: int) -> list[tuple[bytes, int]]:
    """Whole frames grouped into chunks of about ``target`` bytes: (bytes, event count)."""
    out: list[tuple[bytes, int]] = []
    buf: list[bytes] = []
    size = 0
    for frame in frames:
        buf.append(frame)
        size += len(frame)
        if size >= target:
            out.append((b"".join(buf), len(buf)))
            buf, size = [], 0
    if buf:
        out.append((b"".join(buf), len(buf)))
    return out


def _answers(data: bytes) -> tuple[bytes, bytes]:
    """Replies for every complete action in ``data``; returns (replies, rest)."""
    replies = []
    while SEP in data:
        action, data = data.split(SEP, 1)
        action_id = b""
        for line in action.split(b"\r\n"):
            if line.lower().startswith(b"actionid:"):
                action_id = line[9:].strip()
        reply = b"Response: Success\r\n"
        if action_id:
            reply += b"ActionID: " + action_id + b"\r\n"
        reply += b"Message: Authentication accepted\r\n\r\n"
        replies.append(reply)
        if GO_ACTION in action:
            Session.go = True
        if asked := _FILTER_BY_NAME.search(action + b"\r\n"):
            Session.asked.add(b"Event: " + asked[1] + b"\r\n")
    return b"".join(replies), data


def kept(data: bytes, asked: set[bytes]) -> bytes:
    """The frames of ``data`` a session that asked for ``asked`` gets (Asterisk's name filter)."""
    return b"".join(
        frame + SEP for frame in data.split(SEP) if frame and frame[: frame.find(b"\r\n") + 2] in asked
    )


class Session:
    go = False  # set when the client sent BenchGo (one client per process)
    asked: set[bytes] = set()  # b"Event: <name>\r\n" of each name the client filtered for

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.inbox = b""

    def answer_pending(self, wait: float = 0.0) -> bool:
        """Answer the actions that arrived; False once the client has gone."""
        ready, _, _ = select.select([self.conn], [], [], wait)
        if not ready:
            return True
        data = self.conn.recv(65536)
        if not data:
            return False
        replies, self.inbox = _answers(self.inbox + data)
        if replies:
            self.conn.sendall(replies)
        return True

    def login(self, timeout: float = 10.0) -> None:
        self.conn.sendall(GREETING)
        deadline = time.monotonic() + timeout
        while SEP not in self.inbox and time.monotonic() < deadline:
            data = self.conn.recv(65536) if select.select([self.conn], [], [], 0.1)[0] else b"-"
            if not data:
                raise ConnectionError("client left before logging in")
            if data != b"-":
                self.inbox += data
        replies, self.inbox = _answers(self.inbox)
        self.conn.sendall(replies)


def serve(
    chunks: list[tuple[bytes, int]],
    conn: socket.socket,
    events: int,
    rate: float,
    wait_go: bool = False,
    stamp: bool = False,
) -> int:
    session = Session(conn)
    session.login()
    if wait_go:
        # The client says when it is ready (and starts its clock then).
        deadline = time.monotonic() + 30
        while not Session.go and time.monotonic() < deadline:
            if not session.answer_pending(0.1):
                return 0
    else:
        time.sleep(0.05)  # let the client register its callbacks and start its clock
    sent = 0
    started = time.perf_counter()
    i = 0
    while sent < events:
        if rate:
            due = (sent + chunks[i][1]) / rate - (time.perf_counter() - started)
            if due > 0:
                if not session.answer_pending(min(due, 0.005)):
                    return sent
                continue
        data, count = chunks[i]
        if sent + count > events:  # the last chunk: only as many frames as asked for
            count = events - sent
            data = SEP.join(data.split(SEP)[:count]) + SEP
        if Session.asked:
            data = kept(data, Session.asked)
        if stamp:
            data = _TIMESTAMP.sub(b"Timestamp: %.6f" % time.time(), data)
        conn.sendall(data)
        sent += count
        i = (i + 1) % len(chunks)
        if not session.answer_pending():
            return sent
    conn.sendall(END_EVENT)
    # Half-close (the read-and-discard consumer stops at EOF), then wait for the client to leave.
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(60)
    while conn.recv(65536):
        pass
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("--capture", type=Path, required=True)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rate", type=float, default=0.0, help="events/s; 0 = as fast as possible")
    parser.add_argument("--chunk", type=int, default=0, help="bytes per write (default 64 KiB, 4 KiB paced)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--wait-go", action="store_true", help="stream only after an 'Action: BenchGo'")
    parser.add_argument("--stamp", action="store_true", help="set every Timestamp to the time it is sent")
    args = parser.parse_args(argv)

    target = args.chunk or (4096 if args.rate else 65536)
    chunks = chunks_of(frames_of(args.capture.read_bytes()), target)
    if not chunks:
        print("error: the capture holds no complete frame", file=sys.stderr)
        return 2
    listener = socket.create_server(("127.0.0.1", args.port))
    print(listener.getsockname()[1], flush=True)  # the parent reads the port from here
    listener.settimeout(60)
    conn, _ = listener.accept()
    listener.close()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        serve(chunks, conn, args.events, args.rate, args.wait_go, args.stamp)
    except (ConnectionError, TimeoutError, OSError) as exc:
        # The client went away (its own figures tell what happened) or stopped reading.
        print(f"replay: stopped: {exc!r}", file=sys.stderr)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
