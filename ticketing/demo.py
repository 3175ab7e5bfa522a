"""Demo data: sites, staff and N customers with Chinese names, addresses and phones.

Deterministic for a given ``seed`` so the demo, the tests and the benchmarks
see the same people. Customers are inserted in bulk (the benchmark asks for
hundreds of thousands).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import random
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import Crew, Customer, CustomerPhone, Site, User, utcnow
from ticketing.sites import create_department, create_site
from ticketing.users import create_user, hash_password

_BEIJING = ZoneInfo("Asia/Shanghai")  # the demo sites' zone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊帆帅旭宁欣怡佳琪子涵梓轩诗雨博文思远晨阳"


@dataclasses.dataclass(frozen=True)
class DemoBureau:
    """A demo 供电局: its city, its vehicles' plate prefix and its districts (code, name)."""

    city: str
    plate: str
    districts: tuple[tuple[str, str], ...]


#: The demo's bureaus and their districts, coded as Guangdong's utilities code their units: by
#: 行政区划代码 (GB/T 2260; 广州市 440100, its 天河区 440106). Letter codes read as something
#: else: 广州 was "GZ", the prefix of every 故障报修 number (GZ2026…, for 故障), so any fault
#: order looked like 广州's (QA 11). The first ``OUTLETS`` districts of each get a 供电所; the
#: demo's customers live in any of them.
BUREAUS = {
    "440100": DemoBureau(
        "广州市",
        "粤A",
        (
            ("440106", "天河区"),
            ("440104", "越秀区"),
            ("440105", "海珠区"),
            ("440103", "荔湾区"),
            ("440111", "白云区"),
            ("440113", "番禺区"),
        ),
    ),
    "440300": DemoBureau(
        "深圳市",
        "粤B",
        (
            ("440304", "福田区"),
            ("440303", "罗湖区"),
            ("440305", "南山区"),
            ("440306", "宝安区"),
            ("440307", "龙岗区"),
        ),
    ),
    "440600": DemoBureau("佛山市", "粤E", (("440604", "禅城区"), ("440605", "南海区"), ("440606", "顺德区"))),
}
OUTLETS = 2

ROADS = ["中山", "解放", "人民", "建设", "滨江", "天河", "东风", "环市", "新港", "工业", "花城", "科技园"]
DEMO_PASSWORD = "demo1234"
#: the demo staff's mail domain: reserved (RFC 2606), so no demo email can reach a real mailbox
DEMO_MAIL_DOMAIN = "hotline.example"


@dataclasses.dataclass
class DemoData:
    sites: dict[str, Site]
    users: dict[str, User]
    customer_count: int


@functools.cache
def _demo_hash() -> str:
    # argon2 is slow on purpose; the demo staff all share one password, so hash it once.
    return hash_password(DEMO_PASSWORD)


def demo_email(staff_no: str) -> str:
    return f"{staff_no}@{DEMO_MAIL_DOMAIN}"


def demo_staff_numbers() -> list[str]:
    """The 工号 seed_demo gives out: team leader, supervisor, admin, agents, two handlers per bureau."""
    handlers = [f"5{i}0{n}" for i in range(1, len(BUREAUS) + 1) for n in (1, 2)]
    return ["2001", "3001", "9001", *(f"100{n}" for n in range(1, 7)), *handlers]


async def add_demo_emails(session: AsyncSession) -> int:
    """Demo accounts seeded before they had addresses get theirs (``hotline demo`` runs this at
    every start, on a database it seeded earlier); an address set since is kept. Returns how
    many got one."""
    rows = await session.scalars(
        select(User).where(User.staff_no.in_(demo_staff_numbers()), User.email == "")
    )
    filled = 0
    for user in rows:
        user.email = demo_email(user.staff_no)
        filled += 1
    return filled


async def add_demo_crews(session: AsyncSession) -> int:
    """Two repair crews per demo bureau (抢修班组, picked at 派工): the bureau's own 抢修一队 and
    its first 供电所's 抢修班. Only into an empty register of a demo installation (``hotline
    demo`` runs this at every start, on a database seeded before crews existed). Returns how
    many were added."""
    if await session.scalar(select(Crew.id).limit(1)) is not None:
        return 0
    codes = [*BUREAUS, *(bureau.districts[0][0] for bureau in BUREAUS.values())]
    sites = {s.code: s for s in await session.scalars(select(Site).where(Site.code.in_(codes)))}
    added = 0
    for n, (code, bureau) in enumerate(BUREAUS.items(), 1):
        if code not in sites:
            continue
        outlet, district = bureau.districts[0]
        teams = [(sites[code], f"{bureau.city[:2]}抢修一队")]
        if outlet in sites:
            teams.append((sites[outlet], f"{district[:2]}抢修班"))
        for i, (site, name) in enumerate(teams, 1):
            session.add(
                Crew(
                    name=name,
                    leader=f"{SURNAMES[n * 3 + i]}班长",
                    phones=[f"136{n:02d}{i:02d}0000"],
                    members=[f"{SURNAMES[n * 7 + i + k]}{GIVEN[k]}" for k in range(3)],
                    vehicle=f"{bureau.plate}·Q{n}{i}{n}{i}{n}",
                    site_id=site.id,
                    sort=i,
                )
            )
            added += 1
    await session.flush()
    return added


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def seed_demo(
    session: AsyncSession, customers: int = 200, *, seed: int = 95598, orders: int = 0, notices: bool = True
) -> DemoData:
    """Sites (HQ + 3 bureaus + outlets), staff with demo passwords, ``customers`` customers,
    optionally ``orders`` fault orders at various steps and two current outage notices.
    Needs ``seed_defaults`` first (the workflows) when ``orders`` > 0."""
    rng = random.Random(seed)
    sites: dict[str, Site] = {}
    users: dict[str, User] = {}
    existing = await session.scalar(select(Site).where(Site.code == "HQ"))
    if existing is None:
        hq = sites["HQ"] = await create_site(session, "HQ", "省电力客户服务中心", kind="hq")
        for code, bureau in BUREAUS.items():
            parent = sites[code] = await create_site(
                session, code, f"{bureau.city}供电局", parent=hq, kind="bureau"
            )
            for outlet, district in bureau.districts[:OUTLETS]:
                sites[outlet] = await create_site(
                    session, outlet, f"{district}供电所", parent=parent, kind="outlet"
                )
        dept = await create_department(session, "CSC", "客户服务中心", site=hq)
        leader = users["2001"] = await create_user(
            session,
            "2001",
            "班长" + _name(rng),
            DEMO_PASSWORD,
            password_hash=_demo_hash(),
            roles=["team_leader"],
            site_id=hq.id,
            department_id=dept.id,
            must_change_password=False,
            phone="13900002001",
            email=demo_email("2001"),
        )
        dept.manager_id = leader.id
        users["3001"] = await create_user(
            session,
            "3001",
            "质检" + _name(rng),
            DEMO_PASSWORD,
            password_hash=_demo_hash(),
            roles=["supervisor"],
            site_id=hq.id,
            must_change_password=False,
            phone="13900003001",
            email=demo_email("3001"),
        )
        users["9001"] = await create_user(
            session,
            "9001",
            "管理员",
            DEMO_PASSWORD,
            password_hash=_demo_hash(),
            roles=["admin"],
            site_id=hq.id,
            must_change_password=False,
            email=demo_email("9001"),
        )
        for n in range(1, 7):
            staff = f"100{n}"
            users[staff] = await create_user(
                session,
                staff,
                _name(rng),
                DEMO_PASSWORD,
                password_hash=_demo_hash(),
                roles=["agent"],
                site_id=hq.id,
                department_id=dept.id,
                manager_id=leader.id,
                skills={"service": 1, "fault": 1 + n % 2, "complaint": 2},
                must_change_password=False,
                phone=f"1390000{staff}",
                email=demo_email(staff),
            )
        for code in BUREAUS:
            for n in range(1, 3):
                staff = f"5{list(BUREAUS).index(code) + 1}0{n}"
                users[staff] = await create_user(
                    session,
                    staff,
                    f"{sites[code].name[:2]}抢修{_name(rng)}",
                    DEMO_PASSWORD,
                    password_hash=_demo_hash(),
                    roles=["handler"],
                    site_id=sites[code].id,
                    must_change_password=False,
                    phone=f"1370000{staff}",
                    # the templates with audience: handler (a complaint's 处理 step) email them
                    email=demo_email(staff),
                )
    else:
        sites = {s.code: s for s in await session.scalars(select(Site))}
        users = {u.staff_no: u for u in await session.scalars(select(User))}
    count = await add_customers(session, customers, sites, rng)
    await session.flush()
    if notices and existing is None:
        await _demo_notices(session, sites, users)
    if orders:
        await add_fault_orders(session, orders, sites, users, rng)
    return DemoData(sites=sites, users=users, customer_count=count)


async def _demo_notices(session: AsyncSession, sites: dict[str, Site], users: dict[str, User]) -> None:
    from ticketing.knowledge import publish_notice

    now = utcnow().replace(minute=0, second=0, microsecond=0)
    await publish_notice(
        session,
        users["3001"],
        site_id=sites["440106"].id,  # 天河区供电所
        area="天河区中山路一带（1-200号）",
        affected_areas=[
            {"kind": "line", "name": "10kV 中山线", "code": ""},
            {"kind": "street", "name": "天河区中山路1-200号", "code": ""},
            {"kind": "district", "name": "天河区", "code": "440106"},
        ],
        reason="10kV线路计划检修",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=5),
    )
    await publish_notice(
        session,
        users["3001"],
        site_id=sites["440304"].id,  # 福田区供电所
        area="福田区滨江路沿线",
        affected_areas=[{"kind": "transformer_area", "name": "滨江路2号台区", "code": "44030402"}],
        reason="变压器故障抢修",
        starts_at=now,
        ends_at=now + dt.timedelta(hours=3),
    )


async def add_fault_orders(
    session: AsyncSession, n: int, sites: dict[str, Site], users: dict[str, User], rng: random.Random
) -> None:
    """``n`` fault orders for random demo customers, each moved a random number of steps along."""
    from ticketing.workflow.engine import create_order, submit_step

    agents = [u for u in users.values() if u.has_role("agent")]
    total = await session.scalar(select(func.count(Customer.id))) or 0
    # taken three hours ago and handled since: the crew's times are after the call and not ahead
    # of the clock, as the fault workflow asks (a day and a time, in Beijing's wall time)
    called = utcnow().replace(second=0, microsecond=0) - dt.timedelta(hours=3)

    def wall(minutes: int) -> str:
        return (called + dt.timedelta(minutes=minutes)).astimezone(_BEIJING).strftime("%Y-%m-%dT%H:%M")

    steps = [
        (10, {}),
        (30, {"抢修人员": "张师傅", "派工时间": wall(30), "车辆": "粤A·12345"}),
        (70, {"到达时间": wall(70), "产权": "供电公司"}),
        (120, {"完成时间": wall(120), "处理描述": "更换熔断器，恢复供电"}),
    ]
    for i in range(n):
        customer = (
            await session.scalar(select(Customer).offset(rng.randrange(total)).limit(1)) if total else None
        )
        bureau = rng.choice(list(BUREAUS))
        order = await create_order(
            session,
            rng.choice(agents),
            workflow="fault_repair",
            site_id=sites[bureau].id,
            customer_id=customer.id if customer else None,
            link_call=False,
            form={
                "故障名称": rng.choice(["家中停电", "整栋楼停电", "电压不稳", "表箱冒烟"]),
                "故障地址": customer.address if customer else "演示地址",
                "所属供电局": bureau,
                "需要回复客户": False,
                "客户描述故障信息": "客户来电报修",
            },
            title=f"演示工单{i + 1}",
            now=called,
        )
        handler = next(u for u in users.values() if u.has_role("handler") and u.site_id == sites[bureau].id)
        for minutes, form in steps[: rng.randrange(len(steps) + 1)]:
            await submit_step(session, handler, order, form=form, now=called + dt.timedelta(minutes=minutes))


async def add_customers(
    session: AsyncSession, n: int, sites: dict[str, Site], rng: random.Random, batch: int = 5000
) -> int:
    start = (await session.scalar(select(func.count(Customer.id)))) or 0
    outlets = [s for s in sites.values() if s.kind == "outlet"] or list(sites.values())
    done = 0
    while done < n:
        size = min(batch, n - done)
        rows, indexes = [], []
        for i in range(size):
            idx = start + done + i + 1
            site = outlets[idx % len(outlets)]
            city, districts = _home(site.code)
            road = (
                f"{rng.choice(ROADS)}路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}"
            )
            rows.append(
                {
                    "account_no": demo_account_no(idx),
                    "name": _name(rng),
                    "address": f"{city}{rng.choice(districts)}{road}",
                    "tier": "VIP" if idx % 50 == 0 else "普通",
                    "site_id": site.id,
                    "remark": "",
                }
            )
            indexes.append(idx)
        ids = list(
            await session.scalars(insert(Customer).returning(Customer.id, sort_by_parameter_order=True), rows)
        )
        phones = []
        for idx, cid in zip(indexes, ids, strict=True):
            phones.append({"customer_id": cid, "number": demo_phone(idx), "raw": "", "kind": "mobile"})
            if idx % 3 == 0:
                phones.append(
                    {"customer_id": cid, "number": demo_landline(idx), "raw": "", "kind": "landline"}
                )
        await session.execute(insert(CustomerPhone), phones)
        done += size
    return done


def _home(code: str) -> tuple[str, list[str]]:
    """The city and the districts a demo customer of site ``code`` (a bureau or one of its
    供电所) may live in; 广州's for a site the demo did not make."""
    for bureau_code, bureau in BUREAUS.items():
        if code == bureau_code or any(code == district for district, _ in bureau.districts):
            return bureau.city, [name for _, name in bureau.districts]
    return "广州市", ["天河区"]


def demo_account_no(index: int) -> str:
    """户号 of the ``index``-th demo customer (1-based)."""
    return f"{1000000000 + index}"


def demo_phone(index: int) -> str:
    """The (normalised) mobile number of the ``index``-th demo customer."""
    return f"13{index % 10}{index:08d}"


def demo_landline(index: int) -> str:
    """Every third demo customer also has a Guangzhou landline."""
    return f"020{80000000 + index % 20000000:08d}"
