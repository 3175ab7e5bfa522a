"""转接 / 咨询转接 to a phone number of 4 to 6 digits (QA t22: 12345, 10086, 95598, 123456 were
read as 工号, always refused unknown_target): a target typed without a kind is an agent only when
it is an existing 工号 (a seat the bridge knows, or a user's staff number), a queue when it names
one, a phone number otherwise; the kind the agent chose in the dialog is honoured as it is."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from types import SimpleNamespace

import pytest

from agent_ui.commands import run_command
from agent_ui.errors import UiError
from cti.ami import AmiActionError
from tests.agent_ui.test_seat_asterisk import Tab, seat  # noqa: F401 (the fixture)
from tests.agent_ui.test_seat_transfer import _answered_call, _state_becomes
from tests.agent_ui.test_transfer_targets import NotingBridge


@pytest.mark.parametrize(
    ("typed", "kind", "target"),
    [
        ("12345", "number", "12345"),  # no 工号: the phone numbers QA could not reach
        ("10086", "number", "10086"),
        ("95598", "number", "95598"),
        ("123456", "number", "123456"),
        ("+8613800138000", "number", "+8613800138000"),
        ("1002", "agent", "1002"),  # a user's 工号, signed in
        ("77001", "agent", "77001"),  # a seat the bridge knows (no user of this console's)
        ("综合服务", "queue", "service"),
        ("nosuchq", "queue", "nosuchq"),  # the bridge asks Asterisk, which has no such queue
    ],
)
@pytest.mark.parametrize("cmd", ["transfer", "consult"])
async def test_a_target_typed_without_a_kind(world, cmd, typed, kind, target):
    bridge = NotingBridge(seats=("77001", "1002"))
    services = dataclasses.replace(world.services, bridge=bridge)
    await run_command(services, SimpleNamespace(agent_id="1001"), cmd, {"target": typed})
    assert bridge.asked == [(cmd, "1001", kind, target)]


@pytest.mark.parametrize(
    ("typed", "chosen", "kind", "target"),
    [
        ("1002", "number", "number", "1002"),  # an internal number that is also a 工号
        ("12345", "agent", "agent", "12345"),  # the bridge says whether there is such a seat
        ("综合服务", "queue", "queue", "service"),  # a queue by its name, as with no kind
        ("95598", "queue", "queue", "95598"),
    ],
)
async def test_the_kind_the_agent_chose_is_honoured(world, typed, chosen, kind, target):
    bridge = NotingBridge(seats=("1002",))
    services = dataclasses.replace(world.services, bridge=bridge)
    await run_command(
        services, SimpleNamespace(agent_id="1001"), "transfer", {"target": typed, "kind": chosen}
    )
    assert bridge.asked == [("transfer", "1001", kind, target)]


@pytest.mark.parametrize(
    ("cmd", "args", "refusal"),
    [
        ("transfer", {"target": "1002"}, "target_logged_out"),
        ("consult", {"target": "1002", "kind": "agent"}, "target_logged_out"),
        ("conference", {"agent": "1002"}, "conference_target_logged_out"),
    ],
)
async def test_a_colleague_not_signed_in_since_the_bridge_started_is_signed_out_not_unknown(
    world, cmd, args, refusal
):
    """The bridge knows only the seats that signed in since it started: a user's 工号 it has not
    seen is a colleague who is 已下班 (QA: 咨询转接 → 1006 said 转接目标不存在)."""
    bridge = NotingBridge()
    services = dataclasses.replace(world.services, bridge=bridge)
    with pytest.raises(UiError) as refused:
        await run_command(services, SimpleNamespace(agent_id="1001"), cmd, args)
    assert refused.value.error_id == refusal and bridge.asked == []


async def test_an_unknown_kind_is_refused(world):
    bridge = NotingBridge()
    services = dataclasses.replace(world.services, bridge=bridge)
    with pytest.raises(UiError) as refused:
        await run_command(
            services, SimpleNamespace(agent_id="1001"), "consult", {"target": "12345", "kind": "phone"}
        )
    assert refused.value.error_id == "request.invalid" and bridge.asked == []


@pytest.mark.asterisk
async def test_a_transfer_to_95598_from_the_console_rings_that_number(client, seat):  # noqa: F811
    """On the real Asterisk: the caller handed to 95598 (typed alone, as QA did) is put through
    to that number, not refused as an unknown 工号."""
    staff_no, net, bridge = seat
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        await _answered_call(tab, net, staff_no)
        ack = await tab.command("transfer", target="95598")
        assert ack["type"] == "ack", ack
        rung = []
        for _ in range(100):
            channels = await net.action_list("CoreShowChannels")
            rung = [
                c["Channel"] for c in channels if c["Channel"].startswith("Local/95598@hotline-sim-customer")
            ]
            if rung:
                break
            await asyncio.sleep(0.05)
        assert rung, "nobody dialled 95598"
        await _state_becomes(bridge, staff_no, "ready", "after_call_work")
        for channel in rung:
            with contextlib.suppress(AmiActionError):
                await net.action("Hangup", Channel=channel)
