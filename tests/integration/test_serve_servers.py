"""Two real Asterisk servers behind one platform: ``asterisk_servers``, separate processes.

The shared Asterisk is server ``main`` (every agent no list names); a second, private
Asterisk (a copy of the shared one's root, started on ports 5042/4577/5064 with
``systemname = hotline2``, made and started here when it is not running, stopped again
after) is server ``second``, with the 工号 ``8*``. One ``--role cti --server <name>``
process per server and one ``--role web``: each agent's 就绪 signs their seat in on their
own Asterisk only, a call on the second Asterisk pops on its agent's console with a call id
its systemname qualifies and is recorded under the second server's ``asterisk_root``, and when the second server's bridge is killed its agent's next
command is refused (``no_active_bridge``) while the other agent's goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from serve_processes import (
    PG_ADMIN,
    REDIS_URL,
    Processes,
    database_url,
    free_port,
    seed_demo,
    sign_in,
    wait_http,
)
from test_serve_roles import SIM_SEATS, STORIES_LOCK, Console, _connected

from cti.ami import AmiClient
from hotline.config import load_settings
from hotline.runtime import recording_store
from tests.conftest import CONTROL, running_asterisk

QUEUE = "cti-a"
# HOTLINE_TEST_SECOND_ROOT / _AMI_PORT / _AGI_PORT / _SIP_PORT: another copy and ports (several
# people testing on one machine)
SECOND_ROOT = Path(os.environ.get("HOTLINE_TEST_SECOND_ROOT", "/var/lib/hotline/asterisk-multi"))
SECOND_PORTS = {
    f"HOTLINE_{name}_PORT": os.environ.get(f"HOTLINE_TEST_SECOND_{name}_PORT", default)
    for name, default in (("AMI", "5042"), ("AGI", "4577"), ("SIP", "5064"))
}
SECOND_NAME = "hotline2"
MAIN_AGENT = f"7{random.randint(0, 9999):04d}"
SECOND_AGENT = f"8{random.randint(0, 9999):04d}"
CALLER = "13987650002"
SUPERVISOR = "3001"  # a demo supervisor: the wallboard's every agent and queue


def _seat(agent: str) -> str:
    return f"Local/{agent}@hotline-sim-phone/n"


def _ami_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


def _provision_second(source: Path) -> None:
    """A copy of the shared Asterisk's root (its packages and our configs), without its state."""
    subprocess.run(
        [
            "rsync",
            "-a",
            "--exclude=/proc/",
            "--exclude=/dev/",
            "--exclude=/.hotline-state/",
            "--exclude=/var/lib/asterisk/astdb.sqlite3",  # the shared one's queue members stay there
            "--exclude=/var/log/asterisk/*",
            "--exclude=/var/spool/asterisk/*/*",
            f"{source}/",
            f"{SECOND_ROOT}/",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("proc", "dev"):
        (SECOND_ROOT / name).mkdir(exist_ok=True)
    conf = SECOND_ROOT / "etc/asterisk/asterisk.conf"
    lines = [line for line in conf.read_text().splitlines() if not line.startswith("systemname")]
    at = next(i for i, line in enumerate(lines) if line.strip() == "[options]") + 1
    lines.insert(at, f"systemname = {SECOND_NAME}")
    conf.write_text("\n".join(lines) + "\n")


@pytest.fixture
def second_asterisk(asterisk):
    """The second Asterisk, made and started when none answers on its port. It is stopped after
    only if this fixture launched it and that same process still runs (the owner token, as for
    the shared one): one that was running before, or that another session launched meanwhile on
    the same root, is left running."""
    port = int(SECOND_PORTS["HOTLINE_AMI_PORT"])
    if os.geteuid() != 0:
        pytest.skip("a second Asterisk needs root (chroot and mounts)")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in dict(HOTLINE_ASTERISK_ROOT=str(SECOND_ROOT), **SECOND_PORTS).items():
            patch.setenv(name, value)
        if not _ami_answers(port):
            _provision_second(asterisk.root)
        with running_asterisk(CONTROL, SECOND_ROOT):
            yield port


@pytest.fixture
async def stories_lock():
    """The CTI stories' queue (cti-a) on the shared Asterisk to this test alone, given back
    however the test or its setup ends."""
    lock = open(STORIES_LOCK, "w")  # noqa: ASYNC230, SIM115
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture
async def two_servers(tmp_path, asterisk, second_asterisk, stories_lock):
    database = f"hotline_servers_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    await admin.execute(f'CREATE DATABASE "{database}"')
    prefix = f"test:servers:{uuid.uuid4().hex[:10]}"
    port = free_port()
    config = tmp_path / "hotline.yaml"
    config.write_text(
        "asterisk_servers:\n"
        f"  - {{name: main, ami_host: 127.0.0.1, ami_port: {asterisk.port}, default: true}}\n"
        f"  - {{name: second, ami_host: 127.0.0.1, ami_port: {second_asterisk}, agents: ['8*'],"
        f" system_name: {SECOND_NAME}, asterisk_root: {SECOND_ROOT}}}\n"
    )
    env = dict(
        os.environ,
        HOTLINE_ASTERISK_ROOT=str(asterisk.root),
        HOTLINE_CONFIG=str(config),
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_DATABASE_URL=database_url(database),
        HOTLINE_BUS_URL=REDIS_URL,
        HOTLINE_REDIS_PREFIX=prefix,
        HOTLINE_HTTP_PORT=str(port),
        HOTLINE_SEAT_PATTERN=SIM_SEATS,
        HOTLINE_CTI_LOCK_SECONDS="2",
    )
    await seed_demo(env)
    db = await asyncpg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{database}")
    for agent, demo in ((MAIN_AGENT, "1001"), (SECOND_AGENT, "1002")):
        await db.execute(
            "UPDATE users SET staff_no = $1, skills = $2 WHERE staff_no = $3",
            agent,
            json.dumps({QUEUE: 0}),
            demo,
        )
    await db.close()
    amis = {}
    for name, ami_port, agent in (
        ("main", asterisk.port, MAIN_AGENT),
        ("second", second_asterisk, SECOND_AGENT),
    ):
        ami = amis[name] = AmiClient("127.0.0.1", ami_port, asterisk.username, asterisk.secret)
        await ami.start()
        await ami.wait_connected(10)
        await ami.action("DBPut", Family="hotline-sim", Key=f"ring-{agent}", Val="1")
        await ami.action("DBPut", Family="hotline-sim", Key=f"talk-{agent}", Val="hold")
    procs = Processes(env, tmp_path)
    try:
        yield procs, amis, f"http://127.0.0.1:{port}", prefix
    finally:
        procs.stop_all()
        for ami in amis.values():
            for agent in (MAIN_AGENT, SECOND_AGENT):
                with contextlib.suppress(Exception):
                    await ami.action("QueueRemove", Queue=QUEUE, Interface=_seat(agent))
                for family, key in (("hotline-sim", f"ring-{agent}"), ("hotline-sim", f"talk-{agent}")):
                    with contextlib.suppress(Exception):
                        await ami.action("DBDel", Family=family, Key=key)
                with contextlib.suppress(Exception):
                    await ami.action("DBDel", Family="hotline-seat", Key=agent)
            with contextlib.suppress(Exception):
                await ami.action("Hangup", Channel=f"/^Local/({MAIN_AGENT}|{SECOND_AGENT}|08)@/")
            await ami.stop()
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def _members(ami: AmiClient) -> set[str]:
    return {
        f.get("Name") for f in await ami.action_list("QueueStatus", Queue=QUEUE) if f.name == "QueueMember"
    }


@contextlib.asynccontextmanager
async def _console(base: str, agent: str):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, agent)
        console = Console(await http.ws_connect(f"{base}/ws"))
        try:
            yield console
        finally:
            await console.close()


async def test_two_asterisk_servers_each_agent_on_their_own_and_one_down_stops_only_its_agents(two_servers):
    procs, amis, base, prefix = two_servers
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        main_cti = procs.start("serve", "--role", "cti", "--server", "main")
        second_cti = procs.start("serve", "--role", "cti", "--server", "second")
        for ami_port in (amis["main"].port, amis["second"].port):
            async with asyncio.timeout(30):
                while not await redis.exists(f"{prefix}:cti:127.0.0.1:{ami_port}:lock"):
                    assert main_cti.poll() is None and second_cti.poll() is None, procs.logs()
                    await asyncio.sleep(0.1)
        procs.start("serve", "--role", "web")
        await wait_http(base, procs)

        async with _console(base, MAIN_AGENT) as on_main, _console(base, SECOND_AGENT) as on_second:
            for console in (on_main, on_second):
                await console.wait(lambda b: _connected(b) is True, within=20)
                ack = await console.command("ready")
                assert ack["type"] == "ack", (ack, procs.logs())
                assert ack["result"]["state"] == "ready"
            # the supervisor's wallboard shows the agents of both servers, and one cti-a row with both
            async with _console(base, SUPERVISOR) as board:
                snapshot = await board.wait(lambda b: b.get("type") == "snapshot", within=10)
                agents = {a["agent_id"]: a["state"] for a in snapshot["agents"]}
                assert (agents.get(MAIN_AGENT), agents.get(SECOND_AGENT)) == ("ready", "ready"), snapshot
                (row,) = [q for q in snapshot["queues"] if q["queue"] == QUEUE]
                assert {m["agent_id"] for m in row["members"]} >= {MAIN_AGENT, SECOND_AGENT}
            # each seat joined the queue on its own Asterisk, not on the other
            assert MAIN_AGENT in await _members(amis["main"])
            assert SECOND_AGENT not in await _members(amis["main"])
            assert SECOND_AGENT in await _members(amis["second"])
            assert MAIN_AGENT not in await _members(amis["second"])

            # a caller on the second Asterisk: the pop reaches its agent, with its system's call id
            await amis["second"].action(
                "Originate",
                Channel="Local/08@hotline-sim-caller/n",
                Context="hotline-queue",
                Exten=QUEUE,
                Priority=1,
                CallerID=f'"Caller" <{CALLER}>',
                Async="true",
            )
            pop = await on_second.wait(lambda b: b.get("type") == "screen_pop", within=15)
            assert (pop["event"]["agent_id"], pop["event"]["caller"]) == (SECOND_AGENT, CALLER)
            assert pop["event"]["call_id"].startswith(f"{SECOND_NAME}-")
            assert not [b for b in on_main.messages if b.get("type") == "screen_pop"]
            # the second Asterisk records it on its own disk, where its asterisk_root finds it
            store = recording_store(load_settings(env=procs.env))
            async with asyncio.timeout(15):
                while not (found := await asyncio.to_thread(store.find, pop["event"]["call_id"])):  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
            assert found[0].is_relative_to(SECOND_ROOT), found

            # the second server's bridge dies: its agent is refused, the other one is not
            second_cti.send_signal(signal.SIGKILL)
            await asyncio.to_thread(second_cti.wait)
            async with asyncio.timeout(10):
                while await redis.exists(f"{prefix}:cti:127.0.0.1:{amis['second'].port}:lock"):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # the web process looks for the lock every second
            refused = await on_second.command("hangup")  # the call is still on: nobody can end it now
            assert (refused["type"], refused["error_id"]) == ("refused", "no_active_bridge"), refused
            assert re.search(r"[(（]second[)）]", refused["message"]), refused  # zh-CN: full-width
            ack = await on_main.command("pause", reason="小休")
            assert ack["type"] == "ack", ack
            assert ack["result"]["state"] == "not_ready"
            assert (await on_main.command("logout"))["type"] == "ack"
    finally:
        await redis.aclose()


async def test_a_bridge_refuses_an_asterisk_whose_systemname_is_not_the_configured_one(asterisk, caplog):
    """Call ids are told apart by the Asterisk's systemname: the bridge of a server listed with
    another one takes nothing from it (down, ``misconfigured`` and why, one error in the log),
    and the one whose system_name is right takes it (the shared Asterisk has none)."""
    from cti.bridge import CtiBridge, CtiSettings
    from cti.bus import InProcessBus

    for configured, wrong in (("", False), ("gz", True)):
        caplog.clear()
        bus = InProcessBus()
        settings = CtiSettings(
            ami_host=asterisk.host,
            ami_port=asterisk.port,
            ami_user=asterisk.username,
            ami_secret=asterisk.secret,
            replay_history=False,
            system_name=configured,
        )
        bridge = CtiBridge(settings, bus)
        try:
            await bridge.start()
            if not wrong:
                await bridge.wait_connected(10.0)
                assert not bridge.misconfigured
            else:
                async with asyncio.timeout(10.0):
                    while not bridge.misconfigured:  # noqa: ASYNC110 - polled
                        await asyncio.sleep(0.05)
                assert not bridge.connected
                assert "configured 'gz'" in bridge.misconfigured
            said = [r for r in caplog.records if r.levelname == "ERROR" and "systemname" in r.getMessage()]
            assert bool(said) is wrong, caplog.text
        finally:
            await bridge.stop()
            await bus.close()


async def test_one_process_bridges_every_server_and_routes_each_agent(tmp_path, asterisk, stories_lock):
    """``hotline serve`` (``--role all``, SQLite, the in-process bus) with two servers: a bridge
    each in the one process. ``main`` is the shared Asterisk; ``second`` answers nowhere, so
    its agent's console says the phone system is down and their 就绪 is refused, while the
    other agent signs in on the shared Asterisk."""
    port, nowhere = free_port(), free_port()
    config = tmp_path / "hotline.yaml"
    config.write_text(
        "asterisk_servers:\n"
        f"  - {{name: main, ami_host: 127.0.0.1, ami_port: {asterisk.port}, default: true}}\n"
        f"  - {{name: second, ami_host: 127.0.0.1, ami_port: {nowhere}, agents: ['8*'], system_name: x}}\n"
    )
    env = dict(
        os.environ,
        HOTLINE_CONFIG=str(config),
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hotline.sqlite3'}",
        HOTLINE_HTTP_PORT=str(port),
        HOTLINE_AGI_PORT=str(free_port()),
        HOTLINE_SEAT_PATTERN=SIM_SEATS,
    )
    await seed_demo(env)
    db = sqlite3.connect(tmp_path / "hotline.sqlite3")
    for agent, demo in ((MAIN_AGENT, "1001"), (SECOND_AGENT, "1002")):
        db.execute(
            "UPDATE users SET staff_no = ?, skills = ? WHERE staff_no = ?",
            (agent, json.dumps({QUEUE: 0}), demo),
        )
    db.commit()
    db.close()
    ami = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret)
    await ami.start()
    await ami.wait_connected(10)
    await ami.action("DBPut", Family="hotline-sim", Key=f"ring-{MAIN_AGENT}", Val="1")
    procs = Processes(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        procs.start("serve")
        await wait_http(base, procs)
        async with _console(base, MAIN_AGENT) as on_main, _console(base, SECOND_AGENT) as on_second:
            assert (await on_main.wait(lambda b: _connected(b) is not None, within=10))["type"] == "snapshot"
            await on_main.wait(lambda b: _connected(b) is True, within=20)
            second = await on_second.wait(lambda b: b.get("type") == "snapshot", within=10)
            assert second["ami"]["connected"] is False, second["ami"]  # its own server answers nowhere

            ack = await on_main.command("ready")
            assert ack["type"] == "ack", (ack, procs.logs())
            assert MAIN_AGENT in await _members(ami)
            refused = await on_second.command("ready")
            assert refused["type"] == "refused", refused
            assert SECOND_AGENT not in await _members(ami)
            assert (await on_main.command("logout"))["type"] == "ack"
    finally:
        procs.stop_all()
        with contextlib.suppress(Exception):
            await ami.action("QueueRemove", Queue=QUEUE, Interface=_seat(MAIN_AGENT))
        for family, key in (("hotline-sim", f"ring-{MAIN_AGENT}"), ("hotline-seat", MAIN_AGENT)):
            with contextlib.suppress(Exception):
                await ami.action("DBDel", Family=family, Key=key)
        await ami.stop()
