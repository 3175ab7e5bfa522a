"""Memory: the bridge's resident set with 1,000 agents and 500 calls in progress.

Offline, in one process, no sockets: the real ``CtiBridge`` (its AMI client,
call/agent/queue model, publisher and an in-process bus that keeps its
history, as in production) is fed real frames. One answered call is cut out of
the capture (all frames of its Linkedid up to the first hang-up request, so
caller and agent are talking) and replayed ``--calls`` times with fresh ids and
a different signed-in agent each time; ``--agents`` agents are signed in.

The peer, in the same run: the same process before the bridge exists (the
interpreter with every module imported), and panoramisk's ``Manager`` holding
the same frames as its parsed messages (what an application that keeps
panoramisk's messages around would hold).
"""

from __future__ import annotations

import asyncio
import gc
import re
from pathlib import Path
from typing import Any

from bench.figures import record, table
from bench.replay import frames_of, renamed

_STOP = (b"Event: SoftHangupRequest", b"Event: HangupRequest", b"Event: Hangup\r", b"Event: BridgeLeave")
_STOP += (b"Event: AgentComplete",)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_talking_call(capture: Path) -> tuple[list[bytes], str, str]:
    """Frames of the first answered inbound call, up to the hang-up; (frames, member, extension)."""
    frames = frames_of(capture.read_bytes())
    linkedid = None
    for f in frames:
        if f.startswith(b"Event: Newchannel") and b"@hotline-inbound" in f:
            linkedid = re.search(rb"Linkedid: (\S+)", f)[1]  # type: ignore[index]
            break
    if linkedid is None:
        raise ValueError("no inbound call in the capture")
    mine = [f for f in frames if re.search(rb"inkedid: " + re.escape(linkedid) + rb"\r\n", f)]
    call: list[bytes] = []
    for f in mine:
        if f.startswith(_STOP):
            break
        call.append(f)
    text = b"".join(call)
    member = re.search(rb"MemberName: (\S+)", text)
    ext = re.search(rb"Local/(\d+)@hotline-sim-phone", text)
    if not member or not ext or b"Event: AgentConnect" not in text:
        raise ValueError("the first call in the capture was not answered by a simulated agent")
    return call, member[1].decode(), ext[1].decode()


def calls_stream(
    call: list[bytes], member: str, ext: str, calls: int, first_ext: int
) -> tuple[bytes, list[str]]:
    """``calls`` copies of the call, each with its own ids and its own agent."""
    base = b"".join(call)
    out, agents = [], []
    for k in range(calls):
        new_ext = str(first_ext + k)
        data = renamed(base, k + 1)
        data = data.replace(f"Local/{ext}@".encode(), f"Local/{new_ext}@".encode())
        data = data.replace(member.encode(), f"mem{new_ext}".encode())
        out.append(data)
        agents.append(new_ext)
    return b"".join(out), agents


async def measure(capture: Path, agents: int, calls: int) -> dict[str, Any]:
    from cti import agents as A
    from cti.ami.protocol import AmiProtocol
    from cti.bridge import CtiBridge, CtiSettings
    from cti.bus import InProcessBus
    from cti.calls import EVENTS

    call, member, ext = one_talking_call(capture)
    stream, used = calls_stream(call, member, ext, calls, first_ext=50000)
    gc.collect()
    baseline = rss_mb()

    settings = CtiSettings(ami_port=1, keepalive=3600.0)
    settings.replay_history = False
    bus = InProcessBus()
    bridge = CtiBridge(settings, bus)
    book = bridge.agent_book
    for n in range(agents):
        ext_n = str(50000 + n)
        agent = book.ensure(f"mem{ext_n}", f"Local/{ext_n}@hotline-sim-phone/n")
        book.apply(agent, "login", 0.0)
        book.apply(agent, "ready", 0.0)
    for name in EVENTS:
        bridge.ami.on_event(name, bridge.model.handle)
    bridge.ami._live = True  # no AMI link: fed by hand
    proto = AmiProtocol()
    proto.greeting = ""
    proto.wanted = frozenset(n.encode() for n in EVENTS)
    for i in range(0, len(stream), 65536):
        bridge.ami._on_frames(proto.feed(stream[i : i + 65536]))
        await asyncio.sleep(0)
    await bridge.flush()
    for task in list(bridge._tasks):  # the per-call Getvar lookups fail at once: no link
        task.cancel()
    await asyncio.sleep(0)
    gc.collect()
    with_bridge = rss_mb()
    talking = sum(1 for a in book.agents.values() if a.state == A.TALKING)
    open_calls = len(bridge.model.calls)
    published = len(bus._history)
    bridge.ami._live = False
    await bridge.stop()
    del stream

    # Peer: panoramisk's parsed messages for the same frames, kept in memory.
    from panoramisk.message import Message

    gc.collect()
    before_peer = rss_mb()
    kept = [Message.from_line(f.decode("utf-8", "replace").strip()) for c in range(calls) for f in call]
    gc.collect()
    peer = rss_mb() - before_peer
    del kept
    return {
        "agents": agents,
        "calls": calls,
        "talking_agents": talking,
        "open_calls": open_calls,
        "published": published,
        "baseline_mb": baseline,
        "with_bridge_mb": with_bridge,
        "bridge_mb": with_bridge - baseline,
        "panoramisk_messages_mb": peer,
        "frames_per_call": len(call),
        "agents_used": len(used),
    }


def run(capture: Path, agents: int, calls: int) -> str:
    got = asyncio.run(measure(capture, agents, calls))
    record("memory", got)
    rows = [
        ["interpreter + modules, no bridge (baseline)", f"{got['baseline_mb']:.1f} MB"],
        [
            f"with the bridge: {got['agents']} agents, {got['open_calls']} calls open, "
            f"{got['talking_agents']} agents talking, {got['published']} events kept on the bus",
            f"{got['with_bridge_mb']:.1f} MB (+{got['bridge_mb']:.1f} MB)",
        ],
        [
            f"peer: panoramisk Messages for the same {got['calls'] * got['frames_per_call']} frames",
            f"+{got['panoramisk_messages_mb']:.1f} MB",
        ],
    ]
    return table("Bridge memory (RSS)", ["process", "resident"], rows)
