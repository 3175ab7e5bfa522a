"""The 标题 sent with an order (POST /api/orders ``title``) is trimmed of invisible characters as
form text is (ticketing.blanks): a zero-width space or full-width spaces around it are not kept,
and a title of only such characters is no title, so the order gets the one derived from its
form as an untitled order does. Before, only ASCII-style whitespace was stripped: a title of
"\\u200b" was kept as an order with an invisible 标题."""

from __future__ import annotations

import pytest

from tests.agent_ui.conftest import login
from ticketing.models import WorkOrder

FORM = {"故障名称": "整栋楼停电", "故障地址": "天河路1号", "所属供电局": "HD"}


async def _title(client, world, headers, **title) -> str:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "form": FORM, "submit": False, **title},
        headers=headers,
    )
    order = await resp.json()
    assert resp.status == 201, order
    async with world.services.sessionmaker() as db:
        stored = await db.get(WorkOrder, order["id"])
    assert order["title"] == stored.title
    return stored.title


async def test_a_title_is_trimmed_of_invisible_characters(client, world):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    title = await _title(client, world, headers, title="\u200b\u3000停电报修 天河路\u3000\ufeff")
    assert title == "停电报修 天河路"


@pytest.mark.parametrize("blank", ["\u200b", "\u3000\u3000", " \u200c\u200d ", "\ufeff\u2060"])
async def test_an_invisible_title_is_none(client, world, blank):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    untitled = await _title(client, world, headers)
    assert untitled and "整栋楼停电" in untitled
    assert await _title(client, world, headers, title=blank) == untitled
