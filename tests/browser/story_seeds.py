"""What the in-process browser stories seed (``seeded_console`` runs a story's seed before the
console starts): the demo's database, a fault order on it, and the visit-back stories' orders.

``demo_database`` is the start every such seed shared: a new database brought up to date with the
default categories and workflows and the demo's users, sites and customers, in one transaction
the story adds its own rows in::

    async def _seed(url: str, numbers: dict[str, str]) -> None:
        async with demo_database(url) as demo:
            numbers["order"] = (await demo.fault_order()).number

The imports sit in the functions, as in the stories' own seeds: ticketing is imported only once
tests/conftest.py has set the test environment (cheap password hashes)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
LEADER = "2001"  # the demo's 班长
CALLER = "13800001111"


@dataclasses.dataclass
class DemoDatabase:
    """The demo database's open transaction, its users by 工号 and its sites by code."""

    db: Any  # AsyncSession
    users: dict[str, Any]
    sites: dict[str, Any]

    async def fault_order(
        self,
        *,
        by: str = "1001",
        site: str = "440100",
        address: str = "天河路1号",
        form: Mapping[str, Any] | None = None,
        caller_number: str = "",
        now: dt.datetime | None = None,
    ):
        """A 故障报修 order ``by`` (an agent's 工号) registered for ``site`` (its 所属供电局 too) at
        ``address``, ``form``'s fields added: on to 接收确认, the site's handlers' step."""
        from ticketing import create_order

        return await create_order(
            self.db,
            self.users[by],
            workflow="fault_repair",
            site_id=self.sites[site].id,
            now=now,
            form={"故障地址": address, "所属供电局": site, **(form or {})},
            caller_number=caller_number,
        )

    async def consult_order(self, answer: str, *, by: str = "1001", site: str = "440100", **create: Any):
        """A 信息咨询 order ``by`` (an agent's 工号) registered for ``site``, from the story's
        ``CALLER``: 咨询内容 峰谷电价何时执行, 答复内容 ``answer`` (``create``: create_order's other
        keywords, e.g. ``submit=False`` to keep it at its 受理)."""
        from ticketing import create_order

        return await create_order(
            self.db,
            self.users[by],
            workflow="consult",
            site_id=self.sites[site].id,
            form={"咨询内容": "峰谷电价何时执行", "答复内容": answer},
            caller_number=CALLER,
            **create,
        )

    async def order_at_dispatch(
        self, now: dt.datetime, *, handler: str = "5101", site: str = "440106", **order: Any
    ):
        """A fault order registered for ``site`` at ``now`` (``order``: fault_order's address,
        form, caller_number) and taken by ``handler`` five minutes later: at 派工."""
        from ticketing import submit_step

        taken = await self.fault_order(site=site, now=now, **order)
        await submit_step(self.db, self.users[handler], taken, now=now + dt.timedelta(minutes=5))
        return taken


@contextlib.asynccontextmanager
async def demo_database(url: str, customers: int = 5, *, crews: bool = False) -> AsyncIterator[DemoDatabase]:
    """The database at ``url`` migrated and seeded (default categories and workflows, the demo's
    users, sites and ``customers`` customers, and with ``crews`` the demo's 抢修班组); the block's
    rows are committed with them, and the engine is disposed after."""
    from sqlalchemy import select

    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import add_demo_crews, seed_demo
    from ticketing.models import Site, User
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    try:
        await migrate(engine)
        async with sessionmaker(engine).begin() as db:
            await seed_defaults(db)
            await seed_demo(db, customers=customers)
            if crews:
                await add_demo_crews(db)
            users = {u.staff_no: u for u in await db.scalars(select(User))}
            sites = {s.code: s for s in await db.scalars(select(Site))}
            yield DemoDatabase(db, users, sites)
    finally:
        await engine.dispose()


async def demo_only(url: str, customers: int = 5) -> None:
    """The demo database and no rows of a story's own (``demo_database``'s block left empty): the
    seed of the stories that work on the demo's users, sites and customers alone, passed to
    ``seeded_console`` with ``customers``."""
    async with demo_database(url, customers):
        pass


def wall_time(moment: dt.datetime) -> str:
    """``moment`` as a datetime-local input holds it: Shanghai's wall time, to the minute."""
    return moment.astimezone(SH).strftime("%Y-%m-%dT%H:%M")


async def visit_back_orders(url: str, numbers: dict[str, str]) -> None:
    """The visit-back stories' database: two fault orders 5101 repaired, ``visit`` at the team
    leader's 满意度回访 step and ``closed`` 强制归档 there with its survey still to take, and
    ``review``, a complaint waiting for the team leader's 报事审核; in ``numbers`` their numbers
    and the crew's ``dispatched`` and ``done`` times as typed at each step."""
    from ticketing import create_order, submit_step
    from ticketing.workflow.actions import force_archive

    async with demo_database(url) as demo:
        db, users = demo.db, demo.users
        now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=4)
        for name in ("visit", "closed"):
            order = await demo.fault_order(now=now, caller_number=CALLER)
            # the crew's times as typed at each step: after the call, not ahead of the clock
            numbers["dispatched"], arrived, numbers["done"] = (
                wall_time(now + dt.timedelta(minutes=m)) for m in (20, 50, 120)
            )
            for minutes, form in (
                (10, {}),
                (20, {"抢修人员": "张师傅", "派工时间": numbers["dispatched"]}),
                (50, {"到达时间": arrived, "产权": "客户"}),
                (120, {"完成时间": numbers["done"], "处理描述": "换了保险丝"}),
            ):
                await submit_step(
                    db, users["5101"], order, form=form, now=now + dt.timedelta(minutes=minutes)
                )
            if name == "closed":
                # 强制归档 at the visit step with its level typed: closed, its survey still to take
                order.form = {**order.form, "回访满意度": "满意"}
                await force_archive(
                    db, users["3001"], order, opinion="客户联系不上", now=now + dt.timedelta(hours=3)
                )
            numbers[name] = order.number
        # a complaint 1001 registered, waiting for the team leader's 报事审核
        complaint = await create_order(
            db,
            users["1001"],
            workflow="complaint",
            site_id=demo.sites["440100"].id,
            now=now,
            form={
                "类别1": "一类",
                "所属区域": "440100",
                "标题": "服务态度",
                "投诉内容": "营业员态度差",
                "严重程度": "一般",
            },
            caller_number="13800002222",
        )
        numbers["review"] = complaint.number


async def sms_order(demo: DemoDatabase, texts: Mapping[str, str], *, to: str = "13800138000"):
    """A fault order 1001 registered for 广州 (440100) and, on it, one SMS to ``to`` sent through the gateway
    for each of ``texts``' gateway ids (its body the text), as the SMS stories' delivery reports
    find them; the order and the SMS's ids by gateway id."""
    from ticketing.models import Notification

    order = await demo.fault_order()
    ids = {}
    for gateway_id, text in texts.items():
        row = Notification(
            channel="sms",
            recipient=to,
            order_id=order.id,
            body=text,
            state="sent",
            gateway_id=gateway_id,
            user_id=demo.users["1001"].id,
        )
        demo.db.add(row)
        await demo.db.flush()
        ids[gateway_id] = row.id
    return order, ids


@contextlib.asynccontextmanager
async def sessions_on(url: str) -> AsyncIterator[Any]:
    """A sessionmaker on the database at ``url``, for what a seed does after its rows are
    committed (a gateway's delivery report, a purge); the engine is disposed after."""
    from ticketing.db import create_engine, sessionmaker

    engine = create_engine(url)
    try:
        yield sessionmaker(engine)
    finally:
        await engine.dispose()


async def take_reports(url: str, *reports: Any) -> None:
    """The SMS gateway's ``reports`` (DeliveryReport) taken one after another, each in its own
    transaction, as the gateway's callback takes them."""
    from ticketing.sms_status import take_report

    async with sessions_on(url) as sessions:
        for report in reports:
            await take_report(sessions, None, report)
