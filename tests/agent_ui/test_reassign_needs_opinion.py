"""改派 says why, as 督办 and 强制归档 do: without an opinion (or with one of spaces only) it is
refused in words and the step stays with its handler; 接手 of a stranded step need not."""

from __future__ import annotations

from pathlib import Path

from tests.agent_ui.conftest import sign_in
from tests.agent_ui.test_order_reassign import _fault_held_by_2003, _people

ORDER_JS = Path(__file__).parents[2] / "agent_ui" / "static" / "js" / "order.js"


async def test_reassign_without_an_opinion_is_refused(client, aiohttp_client, world):
    await _people(world)
    order, _agent = await _fault_held_by_2003(client, aiohttp_client, "onsite")
    key = f"/api/orders/{order['id']}"
    leader = await sign_in(aiohttp_client, client, "3001")
    for body in ({"to": world.people["2001"]}, {"to": world.people["2001"], "opinion": " \u200b "}):
        status, refused = await leader.call("POST", f"{key}/reassign", body)
        assert status == 422 and refused["error_id"] == "reassign_opinion_required", refused
        assert "改派" in refused["message"]
    status, view = await leader.call("GET", key)
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"]
    assert not [e for e in view["timeline"] if e.get("action") == "reassign"]
    status, view = await leader.call(
        "POST", f"{key}/reassign", {"to": world.people["2001"], "opinion": "休假"}
    )
    assert status == 200 and [h["staff_no"] for h in view["handlers"]] == ["2001"], view


def test_the_console_asks_for_the_reason_before_sending():
    script = ORDER_JS.read_text(encoding="utf-8")
    assert 'action === "reassign" && !opinion' in script
    assert "order.manage.reassign_opinion_needed" in script
