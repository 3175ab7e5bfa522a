"""The inbound paths wired into the roles (``hotline serve --role web,worker``) on real Redis
and PostgreSQL: the worker runs the SMTP listener when ``mail_listen_port`` is set (and none
when it is not), and an SMS the web process stores is assigned by the worker's intake, which
heard over the Redis bus that 1001 signed in. No Asterisk is touched (the AMI address is one
nobody listens on)."""

from __future__ import annotations

import asyncio
import json
import smtplib
from email.message import EmailMessage

import aiohttp
import pytest
from sqlalchemy import select

from cti.call_events import AgentStateChanged
from cti.redis_bus import RedisBus
from hotline.config import ConfigError, load_settings
from tests.hotline.conftest import REDIS_URL, free_port, role_settings, serving, until
from ticketing.inbound import sms_signature
from ticketing.models import Interaction

ADDRESS = "95598@hotline.example"
SECRET = "inbound-roles-test-secret"


def _mail(port: int) -> dict:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "wang@customer.example", ADDRESS, "电费疑问"
    msg["Message-ID"] = "<roles-1@customer.example>"
    msg.set_content("为什么这么贵")
    # the worker stores the mail before it answers: at load 15 that took more than 10 s
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.send_message(msg)


def _refused(port: int) -> bool:
    try:
        smtplib.SMTP("127.0.0.1", port, timeout=3).quit()
    except OSError:
        return True
    return False


async def test_the_worker_runs_the_mail_listener_and_assigns_what_the_web_took_in(
    tmp_path, pg_url, redis_prefix
):
    import ticketing
    from ticketing import users

    mail_port = free_port()
    settings = role_settings(
        tmp_path,
        pg_url,
        redis_prefix,
        mail_listen_port=mail_port,
        mail_recipients=ADDRESS,
        sms_inbound_secret=SECRET,
    )
    await ticketing.migrate(pg_url)
    engine = ticketing.create_engine(pg_url)
    sessions = ticketing.sessionmaker(engine)
    async with sessions.begin() as db:
        agent = await users.create_user(
            db, "1001", "王坐席", "secret123", roles=["agent"], skills={"service": 0}
        )
        agent_id = agent.id
    bus = RedisBus(REDIS_URL, stream=f"{redis_prefix}:events")
    try:
        async with serving(settings, "web,worker"):
            await bus.publish(
                AgentStateChanged(
                    agent_id="1001", state="ready", previous="logged_out", seconds_in_previous=0
                )
            )
            # the listener is the worker's, on the configured port
            await until(lambda: asyncio.to_thread(lambda: not _refused(mail_port)))
            assert await asyncio.to_thread(_mail, mail_port) == {}
            body = json.dumps({"message_id": "gw-roles-1", "from": "13100000481", "text": "请回电"}).encode()
            url = f"http://127.0.0.1:{settings.http_port}/api/sms/inbound"
            headers = {"Content-Type": "application/json", "X-Hotline-Signature": sms_signature(SECRET, body)}
            async with aiohttp.ClientSession() as http:

                async def posted() -> int | None:
                    try:
                        async with http.post(url, data=body, headers=headers) as resp:
                            return resp.status if resp.status in (200, 201) else None
                    except aiohttp.ClientError:
                        return None

                assert await until(posted) == 201

            async def assigned() -> list[tuple[str, str, int | None]]:
                async with sessions() as db:
                    rows = list(
                        await db.scalars(
                            select(Interaction)
                            .where(Interaction.kind.in_(["sms", "email"]))
                            .order_by(Interaction.kind)
                        )
                    )
                if len(rows) == 2 and all(r.status == "assigned" for r in rows):
                    return [(r.kind, r.external_id, r.assigned_to_id) for r in rows]
                return []

            assert await until(assigned) == [
                ("email", "roles-1@customer.example", agent_id),
                ("sms", "gw-roles-1", agent_id),
            ]
        assert await asyncio.to_thread(_refused, mail_port)  # stopped with the worker
    finally:
        await bus.close()
        await engine.dispose()


def test_the_mail_listener_is_off_by_default_and_needs_its_addresses(tmp_path):
    assert load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)}).mail_listen_port == 0
    with pytest.raises(ConfigError, match="mail_recipients"):
        load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_MAIL_LISTEN_PORT": "2525"})
    settings = load_settings(
        env={
            "HOTLINE_DATA_DIR": str(tmp_path),
            "HOTLINE_MAIL_LISTEN_PORT": "2525",
            "HOTLINE_MAIL_RECIPIENTS": "95598@Hotline.example, kefu@hotline.example",
        }
    )
    assert settings.mail_addresses == {"95598@hotline.example", "kefu@hotline.example"}
