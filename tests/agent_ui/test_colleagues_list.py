"""The colleagues the 三方通话 / 转接 dialog lists (GET /api/colleagues): the other signed-in
seats with their live state and name, 就绪 first; a plain agent's snapshot carries none, so the
dialog asks for them (tests/browser/test_console_conference_dialog.py: the dialog itself)."""

from __future__ import annotations

from tests.agent_ui.conftest import login


class SeatsBridge:
    connected = True

    def __init__(self) -> None:
        self.seats = {
            "1001": "ready",  # the agent asking: not listed
            "3001": "talking",
            "1002": "ready",
            "1009": "paused",
            "1010": "logged_out",  # signed out: not listed
            "1011": "after_call_work",
        }

    def agents(self) -> list[dict]:
        return [
            {"agent_id": a, "state": s, "reason": "lunch" if s == "paused" else ""}
            for a, s in self.seats.items()
        ]

    def agent(self, agent_id: str) -> dict | None:
        state = self.seats.get(agent_id)
        return {"agent_id": agent_id, "state": state} if state else None


async def test_an_agent_gets_the_other_signed_in_seats_ready_first(client, world):
    bridge = SeatsBridge()
    world.services.bridge = bridge
    assert (await client.get("/api/colleagues")).status == 401
    await login(client, "1001")
    resp = await client.get("/api/colleagues")
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert [(c["agent_id"], c["state"]) for c in items] == [
        ("1002", "ready"),
        ("1011", "after_call_work"),
        ("1009", "paused"),
        ("3001", "talking"),
    ]
    assert items[0]["name"] == "新员工" and items[3]["name"] == "张班长"  # the name behind the 工号
    assert items[2]["reason"] == "lunch" and items[1]["name"] == ""  # no user 1011: the 工号 only
    # live: asked again, the list says what the seats do now
    bridge.seats["3001"] = "ready"
    items = (await (await client.get("/api/colleagues")).json())["items"]
    assert [c["agent_id"] for c in items][:2] == ["1002", "3001"]


async def test_a_handler_without_a_seat_gets_no_list(client, world):
    world.services.bridge = SeatsBridge()
    await login(client, "2001")
    assert (await client.get("/api/colleagues")).status == 403
