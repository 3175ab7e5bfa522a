"""Business categories per site (DOMAIN §4): each site is offered the shared categories and its
own, a site's own replacing the shared one of its code there; another site's own is never
offered, and a new order in one is refused (``ticketing.categories.offered`` / ``offer_problems``)."""

from sqlalchemy import select

from ticketing.categories import add_category, category_tree, disable_category, offer_problems, offered
from ticketing.models import Category


def _tops(tree):
    return [(o.top.code, o.top.name) for o in tree]


def _children(tree, code):
    return [c.name for o in tree if o.top.code == code for c in o.children]


async def _refused(session, site_id, workflow, category, subcategory="", **kw) -> dict[str, str]:
    problems = await offer_problems(session, site_id, workflow, category, subcategory, **kw)
    assert problems, (site_id, workflow, category, subcategory)
    return problems


async def _offered(session, site_id, workflow, category, subcategory="", **kw) -> None:
    assert await offer_problems(session, site_id, workflow, category, subcategory, **kw) == {}


async def test_each_site_is_offered_the_shared_categories_and_its_own(session, seeded):
    admin = seeded.users["9001"]
    gz, sz, hq = (seeded.sites[c].id for c in ("440100", "440300", "HQ"))
    shared = _tops(await offered(session, None))
    # 广州's own 大类别, its own 小类别 under the shared 故障报修, and its own 业扩报装 (an override)
    await add_category(session, admin, "gz_tree", "树障清理", site_id=gz, workflow_key="fault_repair")
    await add_category(session, admin, "fault_tree", "树障", parent_code="fault", site_id=gz)
    await add_category(
        session, admin, "service", "广州业扩报装", site_id=gz, workflow_key="service_application"
    )
    await session.commit()

    at_gz = await offered(session, gz)
    codes = [code for code, _name in _tops(at_gz)]
    assert codes.count("service") == 1, codes  # the override replaces the shared one, in its place
    assert [c for c in codes if c != "gz_tree"] == [c for c, _ in shared]
    assert dict(_tops(at_gz))["service"] == "广州业扩报装"
    # the shared 小类别 stay under the override; 广州's own 小类别 under the shared 大类别
    assert _children(at_gz, "service") == ["高压新装", "低压新装", "批量新装", "变更用电"]
    assert "树障" in _children(at_gz, "fault")
    assert "gz_tree" in codes
    for elsewhere in (sz, hq, None):
        tree = await offered(session, elsewhere)
        assert _tops(tree) == shared, elsewhere
        assert "树障" not in _children(tree, "fault")
    # the registers' tree (store.step_choices) reads the same rule, 协调单 included (intake does
    # not offer it: 派工超时转协调单 makes it, but contractors and templates are set for it)
    registers = [c for c, _ in _tops(await offered(session, sz, intake=False))]
    assert [t["code"] for t in await category_tree(session, sz)] == registers
    assert [c for c in registers if c != "coordination"] == [c for c, _ in shared]
    assert [t["name"] for t in await category_tree(session, gz) if t["code"] == "service"] == ["广州业扩报装"]

    # a 停用 override hides its code at its site (the nearest level decides: the shared one is
    # not offered there either); a 停用 大类别 takes its 小类别 along
    override = await session.scalar(
        select(Category).where(Category.code == "service", Category.site_id == gz)
    )
    await disable_category(session, admin, override)
    gz_tree = await session.scalar(select(Category).where(Category.code == "gz_tree"))
    await disable_category(session, admin, gz_tree)
    await session.commit()
    assert _tops(await offered(session, gz)) == [t for t in shared if t[0] != "service"]
    assert _tops(await offered(session, sz)) == shared


async def test_an_order_in_a_category_not_offered_to_the_users_site_is_refused(session, seeded):
    admin = seeded.users["9001"]
    gz, sz = seeded.sites["440100"].id, seeded.sites["440300"].id
    await add_category(session, admin, "gz_tree", "树障清理", site_id=gz, workflow_key="fault_repair")
    await add_category(session, admin, "fault_tree", "树障", parent_code="fault", site_id=gz)
    # 广州 takes its 协调单 on another workflow than the shared one's (故障报修's)
    await add_category(session, admin, "coordination", "协调单", site_id=gz, workflow_key="consult")
    await session.commit()

    # offered: nothing said
    await _offered(session, gz, "fault_repair", "gz_tree")
    await _offered(session, gz, "fault_repair", "fault", "fault_tree")
    await _offered(session, gz, "consult", "coordination")
    await _offered(session, sz, "fault_repair", "coordination")
    await _offered(session, sz, "fault_repair", "fault", "fault_lv")
    # another site's own 大类别 or 小类别
    assert await _refused(session, sz, "fault_repair", "gz_tree") == {
        "category": "field_category_not_offered"
    }
    assert await _refused(session, None, "fault_repair", "gz_tree") == {
        "category": "field_category_not_offered"
    }
    assert await _refused(session, sz, "fault_repair", "fault", "fault_tree") == {
        "subcategory": "field_category_not_offered"
    }
    # the shared 协调单's workflow, which 广州's own replaced
    assert await _refused(session, gz, "fault_repair", "coordination") == {
        "category": "field_category_not_offered"
    }
    # offered, but not on this workflow or not under this 大类别: a bad option, as the engine says
    assert await _refused(session, sz, "consult", "coordination") == {"category": "field_bad_option"}
    assert await _refused(session, sz, "fault_repair", "fault", "svc_hv_new") == {
        "subcategory": "field_bad_option"
    }
    # no category named: the workflow's own is the order's, refused when it is another site's own
    assert await _refused(session, sz, "gz_flow", "gz_tree", implied=True) == {
        "category": "field_category_not_offered"
    }
    await _offered(session, sz, "fault_repair", "fault", implied=True)
    # an unknown code is the engine's to refuse
    await _offered(session, sz, "fault_repair", "no_such")
