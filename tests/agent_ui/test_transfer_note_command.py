"""转接's 转接备注 over the websocket (``transfer {target, kind?, note?}``): the note goes to the
bridge with the transfer, as typed without the blanks around it; none (or an emptied one) sends
the transfer as before; one longer than the bridge's limit is refused in words, naming the limit,
before the bridge is asked; a 咨询转接 carries none (the colleague asked is no caller's new agent)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent_ui.commands import run_command
from agent_ui.errors import UiError
from agent_ui.texts import Texts
from cti.commands.service import TRANSFER_NOTE_LIMIT

NOTE = "客户说家里整栋楼停电两小时了，要求尽快派人"


class NotingBridge:
    """A bridge that notes the transfers and consults asked of it (1002: a colleague it knows)."""

    connected = True

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def agent(self, agent_id: str) -> dict | None:
        return {"agent_id": agent_id, "state": "ready"} if agent_id == "1002" else None

    async def transfer(self, agent_id: str, kind: str, target: str, **noted: str) -> dict:
        self.asked.append(("transfer", agent_id, kind, target, noted))
        return {}

    async def consult(self, agent_id: str, kind: str, target: str) -> dict:
        self.asked.append(("consult", agent_id, kind, target, {}))
        return {}


async def _run(cmd: str, args: dict) -> NotingBridge:
    bridge = NotingBridge()
    services = SimpleNamespace(bridge=bridge, queues=("service",))
    await run_command(services, SimpleNamespace(agent_id="1001"), cmd, args)
    return bridge


async def test_the_note_goes_to_the_bridge_with_the_transfer():
    bridge = await _run("transfer", {"target": "1002", "kind": "agent", "note": f"\n {NOTE} "})
    assert bridge.asked == [("transfer", "1001", "agent", "1002", {"note": NOTE})]
    bridge = await _run("transfer", {"target": "综合服务", "note": NOTE})
    assert bridge.asked == [("transfer", "1001", "queue", "service", {"note": NOTE})]


@pytest.mark.parametrize("args", [{}, {"note": ""}, {"note": "  \n"}], ids=["none", "emptied", "blank"])
async def test_without_a_note_the_transfer_goes_as_before(args):
    bridge = await _run("transfer", {"target": "1002", **args})
    assert bridge.asked == [("transfer", "1001", "agent", "1002", {})]


async def test_a_consultation_carries_no_note():
    bridge = await _run("consult", {"target": "1002", "note": NOTE})
    assert bridge.asked == [("consult", "1001", "agent", "1002", {})]


async def test_a_note_over_the_limit_is_refused_in_words_and_the_bridge_not_asked():
    bridge = NotingBridge()
    services = SimpleNamespace(bridge=bridge, queues=("service",))
    too_long = "停" * (TRANSFER_NOTE_LIMIT + 1)
    with pytest.raises(UiError) as refused:
        await run_command(
            services, SimpleNamespace(agent_id="1001"), "transfer", {"target": "1002", "note": too_long}
        )
    assert refused.value.error_id == "transfer_note_too_long"
    assert refused.value.details == {"limit": TRANSFER_NOTE_LIMIT, "length": TRANSFER_NOTE_LIMIT + 1}
    assert bridge.asked == []
    words = Texts().error("zh-CN", refused.value.error_id, "", refused.value.details)
    assert (
        words
        == f"转接备注不能超过 {TRANSFER_NOTE_LIMIT} 字（现有 {TRANSFER_NOTE_LIMIT + 1} 字），请删减后再转接。"
    )
    assert "at most 500 characters" in Texts().error("en", refused.value.error_id, "", refused.value.details)
    # at the limit it goes
    await run_command(
        services, SimpleNamespace(agent_id="1001"), "transfer", {"target": "1002", "note": too_long[1:]}
    )
    assert bridge.asked == [("transfer", "1001", "agent", "1002", {"note": too_long[1:]})]


async def test_a_note_that_is_no_text_is_refused():
    with pytest.raises(UiError) as refused:
        await _run("transfer", {"target": "1002", "note": ["客户"]})
    assert (refused.value.error_id, refused.value.details) == ("request.invalid", {"field": "note"})
