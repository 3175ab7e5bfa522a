"""What a console command costs when the bridge is in another process (``--role web`` → ``--role cti``).

``python -m bench.remote_commands [--count 2000] [--concurrent 50]``

A ``CommandServer`` runs in a child process with a handler that answers at
once (a ``CommandResult``, as the bridge's refusals do), so the figures are the
Redis round trip alone: RPUSH, the server's BLPOP, its LPUSH + PEXPIRE, the
sender's BLPOP. The peer is the same handler called in-process, as
``--role all`` does. Sequential first (one agent's latency), then
``--concurrent`` senders at once (a shift's start).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import uuid

import redis.asyncio as aioredis

from cti.commands import CommandResult
from cti.remote import CommandClient

REDIS_URL = "redis://127.0.0.1:6379/0"

_SERVER = """
import asyncio, sys
import redis.asyncio as aioredis
from cti.commands import CommandResult
from cti.remote import CommandServer

async def ready(agent_id):
    return CommandResult.done(state="ready")

async def main():
    server = CommandServer(aioredis.Redis.from_url(sys.argv[1]), sys.argv[2], {"ready": ready})
    await server.start()
    print("up", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop()

asyncio.run(main())
"""


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms"


async def _measure(count: int, concurrent: int) -> None:
    prefix = f"bench:remote:{uuid.uuid4().hex[:8]}"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SERVER, REDIS_URL, prefix, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert server.stdout is not None and (await server.stdout.readline()).strip() == b"up"
    redis = aioredis.Redis.from_url(REDIS_URL)
    client = CommandClient(redis, prefix)
    try:
        for _ in range(50):  # warm the connections
            await client.request("ready", "1001")
        remote = []
        for _ in range(count):
            started = time.perf_counter()
            await client.request("ready", "1001")
            remote.append(time.perf_counter() - started)

        async def ready(agent_id: str) -> CommandResult:
            return CommandResult.done(state="ready")

        local = []
        for _ in range(count):
            started = time.perf_counter()
            await ready("1001")
            local.append(time.perf_counter() - started)
        print(f"sequential, {count} commands: over Redis {_ms(remote)}; in-process {_ms(local)}")

        async def one() -> float:
            started = time.perf_counter()
            await client.request("ready", "1001")
            return time.perf_counter() - started

        burst: list[float] = []
        rounds = max(1, count // concurrent)
        wall = time.perf_counter()
        for _ in range(rounds):
            burst += await asyncio.gather(*(one() for _ in range(concurrent)))
        wall = time.perf_counter() - wall
        print(
            f"{concurrent} at once, {rounds} rounds: {_ms(burst)}; "
            f"{len(burst) / wall:.0f} commands/s through one command server"
        )
    finally:
        await redis.aclose()
        await asyncio.wait_for(server.communicate(b""), 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.remote_commands", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args(argv)
    asyncio.run(_measure(args.count, args.concurrent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
