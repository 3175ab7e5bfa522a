"""One console tab per agent, in a process of its own, stamping each screen-pop as it arrives.

``python -m bench.screenpop_clients --port P`` reads the session cookies (one
JSON list on the first line of stdin, one cookie per agent), opens one
websocket per cookie (the bare RFC 6455 client of ``bench.fanout_clients``),
prints ``{"connected": N}``, then stamps every ``screen_pop`` message with
``time.monotonic()`` when its bytes reach the process and prints it at once
as ``[caller, t, customer_in_event, matches_in_pop]``. The clock is
CLOCK_MONOTONIC, shared with the server process. When stdin closes it prints
``{"messages": n, "bytes": n}`` (every text message any tab received).

Everything else the tabs receive (snapshots, queue counters, agent states) is
dropped after a look at its first bytes: the tabs must cost less than the
console they measure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bench.fanout_clients import Done, WsClient, raise_file_limit

_POP = b'{"type": "screen_pop"'


class PopTab(WsClient):
    def __init__(self, port: int, cookie: str, received: list[int]) -> None:
        super().__init__("127.0.0.1", port, "/ws", cookie, {}, Done(1, 0))
        self.received = received

    def on_text(self, payload: bytes, now: float) -> None:
        self.received[0] += 1
        self.received[1] += len(payload)
        if payload.startswith(_POP):
            message = json.loads(payload)
            event, pop = message["event"], message["pop"]
            pop = [event["caller"], now, bool(event.get("customer")), bool(pop.get("matches"))]
            sys.stdout.write(json.dumps(pop) + "\n")
            sys.stdout.flush()


async def run(port: int, cookies: list[str]) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    received = [0, 0]
    tabs: list[PopTab] = []
    sem = asyncio.Semaphore(50)  # don't overflow the listen backlog

    async def connect(cookie: str) -> None:
        async with sem:
            _, tab = await loop.create_connection(lambda: PopTab(port, cookie, received), "127.0.0.1", port)
            await asyncio.wait_for(tab.upgraded, 60)
            tabs.append(tab)

    await asyncio.gather(*(connect(c) for c in cookies))
    print(json.dumps({"connected": len(tabs)}), flush=True)
    received[:] = [0, 0]  # count from here: the snapshots are not part of the run
    await loop.run_in_executor(None, sys.stdin.read)  # until the server closes our stdin
    for tab in tabs:
        tab.transport.close()  # type: ignore[union-attr]
    return {"messages": received[0], "bytes": received[1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screenpop_clients")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    raise_file_limit()
    cookies = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(run(args.port, cookies))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
