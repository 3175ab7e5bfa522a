"""The console of ``python -m bench screenpop --split`` in a process of its own, as ``hotline
serve --role web`` runs it: a ``RemoteBridge`` on the run's Redis (the events and the
bridge's commands), the console app on its mirror and bus, and the bench's own routes
(``bench.screenpop._Console``). Prints ``{"port": …}`` once it listens, and stops when its
standard input closes. The first line of standard input is the session key.

``python -m bench.screenpop_web <redis url> <namespace> <bridge prefix> <database url>``
"""

from __future__ import annotations

import asyncio
import json
import sys


async def main(redis_url: str, namespace: str, prefix: str, db_url: str) -> None:
    from bench.screenpop import _Console
    from cti.redis_bus import RedisBus
    from cti.remote import RemoteBridge
    from hotline.runtime import settle_heap
    from ticketing import create_engine, sessionmaker

    loop = asyncio.get_running_loop()
    secret_key = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
    engine = create_engine(db_url)
    bus = RedisBus(redis_url, stream=f"{namespace}:events")
    remote = RemoteBridge(redis_url, bus, prefix)
    await remote.start()
    console = await _Console.start(remote.console_bus, sessionmaker(engine), secret_key, remote)
    try:
        settle_heap()  # as hotline serve does once it has started everything
        print(json.dumps({"port": console.port}), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await console.stop()
        await remote.stop()
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
