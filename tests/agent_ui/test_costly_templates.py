"""QA: saving a print template with loops nested 3000 × 3000 held the console's event loop
(every request, the CTI bridge in the same process) for 1.7 s, and so did every print with it.
Now the save is refused at once (422, body: template_too_costly, in Chinese) while other
requests go on, a stored one fails its print at once with print_template_too_costly, and a
message template is refused the same way (ticketing.template_budget)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from tests.agent_ui.conftest import login
from ticketing.models import PrintTemplate
from ticketing.template_budget import LIMITS

QA = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"
#: the longest the event loop may be held: the budget's time and a busy test machine's margin
HELD = LIMITS.seconds + 1.2


@contextlib.asynccontextmanager
async def _loop_watch():
    """The longest the event loop went without running this task (ticking every 10 ms)."""
    held = [0.0]
    done = asyncio.Event()

    async def tick():
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            held[0] = max(held[0], now - last)
            last = now

    task = asyncio.create_task(tick())
    await asyncio.sleep(0.05)
    try:
        yield held
    finally:
        done.set()
        await task


async def _post(client, path, token, body):
    resp = await client.post(path, json=body, headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"})
    return resp.status, await resp.json()


async def test_saving_a_costly_print_template_is_refused_without_holding_the_server(client, world):
    admin = await login(client, "9001")
    async with _loop_watch() as held:
        status, body = await _post(
            client, "/api/print-templates", admin, {"name": "QA loop", "workflow_key": "consult", "body": QA}
        )
    assert (status, body["error_id"]) == (422, "invalid_fields"), body
    assert body["details"]["problems"] == {"body": "template_too_costly"}
    assert "模板运算量过大" in body["message"]
    assert held[0] < HELD
    assert (await (await client.get("/api/print-templates")).json())["items"] == []
    status, body = await _post(
        client,
        "/api/message-templates",
        admin,
        {"name": "咨询受理短信", "category": "consult", "node": "accept", "channel": "sms", "body": QA},
    )
    assert (status, body["details"]["problems"]) == (422, {"body": "template_too_costly"}), body


async def test_a_stored_costly_print_template_fails_the_print_at_once(client, world):
    async with world.services.sessionmaker.begin() as db:  # saved before saves were checked
        db.add(PrintTemplate(name="QA loop", workflow_key="consult", node="", category="", body=QA))
    agent = await login(client, "1001")
    status, order = await _post(
        client,
        "/api/orders",
        agent,
        {
            "workflow": "consult",
            "form": {"咨询内容": "峰谷电价"},
            "caller_number": "13800138000",
            "submit": False,
        },
    )
    assert status == 201, order
    async with _loop_watch() as held:
        resp = await client.get(f"/orders/{order['id']}/print", headers={"Accept-Language": "zh-CN"})
        page = await resp.text()
    assert held[0] < HELD
    assert resp.status == 422 and "打印模板运算量过大" in page
    resp = await client.get(f"/orders/{order['id']}/print", headers={"Accept": "application/json"})
    assert (await resp.json())["error_id"] == "print_template_too_costly"
    # the rest of the order is untouched: its page still opens
    assert (await client.get(f"/api/orders/{order['id']}")).status == 200
