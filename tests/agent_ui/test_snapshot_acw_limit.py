"""The seat's first snapshot carries the after-call work's limit (``AppServices.acw_seconds``, from
the ``acw_seconds`` setting): the state bar counts 话后处理 down to it (statebar.js), so an agent
writing a call up sees when the next call may ring."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next


async def test_the_snapshot_names_the_after_call_work_limit(client, world):
    world.services.acw_seconds = 20.0
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        assert (await _next(seat, "snapshot"))["acw_seconds"] == 20.0


async def test_no_limit_is_zero(client, world):
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        assert (await _next(seat, "snapshot"))["acw_seconds"] == 0
