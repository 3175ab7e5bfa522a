"""Seats routed to Asterisk servers by their users' sites (asterisk_servers' ``sites``)."""

from __future__ import annotations

import pytest

from hotline.config import ConfigError, load_settings
from hotline.seat_sites import SeatSites
from ticketing import users
from ticketing.db import create_engine, migrate, sessionmaker
from ticketing.sites import create_site

BY_SITE = """
- {name: gz, ami_host: 10.1.0.10, sites: [440100], agents: ["1001"], system_name: gz}
- {name: sz, ami_host: 10.2.0.10, sites: ["440300"], system_name: sz}
- {name: hq, ami_host: 10.0.0.10, default: true}
"""


def settings(tmp_path, servers: str = BY_SITE):
    return load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_ASTERISK_SERVERS": servers})


async def test_each_user_is_routed_by_the_nearest_site_a_server_lists(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'sites.db'}")
    await migrate(engine)
    sessions = sessionmaker(engine)
    async with sessions.begin() as db:
        hq = await create_site(db, "HQ", "省客服中心", kind="hq")
        gz = await create_site(db, "440100", "广州供电局", parent=hq, kind="bureau")
        outlet = await create_site(db, "440106", "天河供电所", parent=gz, kind="outlet")
        sz = await create_site(db, "440300", "深圳供电局", parent=hq, kind="bureau")
        for staff_no, site in (("5101", outlet), ("5201", sz), ("3001", hq), ("1001", sz)):
            await users.create_user(
                db, staff_no, f"坐席{staff_no}", "secret123", roles=["agent"], site_id=site.id
            )
    seat_sites = SeatSites(sessions)
    await seat_sites.load()
    await engine.dispose()
    assert seat_sites.sites_of("5101") == ("440106", "440100", "HQ")
    s = settings(tmp_path)

    def server(agent: str) -> str:
        return s.server_of(agent, seat_sites.sites_of(agent)).name

    assert server("5101") == "gz"  # an outlet of the Guangzhou bureau: the bureau's server
    assert server("5201") == "sz"
    assert server("3001") == "hq"  # no server lists HQ: the default one
    assert server("1001") == "gz"  # a 工号 a server lists wins over the site
    assert server("7777") == "hq"  # nobody the database knows: the default


def test_a_site_two_servers_list_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="site 440100 is listed by a and b"):
        settings(
            tmp_path,
            "[{name: a, ami_host: h, sites: [440100]}, {name: b, ami_host: i, sites: [440100, 440300], system_name: b}]",
        )


def test_a_lone_site_or_agent_may_be_written_as_digits(tmp_path):
    """A site's 行政区划代码 (or a 工号) alone, unquoted, is what YAML reads as a number: it is
    that code, as in a list (it was iterated as a number and failed with a TypeError)."""
    s = settings(
        tmp_path,
        "[{name: sz, ami_host: h, sites: 440300, agents: 1001, system_name: sz}, {name: hq, ami_host: i, default: true}]",
    )
    assert (s.servers[0].sites, s.servers[0].agents) == (("440300",), ("1001",))
    assert s.server_of("5201", ("440304", "440300", "HQ")).name == "sz"
    with pytest.raises(ConfigError, match="sites lists codes"):
        settings(tmp_path, "[{name: sz, ami_host: h, sites: {深圳: 440300}}]")
