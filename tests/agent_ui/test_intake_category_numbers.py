"""The seat's intake (POST /api/orders) keeps the 业务大类别 picked, not only its workflow, and
the order is numbered by that category's own pattern where it has one, else by the workflow's:
the same rule for every way an order is made."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import Category, Site, User, WorkOrder

CONSULT = {"咨询内容": "查询户号", "答复内容": "已告知"}
FAULT = {"故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"}


async def _take(client, token: str, body: dict) -> tuple[int, dict]:
    resp = await client.post("/api/orders", json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_an_order_taken_as_user_information_query_keeps_its_category_and_number(client):
    token = await login(client, "1001")
    status, query = await _take(client, token, {"workflow": "consult", "category": "query", "form": CONSULT})
    assert status == 201, query
    # 用户信息查询, not the 信息咨询 its workflow is named after, with its own CX… numbers
    assert (query["category"], query["category_name"]) == ("query", "用户信息查询")  # as lists name it
    assert re.fullmatch(r"CX\d{13}", query["number"]), query["number"]
    status, consult = await _take(
        client, token, {"workflow": "consult", "category": "consult", "form": CONSULT}
    )
    assert status == 201, consult
    assert (consult["category"], consult["category_name"]) == ("consult", "信息咨询")
    assert re.fullmatch(r"ZX\d{13}", consult["number"]), consult["number"]  # none of its own: the workflow's
    # each prefix counts on its own: the first of the day under each
    assert query["number"].endswith("00001") and consult["number"].endswith("00001")
    # no category named (an API client of before): the workflow's category, and its number
    status, plain = await _take(client, token, {"workflow": "consult", "form": CONSULT})
    assert status == 201, plain
    assert plain["category"] == "consult" and plain["number"].startswith("ZX")


async def test_a_category_of_another_workflow_is_refused_in_words_and_nothing_is_saved(client, world):
    token = await login(client, "1001")
    for body, field in [
        ({"workflow": "fault_repair", "category": "query", "form": FAULT}, "category"),
        (
            {"workflow": "fault_repair", "category": "fault", "subcategory": "svc_hv_new", "form": FAULT},
            "subcategory",
        ),
        ({"workflow": "consult", "category": "no_such", "form": CONSULT}, "category"),
    ]:
        status, problem = await _take(client, token, body)
        assert status == 422 and problem["error_id"] == "invalid_fields", problem
        assert problem["details"]["problems"] == {field: "field_bad_option"}
        assert "选项无效" in problem["message"], problem["message"]
    status, problem = await _take(
        client, token, {"workflow": "consult", "category": "q" * 33, "form": CONSULT}
    )
    assert status == 400 and problem["details"]["field"] == "category", problem
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count(WorkOrder.id))) == 0


async def test_every_way_of_making_an_order_numbers_it_by_its_categorys_pattern(client, world):
    """An async event taken in as 用户信息查询; and orders that name no category (the IVR's
    voicemail fault order, an API client) have the workflow's category, numbered by its pattern
    where an admin set one, a bureau's own row of the category before the global one."""
    async with world.services.sessionmaker.begin() as db:
        await db.execute(
            update(Category).where(Category.code == "fault").values(number_pattern="BX{yyyyMMdd}{seq:05}")
        )
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
        db.add(
            Category(
                code="fault",
                name="故障报修",
                site_id=hd,
                workflow_key="fault_repair",
                number_pattern="HDBX{yyyyMMdd}{seq:04}",
            )
        )
        agent = await db.get(User, world.people["1001"])
        sms = await Intake().receive(db, "sms", "sms-query", sender="13800138000", content="查一下我的户号")
        await assign_to(db, None, sms, agent)
        voicemail = await Intake().receive(db, "voicemail", "vm-1", sender="13900139000")
        by_voicemail = await Intake().open_fault_report(db, voicemail, agent)
        assert by_voicemail.category == "fault" and re.fullmatch(r"BX\d{13}", by_voicemail.number)

    token = await login(client, "1001")
    resp = await client.post(
        f"/api/inbox/{sms.id}/order",
        json={"workflow": "consult", "category": "query", "form": {"答复内容": "已查询"}},
        headers={"X-CSRF-Token": token},
    )
    from_event = await resp.json()
    assert resp.status == 201, from_event
    assert from_event["category"] == "query" and from_event["number"].startswith("CX")
    # 所属供电局 HD: the bureau's own 故障报修 numbers it
    status, at_hd = await _take(client, token, {"workflow": "fault_repair", "form": FAULT, "submit": False})
    assert status == 201, at_hd
    assert at_hd["category"] == "fault" and re.fullmatch(r"HDBX\d{12}", at_hd["number"]), at_hd["number"]
