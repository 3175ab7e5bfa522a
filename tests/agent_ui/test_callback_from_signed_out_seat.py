"""QA 2026-11-29 #13: a signed-out seat (未登录队列) could get into its queues only by 就绪, which
offers it the next caller at once, so the 95598 start of a shift (sign in 未就绪, 回呼 every
待回复工单, then 就绪) was impossible: 回呼 was refused 坐席未登录队列，请先就绪。 Now 回呼 from a
signed-out seat signs it in first, 未就绪 with the login reason (签入未就绪: no caller offered),
then rings; 暂停 from 未登录队列 signs it in 未就绪 with the reason picked; and the refusal of a
command that needs a signed-in seat says how to sign in without taking calls."""

from __future__ import annotations

import dataclasses

import pytest

from agent_ui.commands import run_command
from agent_ui.texts import Texts
from cti.agents import LOGIN_REASON
from tests.agent_ui.test_inbox_close_and_call_back import _current
from tests.agent_ui.test_inbox_event_owner import _event, _order


class SeatBridge:
    """One seat as the CTI bridge keeps it: unknown until a login (as after the bridge starts),
    then paused with the login reason until 暂停 names its own; what it was asked, in order."""

    connected = True

    def __init__(self, seat: dict | None = None) -> None:
        self.seat = seat
        self.asked: list[tuple] = []

    def agent(self, agent_id: str) -> dict | None:
        return self.seat

    async def login(self, agent_id: str, seat: str, skills: dict) -> dict:
        self.asked.append(("login", agent_id, seat))
        self.seat = {"state": "not_ready", "reason": LOGIN_REASON}
        return {"state": "not_ready"}

    async def pause(self, agent_id: str, reason: str) -> dict:
        self.asked.append(("pause", agent_id, reason))
        self.seat = {"state": "not_ready", "reason": reason}
        return {"state": "not_ready"}

    async def dial(self, agent_id: str, number: str) -> dict:
        self.asked.append(("dial", agent_id, number))
        return {"call_id": "out-1"}


@pytest.mark.parametrize("seat", [None, {"state": "logged_out"}], ids=["never_signed_in", "signed_out"])
async def test_a_call_back_from_a_signed_out_seat_signs_it_in_not_ready_first(world, seat):
    order = await _order(world, by="1001")
    bridge = SeatBridge(seat)
    services = dataclasses.replace(world.services, bridge=bridge)
    agent = await _current(world, "1001")
    callback = {"number": "13200000012", "order_id": order["id"]}

    assert await run_command(services, agent, "dial", callback) == {"call_id": "out-1"}
    assert bridge.asked == [("login", "1001", "PJSIP/1001"), ("dial", "1001", "13200000012")]
    assert bridge.seat == {"state": "not_ready", "reason": LOGIN_REASON}  # 签入未就绪: no caller offered

    # the next 回呼 (or a 回拨 from the inbox) finds the seat signed in: no second login
    event_id = await _event(world, "missed_call", "missed-13", "1001")
    await run_command(services, agent, "dial", {"event_id": event_id})
    assert [asked[0] for asked in bridge.asked] == ["login", "dial", "dial"]


async def test_pause_from_a_signed_out_seat_signs_it_in_with_the_reason(world):
    bridge = SeatBridge({"state": "logged_out"})
    services = dataclasses.replace(world.services, bridge=bridge)
    agent = await _current(world, "1001")
    assert await run_command(services, agent, "pause", {"reason": "小休"}) == {"state": "not_ready"}
    assert bridge.asked == [("login", "1001", "PJSIP/1001"), ("pause", "1001", "小休")]


def test_the_signed_out_refusal_says_how_to_sign_in_without_taking_calls():
    words = Texts().get("zh-CN", "error.agent_not_logged_in")
    assert "「暂停」（F3）" in words and "未就绪" in words and "请先就绪" not in words
