"""One fax template that cannot be filled (broken, or over the render's budget) no longer breaks
the order page's fax listing (GET /api/orders/{key}/fax answered 500 or 422 for all of them):
it is listed by its own subject with its error, which the page marks, and the others as ever;
sending it gives its error, in Chinese."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests.agent_ui.conftest import login
from tests.unfillable_templates import BROKEN_FAX_SUBJECT, COSTLY, consult_reply_template
from ticketing.models import Notification

TEXTS = {
    lang: json.loads((Path(__file__).parents[2] / f"agent_ui/texts/{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}


async def test_a_broken_or_costly_fax_template_is_listed_marked_and_the_others_still_are(client, world):
    csrf = await login(client, "1001")
    async with world.services.sessionmaker.begin() as db:  # stored before saves were checked
        broken = consult_reply_template("测试模板1", "fax", subject=BROKEN_FAX_SUBJECT, body="x")
        costly = consult_reply_template("测试模板2", "fax", subject=COSTLY + "超长", body="x")
        db.add_all([broken, costly])
        await db.flush()
        ids = {"broken": broken.id, "costly": costly.id}
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "consult",
            "form": {"咨询内容": "电价"},
            "caller_number": "13800138000",
            "submit": False,
        },
        headers={"X-CSRF-Token": csrf},
    )
    order = await resp.json()
    assert resp.status == 201, order

    resp = await client.get(f"/api/orders/{order['id']}/fax")
    choices = await resp.json()
    assert resp.status == 200, choices
    listed = {t["id"]: t for t in choices["templates"]}
    [seeded] = [t for i, t in listed.items() if i not in ids.values()]
    assert seeded == {
        "id": seeded["id"],
        "name": "咨询答复函（传真）",
        "subject": f"国网客服中心 答复函（工单 {order['number']}）",
    }
    assert listed[ids["broken"]] == {
        "id": ids["broken"],
        "name": "测试模板1",  # by its name as ever, marked
        "subject": "停电答复 {{ order.number",
        "error": "template_invalid",
    }
    assert listed[ids["costly"]]["error"] == "template_too_costly"
    assert choices["to"] == ""  # the caller's mobile takes no fax: not offered
    # the page's mark reads in both languages
    assert "模板有误" in TEXTS["zh-CN"]["fax.template_error"] and TEXTS["en"]["fax.template_error"]

    # sending one says why, and queues nothing
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "01088886666", "template_id": ids["costly"]},
        headers={"X-CSRF-Token": csrf, "Accept-Language": "zh-CN"},
    )
    answer = await resp.json()
    assert (resp.status, answer["error_id"]) == (422, "template_too_costly"), answer
    assert "运算量过大" in answer["message"]
    async with world.services.sessionmaker() as db:
        assert list(await db.scalars(select(Notification))) == []
