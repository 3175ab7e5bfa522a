"""Visit-back dimensions inherit down the site tree as business categories do: a 供电所 with no
set of its own is visited back with its 供电局's, a site with its own uses that, and the shared
set is the last fallback. They were per site only: a 供电所 under a 供电局 with its own set got
the shared questions."""

from tests.ticketing.test_surveys_and_reports import at, fault
from ticketing.surveys import add_dimension, dimensions_for, dimensions_source, order_dimensions

OPTIONS = [{"label": "快", "satisfied": True}, {"label": "慢", "satisfied": False}]


async def test_an_outlet_uses_its_bureaus_dimensions_unless_it_has_its_own(session, seeded):
    admin = seeded.users["9001"]
    gz, gz1, gz2, sz = (seeded.sites[c].id for c in ("440100", "440106", "440104", "440300"))
    shared = [d.name for d in await dimensions_for(session, None, "fault")]
    assert len(shared) == 4
    await add_dimension(session, admin, "fault", "到场速度", OPTIONS, site_id=gz)
    await add_dimension(session, admin, "fault", "抢修质量", OPTIONS, site_id=gz)
    await add_dimension(session, admin, "fault", "所里服务", OPTIONS, site_id=gz2)

    assert [d.name for d in await dimensions_for(session, gz1, "fault")] == ["到场速度", "抢修质量"]
    assert (await dimensions_source(session, gz1, "fault"))[0] == gz
    # its own set, whole (never a mix with the bureau's)
    assert [d.name for d in await dimensions_for(session, gz2, "fault")] == ["所里服务"]
    assert (await dimensions_source(session, gz2, "fault"))[0] == gz2
    # another bureau, and no site at all: the shared set
    assert [d.name for d in await dimensions_for(session, sz, "fault")] == shared
    assert await dimensions_source(session, sz, "fault") == (
        None,
        await dimensions_for(session, None, "fault"),
    )

    # an order of the 供电所 is asked its bureau's questions
    order = await fault(session, seeded, at(24, 9))
    order.site_id = gz1
    assert [d.name for d in await order_dimensions(session, order)] == ["到场速度", "抢修质量"]
