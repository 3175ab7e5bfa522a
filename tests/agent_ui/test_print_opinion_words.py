"""The printed order's 处理意见 names every action in words (改派, 申请延期, never reassign or
extend_request) in the page's language, and a step with its own button name reads by it
(接收确认, not 批准)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import Comment, User


async def test_the_printed_opinions_are_in_words_and_a_step_by_its_own_name(client, world):
    agent = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "fault_repair",
            "form": {"故障地址": "海淀路 2 号", "所属供电局": "HD"},
            "subcategory": "fault_lv",
        },
        headers={"X-CSRF-Token": agent},
    )
    order = await resp.json()
    assert resp.status == 201, order
    async with world.services.sessionmaker.begin() as db:
        leader = await db.scalar(select(User).where(User.staff_no == "2001"))
        for action, node, text in (
            ("approve", "confirm", "已接收"),
            ("reassign", "dispatch", "原处理人休假"),
            ("extend_request", "dispatch", "材料未到"),
        ):
            db.add(Comment(order_id=order["id"], user_id=leader.id, action=action, node=node, text=text))
    html = await (await client.get(order["print_url"])).text()
    assert "<td>接收确认</td><td>接收确认</td>" in html and "<td>批准</td>" not in html
    assert "<td>改派</td>" in html and "<td>申请延期</td>" in html
    assert "reassign" not in html and "extend_request" not in html
    await client.post("/lang", data={"_csrf": agent, "lang": "en", "next": "/"})
    html = await (await client.get(order["print_url"])).text()
    assert "<td>Reassigned</td>" in html and "<td>Asked for more time</td>" in html
    assert "reassign<" not in html and "extend_request" not in html
