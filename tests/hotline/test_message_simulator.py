"""The demo's customers text and e-mail the hotline through the product's inbound paths
(hotline.simulator.MessageSimulator): the console's POST /api/sms/inbound with the demo's
generated secret, and the SMTP listener; both land as inbox events."""

from __future__ import annotations

import contextlib
import random
import socket

from sqlalchemy import select

import ticketing
from agent_ui import AppServices, create_app
from cti.bus import InProcessBus
from hotline.config import load_settings
from hotline.runtime import DEMO_MAIL_ADDRESS, DEMO_MAIL_PORT, demo_inbound, demo_messages
from hotline.simulator import MessageSimulator
from ticketing.inbound import MailHandler, MailListener
from ticketing.intake import Intake
from ticketing.models import Interaction


def test_the_demo_turns_both_inbound_paths_on_with_a_secret_of_its_own(tmp_path):
    settings = load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)})
    assert not settings.sms_inbound_secret and not settings.mail_listen_port  # off unless configured
    demo = demo_inbound(settings)
    assert (
        len(demo.sms_inbound_secret) >= 32
        and demo.sms_inbound_secret != demo_inbound(settings).sms_inbound_secret
    )
    assert demo.mail_listen_port and demo.mail_recipients == DEMO_MAIL_ADDRESS  # 2525 when free
    # a second demo on this machine (2525 taken): a free port of its own, not a failed start
    with socket.socket() as taken:
        with contextlib.suppress(OSError):  # taken already (a demo running here)
            taken.bind(("127.0.0.1", DEMO_MAIL_PORT))
            taken.listen()
        assert demo_inbound(settings).mail_listen_port not in (0, DEMO_MAIL_PORT)
    assert "sms_inbound_secret" not in repr(demo)  # never in a log line
    messages = demo_messages(demo, ["13800000001"])
    assert messages.sms_interval and messages.mail_interval
    assert messages.sms_url == f"http://127.0.0.1:{demo.http_port}/api/sms/inbound"
    assert messages.mail_to == DEMO_MAIL_ADDRESS
    # what an installation configured stays
    own = load_settings(
        env={
            "HOTLINE_DATA_DIR": str(tmp_path),
            "HOTLINE_SMS_INBOUND_SECRET": "configured",
            "HOTLINE_MAIL_LISTEN_PORT": "2626",
            "HOTLINE_MAIL_RECIPIENTS": "kefu@example.com",
        }
    )
    assert demo_inbound(own) == own


async def test_simulated_sms_and_email_reach_the_inbox_through_the_endpoint_and_the_listener(
    tmp_path, aiohttp_server
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}"
    engine = ticketing.create_engine(url)
    await ticketing.migrate(engine)
    sessions = ticketing.sessionmaker(engine)
    bus = InProcessBus()
    services = AppServices(
        bus=bus, sessionmaker=sessions, secret_key="k", cookie_secure=False, sms_inbound_secret="demo-secret"
    )
    server = await aiohttp_server(create_app(services))
    listener = MailListener(
        MailHandler(sessions, Intake(), bus, ["95598@hotline.demo"], tmp_path / "mail"), "127.0.0.1", 0
    )
    await listener.start()
    try:
        sim = MessageSimulator(
            ["13800000001"],
            sms_url=str(server.make_url("/api/sms/inbound")),
            sms_secret="demo-secret",
            sms_per_hour=6,
            mail_port=listener.port,
            mail_to="95598@hotline.demo",
            emails_per_hour=4,
            rng=random.Random(7),
        )
        await sim.send_sms()
        await sim.send_email()
        assert (sim.sms_sent, sim.emails_sent, sim.failed) == (1, 1, 0)
        async with sessions() as db:
            rows = {r.kind: r for r in await db.scalars(select(Interaction))}
        assert set(rows) == {"sms", "email"}
        assert rows["sms"].number == "13800000001" and rows["sms"].external_id.startswith("sim-")
        assert rows["email"].subject and rows["email"].content
        # a wrong secret is refused: counted as failed, nothing stored
        sim.sms_secret = "wrong"
        await sim.send_sms()
        assert sim.failed == 1
    finally:
        await listener.stop()
        await bus.close()
        await engine.dispose()
