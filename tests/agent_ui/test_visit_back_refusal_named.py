"""A visit-back whose complaint category is 停用 at the order's site is refused naming the
category and that site (``survey_complaint_not_offered``, 422), on the order page's survey and
the campaign card's alike: it used to be the intake problem 不是您所在单位受理的业务类别, which
blamed the team leader's own site. The console's texts say it in both languages."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests.agent_ui.conftest import sign_in
from tests.agent_ui.visit_back_setup import order_at_visit_back
from ticketing.categories import add_category, disable_category
from ticketing.models import Site, User

TEXTS = Path(__file__).resolve().parents[2] / "agent_ui" / "texts"


async def test_the_survey_refusal_names_the_category_and_the_orders_site(client, aiohttp_client, world):
    order = await order_at_visit_back(client, aiohttp_client)
    async with world.services.sessionmaker.begin() as db:
        admin = await db.scalar(select(User).where(User.staff_no == "9001"))
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        site_name = hd.name
        override = await add_category(
            db, admin, "complaint", "海淀投诉", site_id=hd.id, workflow_key="complaint"
        )
        await disable_category(db, admin, override)

    leader = await sign_in(aiohttp_client, client, "3001")  # the supervisor visits back (order.visit_back)
    status, survey = await leader.call("GET", f"/api/orders/{order['id']}/survey")
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, refused = await leader.call("POST", f"/api/orders/{order['id']}/survey", {"answers": unhappy})
    assert (status, refused["error_id"]) == (422, "survey_complaint_not_offered"), refused
    assert refused["details"]["category_name"] == "海淀投诉"
    assert refused["details"]["site_name"] == site_name
    # in words: the category and the order's site, not 您所在单位
    assert "海淀投诉" in refused["message"] and site_name in refused["message"], refused
    # nothing kept: the order still waits for its survey
    status, survey = await leader.call("GET", f"/api/orders/{order['id']}/survey")
    assert survey["due"] is True and not survey.get("results"), survey

    for lang in ("zh-CN", "en"):
        texts = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
        for key in ("error.survey_complaint_not_offered", "error.spawn_category_not_offered"):
            assert "{category_name}" in texts[key] and "{site_name}" in texts[key], (lang, key)
