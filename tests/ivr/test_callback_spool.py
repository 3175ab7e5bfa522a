"""The callbacks the dialplan kept while the AGI server was away (ivr.callback_spool): each AstDB
record published as the AGI would have (its place: the call's arrival), then deleted."""

from __future__ import annotations

from cti.ami import Frame
from cti.bus import InProcessBus
from ivr import CallbackRequested
from ivr.callback_spool import FAMILY, DialplanCallbacks, parse_record


def test_a_record_is_the_request_the_agi_would_have_published():
    event = parse_record("1764300000.17", "013800138000|fault|2|95598|C-9|1764300042|top:4/top:0")
    assert event == CallbackRequested(
        call_id="1764300000.17",
        caller="13800138000",  # normalised, as the AGI's caller_number does
        dnis="95598",
        queue="fault",
        priority=2,
        entered_at=1764300000.0,  # the place it keeps: when the call arrived
        requested_at=1764300042.0,
        customer_id="C-9",
        ivr_path=("top:4", "top:0"),
        source="queue",
        ts=event.ts,
        seq=event.seq,
    )
    assert parse_record("1764300000.17", "") is None
    assert parse_record("1764300000.17", "|service") is None  # no number to call back


class FakeAmi:
    def __init__(self, records: dict[str, str]) -> None:
        self.records = dict(records)
        self.deleted: list[str] = []
        self.connected = True

    def on_event(self, name, callback):
        return lambda: None

    def on_connection(self, callback) -> None:
        pass

    async def action_list(self, action: str, **fields) -> list[Frame]:
        assert (action, fields) == ("DBGetTree", {"Family": FAMILY})
        return [
            Frame.build(Event="DBGetTreeResponse", Key=f"/{FAMILY}/{k}", Val=v)
            for k, v in self.records.items()
        ]

    async def action(self, action: str, **fields) -> Frame:
        assert action == "DBDel" and fields["Family"] == FAMILY
        self.deleted.append(fields["Key"])
        self.records.pop(fields["Key"])
        return Frame.build(Response="Success")


async def test_drain_publishes_each_record_then_forgets_it():
    ami = FakeAmi({"1764300000.1": "13800138000|service|0|95598|||", "1764300005.3": "garbage"})
    bus = InProcessBus()
    spool = DialplanCallbacks(ami, bus)  # type: ignore[arg-type]
    assert await spool.drain() == 1
    await bus.drain()
    (event,) = [e for e in await bus.replay(0) if isinstance(e, CallbackRequested)]
    assert (event.caller, event.queue, event.entered_at) == ("13800138000", "service", 1764300000.0)
    assert ami.records == {}  # the unreadable one removed too, logged
    assert await spool.drain() == 0
