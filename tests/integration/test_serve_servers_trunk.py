"""Between two real Asterisk servers: the trunk (``hotline.asterisk_trunks``) carries a 转接, a
咨询转接 and a supervisor's 监听 from a seat on one server to a seat on the other.

The two servers of ``test_serve_servers`` (the shared Asterisk ``main``, a private second one
``second`` with the 工号 ``8*``), each given its SIP port in ``asterisk_servers`` and its trunk
installed by ``hotline-asterisk start`` from those settings (taken out again after). A caller
queued on ``main`` and answered there is blind-transferred to the agent on ``second``: that
agent's console pops the same caller under the same call id, their seat answers and talks with
the caller through the trunk, and their leg is on the same call record. The demo supervisor
(seat on ``main``) listens to that call: ChanSpy starts on ``second``. Refused in words: 三方通话
with a colleague on the other server, a transfer to one who is not ready (with the reason their
own server gives). A second caller is consulted about with the agent on ``second`` and handed to
them (完成转接).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
import yaml
from serve_processes import PG_ADMIN, REDIS_URL, wait_http
from test_serve_servers import (  # noqa: F401 - the fixtures, used by name
    CALLER,
    MAIN_AGENT,
    SECOND_AGENT,
    SECOND_PORTS,
    SECOND_ROOT,
    SUPERVISOR,
    _connected,
    _console,
    second_asterisk,
    stories_lock,
    two_servers,
)

from cti.ami import AmiActionError
from hotline.asterisk_control import setting_differences, settings_in
from tests.conftest import CONTROL

NOTE = "客户说家里整栋楼停电两小时了，户号 0301234567"  # the 转接备注 the transfer carries
CALLER_SECONDS = "120"  # hotline-sim-caller: the caller stays this long unless hung up
SUPERVISOR_SEAT = f"Local/{SUPERVISOR}@hotline-sim-phone/n"


TEMPLATES = CONTROL.parent / "etc"


def _installed_settings(root: Path) -> dict[str, str]:
    """The settings (``HOTLINE_AMI_PORT`` …, secrets too) the configs under ``root`` were written
    with, read back from them: a re-install with these changes nothing else. (This process's own
    environment is no guide: ``second_asterisk`` sets the second Asterisk's ports in it.)"""
    names = settings_in(TEMPLATES)
    unset = "\0"
    read = {
        d.name: d.installed
        for d in setting_differences(TEMPLATES, root / "etc/asterisk", dict.fromkeys(names, unset))
    }
    assert set(read) == {f"HOTLINE_{name}" for name in names} and None not in read.values(), read
    return {name: str(value) for name, value in read.items()}


def _install(root: Path, config: Path | None) -> None:
    """``hotline-asterisk start`` on the Asterisk running under ``root``: its configs re-installed
    with their own settings, the trunks from ``config`` (none without), and reloaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(_installed_settings(root), HOTLINE_ASTERISK_ROOT=str(root))
    env.update({"HOTLINE_CONFIG": str(config)} if config else {})
    for keep in ("HOTLINE_PYTHON",):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    result = subprocess.run([str(CONTROL), "start"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _with_sip_ports(config: Path, roots: dict[str, Path]) -> None:
    """Each server of the settings file with the SIP port its Asterisk listens on."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    for server in settings["asterisk_servers"]:
        server["sip_port"] = int(_installed_settings(roots[server["name"]])["HOTLINE_SIP_PORT"])
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")


async def trunks_in_place(amis: dict, roots: dict[str, Path], config: Path) -> None:
    """Both servers' trunks (``main``'s to ``second`` and back) in place, asked of each Asterisk
    (``amis`` by server) and (re)installed from ``config`` where missing: another test session's
    start of the shared Asterisk re-installs its configs without these settings, hence without
    a trunk."""
    for name, peer in (("main", "trunk-second"), ("second", "trunk-main")):
        try:
            await amis[name].action_list("PJSIPShowEndpoint", Endpoint=peer)
            continue
        except AmiActionError:
            await asyncio.to_thread(_install, roots[name], config)
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(AmiActionError):
                    await amis[name].action_list("PJSIPShowEndpoint", Endpoint=peer)
                    break
                await asyncio.sleep(0.2)


@pytest.fixture
async def trunked(two_servers, asterisk):  # noqa: F811 - the fixture imported above
    """``two_servers`` with each server's SIP port listed and the trunks installed on both
    Asterisks from those settings; without the settings again after (no trunk)."""
    procs, amis, base, prefix = two_servers
    config = Path(procs.env["HOTLINE_CONFIG"])
    roots = {"main": asterisk.root, "second": SECOND_ROOT}
    await asyncio.to_thread(_with_sip_ports, config, roots)

    async def trunks() -> None:
        """Both trunks in place (trunks_in_place). Called right before each step that dials one
        (a call set up keeps its trunk)."""
        await trunks_in_place(amis, roots, config)

    try:
        for root in roots.values():
            await asyncio.to_thread(_install, root, config)
        await trunks()
        await amis["main"].action("DBPut", Family="hotline-sim", Key=f"talk-{SUPERVISOR}", Val="hold")
        yield procs, amis, base, prefix, trunks
    finally:
        for ami in amis.values():
            with contextlib.suppress(Exception):
                await ami.action(
                    "Hangup", Channel=f"/^(Local/({CALLER_SECONDS}|{SUPERVISOR})@|PJSIP/trunk-)/"
                )
        with contextlib.suppress(Exception):
            await amis["main"].action("DBDel", Family="hotline-sim", Key=f"talk-{SUPERVISOR}")
        for root in roots.values():
            await asyncio.to_thread(_install, root, None)


async def _channels(ami) -> list:
    return [f for f in await ami.action_list("CoreShowChannels") if f.name == "CoreShowChannel"]


async def _bridged(ami, channel_prefix: str, other_prefix: str) -> bool:
    """Whether a channel named ``channel_prefix``… is in one bridge with one named ``other_prefix``…."""
    channels = await _channels(ami)
    bridges = {f.get("BridgeId") for f in channels if f.get("Channel").startswith(channel_prefix)} - {""}
    return any(f.get("BridgeId") in bridges for f in channels if f.get("Channel").startswith(other_prefix))


async def _until(check, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - Asterisk's word, polled
            await asyncio.sleep(0.2)


async def _call_in(ami, console) -> dict:
    """A caller queued on ``ami``'s Asterisk, offered to (popped on) ``console``'s seat and
    answered there (its sim phone rings a second): the pop."""
    since = console.mark()
    await ami.action(
        "Originate",
        Channel=f"Local/{CALLER_SECONDS}@hotline-sim-caller/n",
        Context="hotline-queue",
        Exten="cti-a",
        Priority=1,
        CallerID=f'"Caller" <{CALLER}>',
        Async="true",
    )
    pop = await console.wait(lambda b: b.get("type") == "screen_pop", within=15, since=since)
    await console.wait(_state("talking"), within=15, since=since)
    return pop["event"]


def _state(state: str):
    return lambda b: b.get("type") == "agent_state" and b["event"].get("state") == state


async def _serve_both(procs, amis, prefix: str, redis) -> None:
    """``hotline serve``'s CTI bridge of each server, each holding its lock, and the web role."""
    procs.start("serve", "--role", "cti", "--server", "main")
    procs.start("serve", "--role", "cti", "--server", "second")
    for ami in amis.values():
        async with asyncio.timeout(90):  # the processes' start too, which a loaded machine slows
            while not await redis.exists(f"{prefix}:cti:127.0.0.1:{ami.port}:lock"):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    procs.start("serve", "--role", "web")


async def test_transfer_consult_and_spy_reach_a_seat_on_the_other_asterisk(trunked):
    procs, amis, base, prefix, trunks = trunked
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await _serve_both(procs, amis, prefix, redis)
        procs.start("serve", "--role", "worker")  # the call records (ticketing's CallLinker)
        await wait_http(base, procs)

        async with (
            _console(base, MAIN_AGENT) as on_main,
            _console(base, SECOND_AGENT) as on_second,
            _console(base, SUPERVISOR) as board,
        ):
            for console in (on_main, on_second):
                await console.wait(lambda b: _connected(b) is True, within=20)
                ack = await console.command("ready")
                assert ack["type"] == "ack", (ack, procs.logs())
            assert (await board.command("wallboard"))["type"] == "ack"

            # 转接: a caller answered on main, handed to the colleague on second
            call = await _call_in(amis["main"], on_main)
            since, main_since = on_second.mark(), on_main.mark()
            await trunks()
            ack = await on_main.command("transfer", target=SECOND_AGENT, kind="agent", note=NOTE)
            assert ack["type"] == "ack", (ack, procs.logs())
            pop = await on_second.wait(lambda b: b.get("type") == "screen_pop", within=15, since=since)
            assert (pop["event"]["call_id"], pop["event"]["caller"]) == (call["call_id"], CALLER), pop
            assert pop["event"]["agent_id"] == SECOND_AGENT
            assert pop["event"]["transferred_from"] == MAIN_AGENT, pop  # the pop's 转接自
            # and its 转接备注: told to second's bridge by the web process, not over the trunk
            assert pop["event"]["transfer_note"] == NOTE, pop
            await on_second.wait(_state("talking"), within=15, since=since)
            # the caller (on main) and the seat (on second) talk through the trunk, both ends
            await _until(lambda: _bridged(amis["main"], f"Local/{CALLER_SECONDS}@", "PJSIP/trunk-second-"))
            await _until(lambda: _bridged(amis["second"], f"Local/{SECOND_AGENT}@", "PJSIP/trunk-main-"))
            # the transferring agent's leg is gone: free for the next caller
            await on_main.wait(_state("ready"), within=10, since=main_since)

            # the one call record has both agents' legs (an order either creates is about it)
            database = procs.env["HOTLINE_DATABASE_URL"].rsplit("/", 1)[1]
            db = await asyncpg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{database}")
            try:
                async with asyncio.timeout(15):
                    while True:
                        legs = await db.fetch(
                            "SELECT l.agent_id FROM call_legs l JOIN interactions i ON i.id = l.interaction_id"
                            " WHERE i.kind = 'call' AND i.external_id = $1",
                            call["call_id"],
                        )
                        if {r["agent_id"] for r in legs} >= {MAIN_AGENT, SECOND_AGENT}:
                            break
                        await asyncio.sleep(0.2)
            finally:
                await db.close()

            # 监听 from the supervisor's seat on main: ChanSpy runs on second, reached over the trunk
            await trunks()
            ack = await board.command("spy", agent=SECOND_AGENT, mode="listen")
            assert ack["type"] == "ack", (ack, procs.logs())
            spy_id = ack["result"]["spy_channel_id"]
            spying = await board.wait(
                lambda b: (
                    b.get("type") == "board_spy"
                    and b["event"]["spy_id"] == spy_id
                    and not b["event"]["ended"]
                    and b["event"]["started_at"]
                ),
                within=15,
            )
            assert spying["event"]["agent_id"] == SECOND_AGENT
            assert spying["event"]["call_id"] == call["call_id"]
            assert (await board.command("spy_stop", spy=spy_id))["type"] == "ack"

            # refused in words: 三方通话 across servers; a colleague there not ready (their reason)
            refused = await on_second.command("conference", agent=MAIN_AGENT)
            assert (refused["type"], refused["error_id"]) == ("refused", "conference_target_other_server")
            assert "另一台电话服务器（main）" in refused["message"], refused
            since = on_main.mark()
            assert (await on_main.command("pause", reason="小休"))["type"] == "ack"
            await on_main.wait(_state("not_ready"), within=5, since=since)
            await asyncio.sleep(0.5)  # the web process's mirror has its own subscription to the bus
            refused = await on_second.command("transfer", target=MAIN_AGENT, kind="agent")
            assert (refused["type"], refused["error_id"]) == ("refused", "target_not_ready"), refused
            assert "小休" in refused["message"], refused
            since = on_second.mark()
            assert (await on_second.command("hangup"))["type"] == "ack"
            await on_second.wait(_state("ready"), within=10, since=since)
            assert (await on_main.command("ready"))["type"] == "ack"

            # 咨询转接: a second caller on main; the colleague on second is consulted, then takes them
            call = await _call_in(amis["main"], on_main)
            since, main_since = on_second.mark(), on_main.mark()
            await trunks()
            ack = await on_main.command("consult", target=SECOND_AGENT, kind="agent")
            assert ack["type"] == "ack", (ack, procs.logs())
            pop = await on_second.wait(lambda b: b.get("type") == "screen_pop", within=15, since=since)
            assert (pop["event"]["call_id"], pop["event"]["caller"]) == (call["call_id"], CALLER), pop
            await on_second.wait(_state("talking"), within=15, since=since)
            ack = await on_main.command("complete_transfer")
            assert ack["type"] == "ack", (ack, procs.logs())
            await on_main.wait(_state("ready"), within=10, since=main_since)
            # the caller talks with the colleague now: through the consultation's leg and the trunk
            await _until(lambda: _bridged(amis["main"], f"Local/{CALLER_SECONDS}@", "Local/second*"))
            await _until(lambda: _bridged(amis["second"], f"Local/{SECOND_AGENT}@", "PJSIP/trunk-main-"))
            assert (await on_second.command("hangup"))["type"] == "ack"
    finally:
        await redis.aclose()


async def test_a_caller_the_colleague_on_the_other_server_does_not_take_comes_back_to_the_queue(
    trunked, asterisk
):
    """Blind-transferred to a seat on ``second`` that lets it ring out: that seat is paused 未接
    there, and the caller is queued again on ``main``, offered to the agent who is free there.
    Before that, ``main`` without its trunk (started without these settings) refuses in words."""
    procs, amis, base, prefix, trunks = trunked
    await amis["second"].action("DBPut", Family="hotline-sim", Key=f"ring-{SECOND_AGENT}", Val="never")
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await _serve_both(procs, amis, prefix, redis)
        await wait_http(base, procs)
        async with _console(base, MAIN_AGENT) as on_main, _console(base, SECOND_AGENT) as on_second:
            for console in (on_main, on_second):
                await console.wait(lambda b: _connected(b) is True, within=20)
                assert (await console.command("ready"))["type"] == "ack"
            call = await _call_in(amis["main"], on_main)
            await asyncio.to_thread(_install, asterisk.root, None)
            refused = await on_main.command("transfer", target=SECOND_AGENT, kind="agent")
            assert (refused["type"], refused["error_id"]) == ("refused", "no_trunk"), refused
            assert "电话服务器（second）之间没有配置中继" in refused["message"], refused
            since, main_since = on_second.mark(), on_main.mark()
            await trunks()
            assert (await on_main.command("transfer", target=SECOND_AGENT, kind="agent"))["type"] == "ack"
            pop = await on_second.wait(lambda b: b.get("type") == "screen_pop", within=15, since=since)
            assert pop["event"]["call_id"] == call["call_id"]
            # 30 s of ringing on second, then its seat is 未接 there
            missed = await on_second.wait(
                lambda b: b.get("type") == "agent_state" and b["event"].get("state") == "not_ready",
                within=45,
                since=since,
            )
            assert missed["event"]["reason"] == "未接", missed
            # and the caller waits in the queue on main again: offered to the agent free there
            again = await on_main.wait(lambda b: b.get("type") == "screen_pop", within=15, since=main_since)
            assert (again["event"]["call_id"], again["event"]["caller"]) == (call["call_id"], CALLER)
            assert again["event"]["queue"] == "cti-a"
            await on_main.wait(_state("talking"), within=15, since=main_since)
            assert (await on_main.command("hangup"))["type"] == "ack"
    finally:
        await redis.aclose()
        with contextlib.suppress(Exception):
            await amis["second"].action("DBPut", Family="hotline-sim", Key=f"ring-{SECOND_AGENT}", Val="1")


async def test_a_consultation_across_servers_is_the_colleagues_question_until_completed(trunked):
    """咨询转接 from main to the colleague on second, with 话后处理 on: their pop and bar say whose
    consultation it is (``consult_from``: the relay names the consulting agent); cancelled, the
    colleague is back 就绪 with nothing to write up; about the next caller, completed, the caller is
    theirs (their bridge told by the routing: the same leg announced without ``consult_from``), and
    their hang-up ends in 话后处理."""
    procs, amis, base, prefix, trunks = trunked
    procs.env["HOTLINE_ACW_SECONDS"] = "60"
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await _serve_both(procs, amis, prefix, redis)
        await wait_http(base, procs)
        async with _console(base, MAIN_AGENT) as on_main, _console(base, SECOND_AGENT) as on_second:
            for console in (on_main, on_second):
                await console.wait(lambda b: _connected(b) is True, within=20)
                assert (await console.command("ready"))["type"] == "ack"
            call = await _call_in(amis["main"], on_main)

            async def consulted() -> int:
                """The colleague on second asked about the caller, and talking: where that began."""
                since = on_second.mark()
                await trunks()
                ack = await on_main.command("consult", target=SECOND_AGENT, kind="agent")
                assert ack["type"] == "ack", (ack, procs.logs())
                pop = await on_second.wait(lambda b: b.get("type") == "screen_pop", within=15, since=since)
                assert (pop["event"]["call_id"], pop["event"]["consult_from"]) == (
                    call["call_id"],
                    MAIN_AGENT,
                )
                answered = await on_second.wait(_answer, within=15, since=since)
                assert answered["event"]["consult_from"] == MAIN_AGENT, answered
                await on_second.wait(_state("talking"), within=15, since=since)
                return since

            # 取消咨询: back 就绪 straight from 通话中, no 话后处理 of a caller never theirs
            since = await consulted()
            main_since = on_main.mark()
            assert (await on_main.command("cancel_transfer"))["type"] == "ack"
            after = await on_second.wait(_off_the_call, within=15, since=since)
            assert after["event"]["state"] == "ready", after
            await on_main.wait(_state("talking"), within=10, since=main_since)
            main_since = on_main.mark()
            assert (await on_main.command("hangup"))["type"] == "ack"
            await on_main.wait(_state("after_call_work"), within=10, since=main_since)
            assert (await on_main.command("wrapup_done"))["type"] == "ack"
            await on_main.wait(_state("ready"), within=10, since=main_since)

            # 完成转接 (the next caller): the caller is the colleague's now, and so is the write-up
            call = await _call_in(amis["main"], on_main)
            since = await consulted()
            talked = on_second.mark()
            assert (await on_main.command("complete_transfer"))["type"] == "ack"
            theirs = await on_second.wait(
                lambda b: _answer(b) and not b["event"].get("consult_from"), within=10, since=talked
            )
            assert theirs["event"]["call_id"] == call["call_id"]
            await _until(lambda: _bridged(amis["second"], f"Local/{SECOND_AGENT}@", "PJSIP/trunk-main-"))
            assert (await on_second.command("hangup"))["type"] == "ack"
            after = await on_second.wait(_off_the_call, within=15, since=since)
            assert after["event"]["state"] == "after_call_work", after
            assert (await on_second.command("wrapup_done"))["type"] == "ack"
    finally:
        await redis.aclose()


def _answer(body: dict) -> bool:
    return body.get("type") == "call" and body["event"].get("event") == "CallAnswered"


def _off_the_call(body: dict) -> bool:
    """The seat's first state past its call (ringing, talking and hold are on it)."""
    return body.get("type") == "agent_state" and body["event"].get("state") not in (
        "ringing",
        "talking",
        "on_hold",
    )
