"""AmiClient against a local fake AMI server: actions, lists, malformed frames, drops."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from cti.ami import AmiActionError, AmiClient, AmiNotConnected, AmiTimeout, backoff
from cti.ami.protocol import AmiProtocol, encode


class FakeAmi:
    """A tiny AMI server: answers Login/Ping, and whatever ``script`` says."""

    def __init__(self) -> None:
        self.writers: list[asyncio.StreamWriter] = []
        self.actions: list[dict[str, str]] = []
        self.script: dict[str, object] = {}
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.logins = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.drop_all()
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    def drop_all(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    def push(self, raw: bytes) -> None:
        for w in self.writers:
            w.write(raw)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        proto = AmiProtocol()
        proto.greeting = ""
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                for frame in proto.feed(data):
                    fields = dict(frame.fields)
                    fields["Action"] = frame.get("Action")
                    self.actions.append(fields)
                    self._answer(writer, fields)

    def _answer(self, writer: asyncio.StreamWriter, f: dict[str, str]) -> None:
        aid = f.get("ActionID", "")
        action = f["Action"]
        if action == "Login":
            self.logins += 1
            ok = f.get("Secret") == "s3cret"
            writer.write(
                encode(
                    {
                        "Response": "Success" if ok else "Error",
                        "ActionID": aid,
                        "Message": "Authentication accepted" if ok else "Authentication failed",
                    }
                )
            )
            return
        reply = self.script.get(action, {"Response": "Success", "ActionID": aid})
        if reply == "silent":
            return
        if callable(reply):
            writer.write(reply(aid))
        else:
            writer.write(encode({**reply, "ActionID": aid}))  # type: ignore[dict-item]


@pytest.fixture
async def fake():
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


def client_for(fake: FakeAmi, **kw) -> AmiClient:
    kw.setdefault("keepalive", 0.3)
    return AmiClient("127.0.0.1", fake.port, "hotline", "s3cret", backoff_initial=0.05, backoff_max=0.2, **kw)


async def test_action_resolves_by_action_id_and_error_raises_with_message(fake):
    fake.script["QueuePause"] = {"Response": "Error", "Message": "Interface not found"}
    async with client_for(fake) as ami:
        assert ami.connected
        frame = await ami.action("QueueAdd", Queue="test-a", Interface="Local/1@x/n")
        assert frame.name == "Success"
        with pytest.raises(AmiActionError) as err:
            await ami.action("QueuePause", Interface="Local/9@x/n", Paused=True)
        assert err.value.message == "Interface not found"
        assert err.value.error_id == "ami_action_failed"


async def test_action_times_out_with_a_named_error(fake):
    fake.script["Slow"] = "silent"
    async with client_for(fake) as ami:
        with pytest.raises(AmiTimeout):
            await ami.action("Slow", timeout=0.1)


async def test_action_list_collects_start_to_complete_and_events_flow_separately(fake):
    def queue_status(aid: str) -> bytes:
        return (
            encode({"Response": "Success", "ActionID": aid, "EventList": "start"})
            + encode({"Event": "QueueMember", "ActionID": aid, "Name": "a1"})
            + encode({"Event": "Newchannel", "Channel": "live/1"})
            + encode({"Event": "QueueMember", "ActionID": aid, "Name": "a2"})
            + encode({"Event": "QueueStatusComplete", "ActionID": aid, "EventList": "Complete"})
        )

    fake.script["QueueStatus"] = queue_status
    seen = []
    async with client_for(fake) as ami:
        ami.on_event("Newchannel", lambda f: seen.append(f["Channel"]))
        items = await ami.action_list("QueueStatus")
    assert [f["Name"] for f in items] == ["a1", "a2"]
    assert seen == ["live/1"]


async def test_malformed_frames_are_skipped_and_the_stream_goes_on(fake):
    seen = []
    async with client_for(fake) as ami:
        ami.on_event("*", lambda f: seen.append(f.name))
        fake.push(b"garbage without colon\r\n\r\n\xff\xfe\x00\r\n\r\nEvent: Hangup\r\nChannel: x\r\n\r\n")
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.01)
    assert seen == ["Hangup"]


async def test_login_failure_is_reported_and_retried(fake):
    ami = AmiClient("127.0.0.1", fake.port, "hotline", "wrong", backoff_initial=0.05, backoff_max=0.1)
    await ami.start()
    try:
        with pytest.raises(AmiNotConnected):
            await ami.wait_connected(timeout=0.4)
        assert fake.logins >= 2
        assert "Authentication failed" in ami.last_error
    finally:
        await ami.stop()


async def test_stop_landing_as_the_login_answer_arrives_ends_the_reconnect_loop(fake):
    # Python 3.11's asyncio.wait_for returns the result, swallowing the cancel, when the
    # cancel and the awaited answer land in the same loop turn; the client kept
    # reconnecting after stop() then, and stop() never returned.
    ami = AmiClient("127.0.0.1", fake.port, "hotline", "wrong", backoff_initial=0.01, backoff_max=0.02)
    send, stopping = ami._send, []

    def send_and_stop_on_the_answer(action, fields):
        action_id, fut = send(action, fields)
        if action == "Login" and not stopping:
            fut.add_done_callback(lambda _: stopping.append(asyncio.ensure_future(ami.stop())))
        return action_id, fut

    ami._send = send_and_stop_on_the_answer
    await ami.start()
    for _ in range(200):
        if stopping:
            break
        await asyncio.sleep(0.01)
    done, _ = await asyncio.wait(stopping, timeout=2)
    assert done, "stop() did not return"
    logins = fake.logins
    await asyncio.sleep(0.2)
    assert fake.logins == logins
    assert not ami.connected


async def test_dropped_connection_reconnects_resyncs_and_reports_state(fake):
    states: list[bool] = []
    resyncs = []

    async def hook(client: AmiClient) -> None:
        resyncs.append(client.connections)
        # Events arriving during resync are dispatched after it, not lost.
        fake.push(encode({"Event": "Newchannel", "Channel": f"during-{client.connections}"}))
        await client.action("Ping")

    seen = []
    ami = AmiClient("127.0.0.1", fake.port, "hotline", "s3cret", backoff_initial=0.4, backoff_max=0.5)
    ami.on_connection(lambda up, reason: states.append(up))
    ami.add_resync_hook(hook)
    ami.on_event("Newchannel", lambda f: seen.append((f["Channel"], len(resyncs))))
    await ami.start()
    try:
        await ami.wait_connected(2)
        fake.drop_all()
        await asyncio.sleep(0.05)
        assert not ami.connected
        with pytest.raises(AmiNotConnected):
            await ami.action("Ping")
        await ami.wait_connected(2)
        assert ami.connected
    finally:
        await ami.stop()
    assert states[:3] == [True, False, True]
    assert resyncs == [1, 2]
    assert ("during-1", 1) in seen and ("during-2", 2) in seen


async def test_keepalive_detects_a_silent_server(fake):
    ami = client_for(fake, keepalive=0.1)
    await ami.start()
    try:
        await ami.wait_connected(2)
        fake.script["Ping"] = "silent"
        for _ in range(100):
            if not ami.connected:
                break
            await asyncio.sleep(0.02)
        assert not ami.connected
    finally:
        await ami.stop()


async def test_pending_actions_fail_when_the_link_drops(fake):
    fake.script["Slow"] = "silent"
    async with client_for(fake, keepalive=10) as ami:
        task = asyncio.ensure_future(ami.action("Slow", timeout=5))
        await asyncio.sleep(0.05)
        fake.drop_all()
        with pytest.raises(AmiNotConnected):
            await task


def test_backoff_grows_with_jitter_and_caps():
    delays = backoff(0.1, 1.0)
    values = [next(delays) for _ in range(20)]
    assert all(0 < v <= 1.0 for v in values)
    assert max(values[:2]) <= 0.18 + 1e-9
    assert values[-1] >= 0.5


async def test_a_listener_failing_on_one_event_is_logged_and_the_stream_goes_on(fake, caplog):
    seen = []

    def picky(frame):
        if frame["Channel"] == "bad":
            raise ValueError("Newchannel without what I need")
        seen.append(frame["Channel"])

    async with client_for(fake) as ami:
        ami.on_event("Newchannel", picky)
        fake.push(
            encode({"Event": "Newchannel", "Channel": "bad"})
            + encode({"Event": "Newchannel", "Channel": "ok"})
        )
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.01)
    assert seen == ["ok"]
    assert "Newchannel without what I need" in caplog.text and "Channel: bad" in caplog.text


async def test_a_listener_returning_a_coroutine_gets_it_run_and_its_failure_logged(fake, caplog):
    done = []

    async def slow(frame):
        await asyncio.sleep(0)
        if frame["Channel"] == "bad":
            raise ValueError("the slow listener failed")
        done.append(frame["Channel"])

    async with client_for(fake) as ami:
        ami.on_event("Newchannel", slow)
        fake.push(
            encode({"Event": "Newchannel", "Channel": "bad"})
            + encode({"Event": "Newchannel", "Channel": "ok"})
        )
        for _ in range(50):
            if done and "the slow listener failed" in caplog.text:
                break
            await asyncio.sleep(0.01)
    assert done == ["ok"]
    assert "AMI callback task failed" in caplog.text and "the slow listener failed" in caplog.text


async def test_small_reads_are_gathered_only_while_the_stream_runs_busy():
    from cti.ami.client import _Link

    class Transport:
        paused = 0

        def is_closing(self):
            return False

        def pause_reading(self):
            self.paused += 1

        def resume_reading(self):
            self.paused -= 1

    seen = []
    ami = AmiClient()
    ami.on_event("Hangup", lambda f: seen.append(f["Uniqueid"]))
    ami._live = True
    link = _Link(ami)
    clock = [0.0]
    link._now = lambda: clock[0]
    link._window_start = 0.0
    link.proto.greeting = ""
    link.transport = transport = Transport()
    ami._link = link
    ami._apply_filter()

    def read(n: int, pad: int = 0) -> None:
        link.data_received(encode({"Event": "Hangup", "Uniqueid": str(n), "Pad": "x" * pad}))

    # A call's burst at screen-pop load: small reads close together, but few bytes a second.
    for n in range(40):
        clock[0] += 0.0005 if n % 10 else 0.05
        read(n)
    assert transport.paused == 0  # every event read at once: nothing waits 2 ms
    # Saturation: 4 KiB reads every 0.5 ms (8 MB/s) for longer than a window.
    for n in range(40, 300):
        clock[0] += 0.0005
        read(n, pad=4000)
        if transport.paused:
            break
    assert transport.paused == 1 and n < 40 + 2 * int(link.window / 0.0005)  # within two windows
    await asyncio.sleep(link.gather * 3)
    assert transport.paused == 0 and seen == [str(i) for i in range(n + 1)]  # nothing is held back
    # A full read is never paused, busy or not.
    big = b"".join(encode({"Event": "Hangup", "Uniqueid": f"b{i}"}) for i in range(4000))
    assert len(big) >= link.full
    clock[0] += 0.0005
    link.data_received(big)
    assert transport.paused == 0
    # Quiet again: after a window of little, reads are taken at once.
    clock[0] += 1.0
    read(1000)
    clock[0] += 0.01
    read(1001)
    assert transport.paused == 0 and seen[-2:] == ["1000", "1001"]


def asked_for(fake: FakeAmi) -> list[str]:
    return [a["MatchCriteria"] for a in fake.actions if a["Action"] == "Filter"]


async def _until(check, seconds: float = 2.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_asterisk_is_asked_for_just_the_listened_events_and_new_ones_as_listeners_come(fake):
    ami = client_for(fake)
    ami.on_event("Newchannel", lambda f: None)
    ami.on_event("Hangup", lambda f: None)
    async with ami:
        assert asked_for(fake) == ["name(Hangup)", "name(Newchannel)"]
        assert all(a["Operation"] == "Add" for a in fake.actions if a["Action"] == "Filter")
        ami.on_event("QueueMemberAdded", lambda f: None)
        ami.on_event("Hangup", lambda f: None)  # already asked for
        await _until(lambda: len(asked_for(fake)) == 3)
        assert asked_for(fake)[-1] == "name(QueueMemberAdded)"
        assert fake.logins == 1


async def test_a_listener_for_every_event_gets_a_session_without_filters(fake):
    async with client_for(fake) as ami:  # nobody listens: no filter, Asterisk sends all
        assert asked_for(fake) == []
    ami = client_for(fake)
    ami.on_event("Newchannel", lambda f: None)
    async with ami:
        assert asked_for(fake) == ["name(Newchannel)"]
        seen = []
        ami.on_event("*", seen.append)  # filters cannot be taken back: a new login, unfiltered
        await _until(lambda: fake.logins == 3 and ami.connected)
        assert asked_for(fake) == ["name(Newchannel)"]
        fake.push(b"Event: Hangup\r\nChannel: x\r\n\r\n")
        await _until(lambda: [f.name for f in seen] == ["Hangup"])


async def test_a_refused_filter_means_reading_the_whole_stream(fake, caplog):
    fake.script["Filter"] = {"Response": "Error", "Message": "Permission denied"}
    seen = []
    ami = client_for(fake)
    ami.on_event("Hangup", lambda f: seen.append(f["Channel"]))
    async with ami:
        assert fake.logins == 2 and asked_for(fake) == ["name(Hangup)"]  # tried once
        assert "Filter refused" in caplog.text
        fake.push(b"Event: Newchannel\r\nChannel: y\r\n\r\nEvent: Hangup\r\nChannel: x\r\n\r\n")
        await _until(lambda: seen == ["x"])


async def test_a_client_can_be_told_not_to_filter_at_asterisk(fake):
    ami = client_for(fake, server_filter=False)
    ami.on_event("Hangup", lambda f: None)
    async with ami:
        assert asked_for(fake) == []


async def test_a_filter_refused_for_a_late_listener_means_a_new_unfiltered_session(fake):
    seen = []
    ami = client_for(fake)
    ami.on_event("Hangup", lambda f: None)
    async with ami:
        fake.script["Filter"] = {"Response": "Error", "Message": "Permission denied"}
        ami.on_event("Newchannel", lambda f: seen.append(f["Channel"]))
        await _until(lambda: fake.logins == 2 and ami.connected)
        assert asked_for(fake) == ["name(Hangup)", "name(Newchannel)"]  # none asked the second time
        fake.push(b"Event: Newchannel\r\nChannel: y\r\n\r\n")
        await _until(lambda: seen == ["y"])


async def test_listeners_that_come_during_login_or_resync_are_asked_for_too(fake):
    from cti.ami.protocol import encode as encode_frame

    ami = client_for(fake)
    ami.on_event("Hangup", lambda f: None)
    during_login = []

    def answer_filter(aid: str) -> bytes:
        if not during_login:  # while the client waits for this answer, a listener arrives
            during_login.append(True)
            ami.on_event("Newchannel", lambda f: None)
        return encode_frame({"Response": "Success", "ActionID": aid})

    fake.script["Filter"] = answer_filter

    async def resync(client: AmiClient) -> None:
        client.on_event("QueueMemberAdded", lambda f: None)

    ami.add_resync_hook(resync)
    async with ami:
        await _until(lambda: len(asked_for(fake)) == 3)
        assert asked_for(fake) == ["name(Hangup)", "name(Newchannel)", "name(QueueMemberAdded)"]
        assert fake.logins == 1
