"""The crew register as each demo account may read it (``crews.visible``): 5101 (广州) and 5201
(深圳) their own bureau's crews, as they see only their bureau's orders; agent 1001 of the 95598
centre and admin 9001 every bureau's, as they see every order."""

from ticketing import crews
from ticketing.demo import add_demo_crews
from ticketing.directory import load


async def test_each_demo_account_reads_the_crews_of_the_orders_it_sees(session, seeded):
    assert await add_demo_crews(session) == 6
    u = seeded.users
    known = await load(session)

    async def names(staff_no: str) -> list[str]:
        return [c.name for c in await crews.visible(session, u[staff_no], active_only=True)]

    everyone = ["广州抢修一队", "深圳抢修一队", "佛山抢修一队", "天河抢修班", "福田抢修班", "禅城抢修班"]
    assert sorted(await names("9001")) == sorted(everyone)
    assert sorted(await names("1001")) == sorted(everyone)
    assert sorted(await names("5101")) == ["天河抢修班", "广州抢修一队"]
    assert sorted(await names("5201")) == ["深圳抢修一队", "福田抢修班"]
    # the same reach as their orders: 5201 sees no Guangzhou order, 1001 every bureau's
    gz = seeded.sites["440106"].id
    assert not known.covers(u["5201"].id, gz) and known.covers(u["1001"].id, gz)
    assert known.covers(u["5101"].id, gz)
