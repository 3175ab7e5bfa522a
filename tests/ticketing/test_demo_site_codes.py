"""QA 11: the demo coded 广州 "GZ", the start of every 故障报修 number (GZ2026…, for 故障): a
dispatcher seeing order GZ2026… of site GZ took it for 广州's, whichever bureau it was. The
demo's sites are now coded as Guangdong's utilities code their units, by 行政区划代码: each
city's 供电局 by the city's, each 供电所 by its district's."""

from __future__ import annotations

from sqlalchemy import select

from ticketing.models import Category, Customer, WorkflowDefinition


async def test_the_demo_codes_its_sites_by_administrative_division(session, seeded):
    sites = seeded.sites
    bureaus = {code: s.name for code, s in sites.items() if s.kind == "bureau"}
    assert bureaus == {"440100": "广州市供电局", "440300": "深圳市供电局", "440600": "佛山市供电局"}
    outlets = {code: (s.name, s.parent_id) for code, s in sites.items() if s.kind == "outlet"}
    assert outlets == {
        "440106": ("天河区供电所", sites["440100"].id),
        "440104": ("越秀区供电所", sites["440100"].id),
        "440304": ("福田区供电所", sites["440300"].id),
        "440303": ("罗湖区供电所", sites["440300"].id),
        "440604": ("禅城区供电所", sites["440600"].id),
        "440605": ("南海区供电所", sites["440600"].id),
    }
    # the customers live in their 供电所's city
    city = {code: sites[code].name[:3] for code in bureaus}
    parent = {s.id: s.parent_id for s in sites.values()}
    bureau_of = {
        s.id: next(c for c in bureaus if sites[c].id == parent[s.id])
        for s in sites.values()
        if s.kind == "outlet"
    }
    customers = list(await session.scalars(select(Customer)))
    assert customers and all(c.address.startswith(city[bureau_of[c.site_id]]) for c in customers)


async def test_no_demo_site_code_reads_as_the_start_of_an_order_number(session, seeded):
    patterns = set(
        await session.scalars(select(Category.number_pattern).where(Category.number_pattern != ""))
    )
    patterns |= {
        str((body or {}).get("number_pattern", ""))
        for body in await session.scalars(select(WorkflowDefinition.body))
    }
    leads = {p.split("{", 1)[0] for p in patterns} - {""}
    assert {"GZ", "TS", "ZX"} <= leads  # 故障, 投诉, 咨询
    assert [(code, lead) for code in seeded.sites for lead in leads if code.startswith(lead)] == []
