"""A new order with a 小类别 reads that category row once, for its fields and its title, by one
rule (titles.subcategory_row: the shared row where the code has one)."""

from sqlalchemy import event, select, update

from ticketing import create_order
from ticketing.models import Category, Site
from ticketing.workflow import store
from ticketing.workflow.steps import with_subtype_fields
from ticketing.workflow.titles import followed_title


async def _fault_order(s, agent, site: Site, subcategory: str = "fault_lv"):
    return await create_order(
        s,
        agent,
        workflow="fault_repair",
        site_id=site.id,
        subcategory=subcategory,
        form={"故障地址": "中山路1号", "所属供电局": site.code, "客户描述故障信息": "家中停电"},
    )


async def test_an_order_with_a_subcategory_reads_its_row_once(engine, sm, seeded):
    agent = seeded.users["1001"]
    async with sm.begin() as s:
        site = await s.get(Site, agent.site_id)
        await _fault_order(s, agent, site)  # the caches around an order fill
    read: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if "FROM categories" in statement:
            read.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with sm.begin() as s:
            order = await _fault_order(s, agent, site)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(read) == 1, read
    assert order.title == "低压故障：中山路1号"


async def test_the_title_takes_the_name_its_fields_are_read_by(sm, seeded):
    """A site's own row of a 小类别 code beside the shared one: the title names the shared row, as
    the 小类别's fields and bound values do, and a later form change still knows the title as
    derived (the same rule in ``followed_title``)."""
    agent = seeded.users["1001"]
    async with sm.begin() as s:
        site = await s.get(Site, agent.site_id)
        shared = await s.scalar(
            select(Category).where(Category.code == "fault_lv", Category.site_id.is_(None))
        )
        s.add(Category(code="fault_lv", name="本地低压故障", parent_id=shared.parent_id, site_id=site.id))
        await s.flush()
        # the shared row written again after the site's: a table read in storage order (PostgreSQL's
        # heap) meets the site's row first
        await s.execute(update(Category).where(Category.id == shared.id).values(name="低压故障"))
    async with sm.begin() as s:
        order = await _fault_order(s, agent, site)
        assert order.title == "低压故障：中山路1号"
        stored = await store.latest(s, "fault_repair")
        fields = await with_subtype_fields(s, stored.definition, "fault_lv")
        changed = {**order.form, "故障地址": "中山路2号"}
        assert await followed_title(s, order, fields, changed, "fault_lv") == "低压故障：中山路2号"
