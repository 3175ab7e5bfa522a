"""With several Asterisk servers each server's dialer settles at its start only the preview offers
of the agents whose seats are on its server (``campaigns.Dialer(serves=…)``), by the rule the
console routes an agent's 拨打 to a dialer: by 工号 or site, else the default server. A dialer
that settled every server's offers would hold the other servers' agents' offers beside their own
dialers, and withdraw one of them from under the call its agent placed through the other."""

from __future__ import annotations

from hotline.runtime import _server_names, _serves
from tests.hotline.test_config_servers import settings

SERVERS = "[{name: gz, ami_host: h1, agents: ['5100-5199']}, {name: sz, ami_host: h2, default: true, system_name: sz}]"


def test_each_servers_dialer_serves_the_seats_the_console_routes_to_it(tmp_path):
    s = settings(tmp_path, SERVERS)
    server_of = _server_names(s, None)
    gz, sz = _serves(s, server_of, "gz"), _serves(s, server_of, "sz")
    assert (gz("5150"), sz("5150")) == (True, False)
    # an agent no server lists is the default server's, as LocalDialers routes them
    assert (gz("1001"), sz("1001")) == (False, True)
