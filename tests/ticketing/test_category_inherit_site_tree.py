"""业务类别 inherit down the site tree: a 供电所's users are offered what its 供电局 (and every
site above it) defines, the nearest level's row of a code winning (the site's own > its
parent's > … > the shared one), and a 停用 row hides its code at its level and below unless a
nearer level has an enabled one (``ticketing.categories.offered`` / ``offer_problems``; the
admin register, ``ticketing.category_admin``, lets a 供电所 override its 供电局's)."""

from sqlalchemy import event, select

from ticketing import category_admin
from ticketing.categories import add_category, disable_category, offer_problems, offered
from ticketing.errors import FieldErrors
from ticketing.models import Category


def _tops(tree):
    return {o.top.code: o.top.name for o in tree}


def _children(tree, code):
    return [c.code for o in tree if o.top.code == code for c in o.children]


async def test_a_child_site_is_offered_its_bureaus_categories_the_nearest_winning(session, seeded):
    admin = seeded.users["9001"]
    gz, gz1, gz2, sz = (seeded.sites[c].id for c in ("440100", "440106", "440104", "440300"))
    shared = _tops(await offered(session, None))
    # the 供电局 广州: its own 大类别, its own 小类别 under the shared 故障报修, an override of 业扩报装
    await add_category(session, admin, "gz_tree", "树障清理", site_id=gz, workflow_key="fault_repair")
    await add_category(session, admin, "fault_tree", "树障", parent_code="fault", site_id=gz)
    await add_category(
        session, admin, "service", "广州业扩报装", site_id=gz, workflow_key="service_application"
    )
    # its 供电所 天河 overrides 广州's override again; 越秀 does not
    await add_category(
        session, admin, "service", "天河业扩报装", site_id=gz1, workflow_key="service_application"
    )
    await session.commit()

    at_gz1, at_gz2 = await offered(session, gz1), await offered(session, gz2)
    for tree in (at_gz1, at_gz2):
        assert "gz_tree" in _tops(tree)  # the bureau's own
        assert "fault_tree" in _children(tree, "fault")  # the bureau's own 小类别
        # the shared 小类别 stay under whichever row of 业扩报装 the site is offered
        assert _children(tree, "service") == _children(await offered(session, None), "service")
    assert _tops(at_gz1)["service"] == "天河业扩报装"  # its own: the nearest
    assert _tops(at_gz2)["service"] == "广州业扩报装"  # its bureau's
    assert _tops(await offered(session, gz))["service"] == "广州业扩报装"
    assert _tops(await offered(session, sz)) == shared  # another branch sees none of 广州's
    # every new order is checked so (the engine): from the caches, no query once they are warm
    statements = []

    def count(*_args):
        statements.append(1)

    sync_engine = session.bind.sync_engine
    await offer_problems(session, gz1, "fault_repair", "gz_tree")
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        assert await offer_problems(session, gz2, "fault_repair", "fault", "fault_tree") == {}
        assert await offer_problems(session, gz1, "fault_repair", "gz_tree") == {}
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert statements == []
    # the bureau's order in its own category is offered at its 供电所; not at another branch
    assert await offer_problems(session, gz1, "fault_repair", "gz_tree") == {}
    assert await offer_problems(session, gz2, "fault_repair", "fault", "fault_tree") == {}
    assert await offer_problems(session, sz, "fault_repair", "gz_tree") == {
        "category": "field_category_not_offered"
    }

    # 广州 停用 投诉 (an override of the shared one, disabled): hidden at 广州 and its 供电所 ...
    gz_complaint = await add_category(
        session, admin, "complaint", "投诉（广州）", site_id=gz, workflow_key="complaint"
    )
    await disable_category(session, admin, gz_complaint)
    await session.commit()
    for site in (gz, gz1, gz2):
        assert "complaint" not in _tops(await offered(session, site)), site
        assert await offer_problems(session, site, "complaint", "complaint") == {
            "category": "field_category_not_offered"
        }
        # the workflow's own category when none is named (an IVR or follow-up order)
        assert await offer_problems(session, site, "complaint", "complaint", implied=True) == {
            "category": "field_category_not_offered"
        }
    assert "complaint" in _tops(await offered(session, sz))
    # ... unless a nearer level has an enabled one: 天河's own
    await add_category(session, admin, "complaint", "天河投诉", site_id=gz1, workflow_key="complaint")
    await session.commit()
    assert _tops(await offered(session, gz1))["complaint"] == "天河投诉"
    assert "complaint" not in _tops(await offered(session, gz2))
    # the bureau's own 大类别 停用: its 供电所 lose it and its 小类别
    gz_tree = await session.scalar(select(Category).where(Category.code == "gz_tree"))
    await disable_category(session, admin, gz_tree)
    await session.commit()
    assert "gz_tree" not in _tops(await offered(session, gz2))


async def test_the_register_lets_a_child_site_override_and_extend_its_bureaus(session, seeded):
    admin = seeded.users["9001"]
    gz, gz1, sz = (seeded.sites[c].id for c in ("440100", "440106", "440300"))
    gz_tree = await category_admin.create(
        session,
        admin,
        {
            "code": "gz_tree",
            "name": "树障清理",
            "site_id": gz,
            "workflow_key": "fault_repair",
            "confirm": True,
        },
    )
    # 天河's own 小类别 under its bureau's 大类别, and its override of that 大类别
    sub = await category_admin.create(
        session, admin, {"code": "gz1_branch", "name": "断枝", "parent_id": gz_tree.id, "site_id": gz1}
    )
    mine = await category_admin.create(
        session,
        admin,
        {
            "code": "gz_tree",
            "name": "天河树障",
            "site_id": gz1,
            "workflow_key": "fault_repair",
            "confirm": True,
        },
    )
    await session.commit()
    tree = await offered(session, gz1)
    assert _tops(tree)["gz_tree"] == "天河树障"
    assert _children(tree, "gz_tree") == ["gz1_branch"]
    # another branch's site may neither override nor hang under 广州's own
    try:
        await category_admin.create(
            session,
            admin,
            {
                "code": "gz_tree",
                "name": "深圳树障",
                "site_id": sz,
                "workflow_key": "fault_repair",
                "confirm": True,
            },
        )
        raise AssertionError("another branch took 广州's code")
    except FieldErrors as refused:
        assert refused.problems == {"code": "field_category_code_other_site"}
    try:
        await category_admin.create(
            session, admin, {"code": "sz_branch", "name": "断枝", "parent_id": gz_tree.id, "site_id": sz}
        )
        raise AssertionError("a 小类别 under another branch's 大类别")
    except FieldErrors as refused:
        assert refused.problems == {"parent_id": "field_category_parent_site"}
    await session.rollback()
    # the register says from where each override inherits
    listed = {item["id"]: item for item in (await category_admin.listing(session))["items"]}
    assert listed[mine.id]["overrides"] and listed[mine.id]["overrides_site_id"] == gz
    assert not listed[gz_tree.id]["overrides"] and listed[gz_tree.id]["overrides_site_id"] is None
    assert not listed[sub.id]["overrides"]


async def test_a_child_sites_order_is_named_by_its_bureaus_override(session, seeded):
    from agent_ui.order_views import subcategory_names
    from ticketing import create_order
    from ticketing.printing import _category_names

    admin = seeded.users["9001"]
    gz, gz1, sz = (seeded.sites[c].id for c in ("440100", "440106", "440300"))
    await add_category(session, admin, "fault_lv", "广州低压故障", parent_code="fault", site_id=gz)
    await session.commit()
    orders = [
        await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=site,
            category="fault",
            subcategory="fault_lv",
            form={"故障地址": "天河路1号"},
            submit=False,
        )
        for site in (gz1, sz)
    ]
    names = await subcategory_names(session, orders)
    assert names[orders[0].id] == "广州低压故障"  # the 供电所's order, by its bureau's name
    assert names[orders[1].id] != "广州低压故障"  # another branch's: the shared one's
    assert (await _category_names(session, orders[0]))["fault_lv"] == "广州低压故障"
    # the order page's 业务大类别 alike (协调单 on the fault flow: named by its own row)
    from agent_ui.order_views import _category_name
    from ticketing.workflow import store

    await add_category(session, admin, "coordination", "广州协调单", site_id=gz, workflow_key="fault_repair")
    await session.commit()
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=gz1,
        category="coordination",
        form={"故障地址": "天河路1号"},
        submit=False,
    )
    definition = await store.definition_for(session, order.workflow_id)
    assert await _category_name(session, order, definition) == "广州协调单"
