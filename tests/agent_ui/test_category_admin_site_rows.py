"""业务类别 for one site: the admin creates a site's own 大类别 / 小类别 and a site's override of a
shared one (适用单位, an enabled site), which intake offers that site's users alone (the override
in the shared one's place), with the page's rules, Chinese errors and audit; the list says which
site a row is of and whether it overrides a shared one."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, add_user, chaoyang_bureau, sign_in
from ticketing.models import AuditLog, Category, Site


async def _site(world, code: str) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.id).where(Site.code == code))


async def _category(world, code: str, site_id: int | None = None) -> Category:
    async with world.services.sessionmaker() as db:
        return await db.scalar(
            select(Category).where(
                Category.code == code,
                Category.site_id.is_(None) if site_id is None else Category.site_id == site_id,
            )
        )


async def _intake(who: Session) -> dict[str, dict]:
    status, spec = await who.call("GET", "/api/intake")
    assert status == 200, spec
    return {c["code"]: c for c in spec["categories"]}


async def _create(admin: Session, body: dict) -> tuple[int, dict]:
    return await admin.call("POST", "/api/admin/categories", body)


async def test_a_sites_own_category_and_override_reach_that_sites_intake_alone(client, world, aiohttp_client):
    admin = await Session.signed_in(client, "9001")
    hd = await _site(world, "HD")
    await add_user(world, "1101", "海淀坐席", ["agent"], "HD")
    at_hd = await sign_in(aiohttp_client, client, "1101")
    at_hq = await sign_in(aiohttp_client, client, "1001")
    fault = await _category(world, "fault")

    status, own = await _create(
        admin,
        {
            "code": "hd_tree",
            "name": "树障清理",
            "site_id": hd,
            "workflow_key": "fault_repair",
            "confirm": True,
        },
    )
    assert status == 201, own
    assert (own["site_id"], own["overrides"], own["workflow_key"]) == (hd, False, "fault_repair")
    status, sub = await _create(
        admin, {"code": "hd_tree_cut", "name": "砍伐", "parent_id": own["id"], "site_id": hd}
    )
    assert status == 201 and sub["site_id"] == hd and sub["workflow_key"] == "fault_repair", sub
    # a site's own 小类别 under a shared 大类别
    status, under_shared = await _create(
        admin, {"code": "fault_tree", "name": "树障", "parent_id": fault.id, "site_id": hd}
    )
    assert status == 201 and under_shared["parent_id"] == fault.id, under_shared
    # the override of a shared 大类别: same code, that site's name and workflow
    status, override = await _create(
        admin,
        {
            "code": "consult",
            "name": "海淀信息咨询",
            "site_id": hd,
            "workflow_key": "consult",
            "confirm": True,
        },
    )
    assert status == 201, override
    assert override["overrides"] is True and override["site_id"] == hd
    # the override of a shared 小类别, under the same 大类别, keeps the shared one's form
    meter = await _category(world, "fault_meter")
    status, meter_hd = await _create(
        admin, {"code": "fault_meter", "name": "海淀计量故障", "parent_id": fault.id, "site_id": hd}
    )
    assert status == 201 and meter_hd["overrides"] is True, meter_hd
    assert (await _category(world, "fault_meter", hd)).form_schema == meter.form_schema

    hq_offer, hd_offer = await _intake(at_hq), await _intake(at_hd)
    assert "hd_tree" not in hq_offer and hq_offer["consult"]["name"] == "信息咨询"
    assert "树障" not in [s["name"] for s in hq_offer["fault"]["subcategories"]]
    assert "计量装置故障" in [s["name"] for s in hq_offer["fault"]["subcategories"]]
    assert hd_offer["hd_tree"]["workflow"] == "fault_repair"
    assert [s["code"] for s in hd_offer["hd_tree"]["subcategories"]] == ["hd_tree_cut"]
    assert hd_offer["consult"]["name"] == "海淀信息咨询"
    hd_subs = {s["code"]: s["name"] for s in hd_offer["fault"]["subcategories"]}
    assert hd_subs["fault_tree"] == "树障" and hd_subs["fault_meter"] == "海淀计量故障"

    listed = (await admin.call("GET", "/api/admin/categories"))[1]["items"]
    rows = {(c["code"], c["site_id"]): c for c in listed}
    assert rows[("consult", None)]["overrides"] is False and rows[("consult", hd)]["overrides"] is True
    assert rows[("hd_tree_cut", hd)]["parent_id"] == own["id"]

    async with world.services.sessionmaker() as db:
        audited = list(
            await db.scalars(
                select(AuditLog).where(AuditLog.action == "category.create").order_by(AuditLog.id)
            )
        )
    assert [(a.after["code"], a.after["site_id"], a.user_id) for a in audited] == [
        ("hd_tree", hd, world.people["9001"]),
        ("hd_tree_cut", hd, world.people["9001"]),
        ("fault_tree", hd, world.people["9001"]),
        ("consult", hd, world.people["9001"]),
        ("fault_meter", hd, world.people["9001"]),
    ]


async def test_a_sites_rows_follow_the_pages_rules_in_chinese_and_nothing_is_stored(client, world):
    admin = await Session.signed_in(client, "9001")
    await chaoyang_bureau(world)
    hd, cy = await _site(world, "HD"), await _site(world, "CY")
    fault = await _category(world, "fault")
    meter = await _category(world, "fault_meter")
    status, cy_own = await _create(admin, {"code": "cy_top", "name": "朝阳自设", "site_id": cy})
    assert status == 201, cy_own
    async with world.services.sessionmaker() as db:
        before = sorted(await db.scalars(select(Category.id)))
    async with world.services.sessionmaker.begin() as db:
        (await db.get(Site, cy)).enabled = False

    async def refused(body: dict) -> dict:
        status, answer = await _create(admin, body)
        assert (status, answer["error_id"]) == (422, "invalid_fields"), answer
        return answer

    answer = await refused({"code": "x_one", "name": "停用单位", "site_id": cy})
    assert answer["details"]["problems"] == {"site_id": "field_site_disabled"}
    assert "该单位已停用" in answer["message"]
    answer = await refused({"code": "x_two", "name": "无此单位", "site_id": 99999})
    assert answer["details"]["problems"] == {"site_id": "field_unknown_site"}
    answer = await refused({"code": "x_three", "name": "单位", "site_id": "海淀"})
    assert answer["details"]["problems"] == {"site_id": "field_not_number"}
    # another site's 大类别 is no parent; nor a site's own one for a shared 小类别
    answer = await refused({"code": "x_four", "name": "挂错", "parent_id": cy_own["id"], "site_id": hd})
    assert answer["details"]["problems"] == {"parent_id": "field_category_parent_site"}
    assert "须是共用的大类别或所选单位自设的大类别" in answer["message"]
    answer = await refused({"code": "x_five", "name": "共用挂自设", "parent_id": cy_own["id"]})
    assert answer["details"]["problems"] == {"parent_id": "field_category_parent_site"}
    # an override has the shared one's level, a 小类别's under the same 大类别
    answer = await refused({"code": "fault", "name": "海淀故障", "parent_id": fault.id, "site_id": hd})
    assert answer["details"]["problems"] == {"parent_id": "field_category_override_parent"}
    answer = await refused({"code": "fault_meter", "name": "海淀计量", "site_id": hd})
    assert answer["details"]["problems"] == {"parent_id": "field_category_override_parent"}
    assert "与同编码的共用类别级别不一致" in answer["message"]
    consult = await _category(world, "consult")
    answer = await refused(
        {"code": "fault_meter", "name": "海淀计量", "parent_id": consult.id, "site_id": hd}
    )
    assert answer["details"]["problems"] == {"parent_id": "field_category_override_parent"}
    assert meter.parent_id == fault.id
    # a code is the shared one's or one site's own: another site's own code is taken
    answer = await refused({"code": "cy_top", "name": "海淀也要", "site_id": hd})
    assert answer["details"]["problems"] == {"code": "field_category_code_other_site"}
    assert "已是其他单位自设类别的编码" in answer["message"]
    # nor may a shared one take it
    answer = await refused({"code": "cy_top", "name": "共用"})
    assert answer["details"]["problems"] == {"code": "field_duplicate"}
    # twice the same site's
    async with world.services.sessionmaker.begin() as db:
        (await db.get(Site, cy)).enabled = True
    answer = await refused({"code": "cy_top", "name": "朝阳又一个", "site_id": cy})
    assert answer["details"]["problems"] == {"code": "field_duplicate"}
    async with world.services.sessionmaker() as db:
        assert sorted(await db.scalars(select(Category.id))) == before


async def test_an_override_is_not_asked_about_the_shared_ones_workflow(client, world):
    """The shared 信息咨询 and its override are one category: only other categories on the
    workflow are named when attaching it."""
    admin = await Session.signed_in(client, "9001")
    hd = await _site(world, "HD")
    status, body = await _create(
        admin, {"code": "consult", "name": "海淀信息咨询", "site_id": hd, "workflow_key": "consult"}
    )
    assert (status, body["error_id"]) == (409, "category_workflow_shared")
    assert body["details"]["categories"] == ["用户信息查询"]
    status, body = await _create(
        admin,
        {
            "code": "consult",
            "name": "海淀信息咨询",
            "site_id": hd,
            "workflow_key": "fault_repair",
            "confirm": True,
        },
    )
    assert status == 201, body
