"""Every field's problem at once, on the two other paths that take a form in besides the seat's
intake (tests/agent_ui/test_intake_every_problem_at_once.py): 新建工单 from an async event (its
form pre-filled from the event) and 提交 on the order page. The engine gathers them
(``forms.refuse_all``), so one resubmission can put them all right."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import User


async def _event(world, external_id: str) -> int:
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(
            db, "sms", external_id, sender="13800138000", content="抄表员态度恶劣，多次催费时辱骂"
        )
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        return event.id


async def _refused(resp) -> dict:
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["error_id"] == "invalid_fields"
    return refused


async def test_an_order_from_an_event_names_every_problem_but_the_prefilled_field(client, world):
    """A bad 类别1 and the required 标题 and 严重程度 left empty, together; 投诉内容, required
    too, is the event's text (pre-filled), so it is no problem."""
    token = await login(client, "1001")
    resp = await client.post(
        f"/api/inbox/{await _event(world, 'sms-every')}/order",
        json={"workflow": "complaint", "form": {"类别1": "四类", "所属区域": "HD"}, "submit": True},
        headers={"X-CSRF-Token": token},
    )
    refused = await _refused(resp)
    assert refused["details"]["problems"] == {
        "subcategory": "field_required",  # submitted, as at the seat's intake: the form's head first
        "类别1": "field_bad_option",
        "标题": "field_required",
        "严重程度": "field_required",
    }
    assert list(refused["details"]["problems"]) == ["subcategory", "类别1", "标题", "严重程度"]
    assert "投诉内容" not in refused["message"]


async def test_submitting_a_step_names_every_problem(client, world):
    """提交 on the order page (a 受理 saved for later, then sent on): the 小类别 not picked, the
    所属供电局 refused and the empty 故障地址 together."""
    token = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "form": {"故障名称": "停电"}, "submit": False},
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    resp = await client.post(
        f"/api/orders/{order['number']}/submit",
        json={"form": {"所属供电局": "NOPE"}},
        headers={"X-CSRF-Token": token},
    )
    refused = await _refused(resp)
    assert list(refused["details"]["problems"].items()) == [
        ("subcategory", "field_required"),  # the form's head, as at the seat's intake
        ("故障地址", "field_required"),
        ("所属供电局", "field_unknown_site"),
    ]
    assert "故障地址（必填）" in refused["message"] and "所属供电局（区域不存在）" in refused["message"]
    assert "小类别（必填）" in refused["message"]

    # all put right: one more 提交 sends it on
    resp = await client.post(
        f"/api/orders/{order['number']}/submit",
        json={"form": {"所属供电局": "HD", "故障地址": "海淀区中关村大街 1 号"}, "subcategory": "fault_lv"},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 200, await resp.json()
