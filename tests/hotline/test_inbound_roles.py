"""The inbound paths wired into the roles (``hotline serve --role web,worker``) on real Redis
and PostgreSQL: the worker runs the SMTP listener when ``mail_listen_port`` is set (and none
when it is not), and an SMS the web process stores is assigned by the worker's intake, which
heard over the Redis bus that 1001 signed in. No Asterisk is touched (the AMI address is one
nobody listens on)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import smtplib
import socket
import time
import uuid
from email.message import EmailMessage

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from cti.call_events import AgentStateChanged
from cti.redis_bus import RedisBus
from hotline.config import ConfigError, Settings, load_settings
from hotline.runtime import parse_roles, serve
from ticketing.inbound import sms_signature
from ticketing.models import Interaction

REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def pg_url():
    name = f"hotline_inbound_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def redis_prefix():
    prefix = f"test:inbound:{uuid.uuid4().hex[:10]}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    yield prefix
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(settings: Settings, roles: str):
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, roles=parse_roles(roles)))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _until(condition, within: float = 20.0):
    deadline = time.monotonic() + within
    while not (value := await condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
    return value


ADDRESS = "95598@hotline.example"
SECRET = "inbound-roles-test-secret"


def _settings(tmp_path, pg_url, redis_prefix, **extra):
    return dataclasses.replace(
        load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)}),
        database_url=pg_url,
        bus_url=REDIS_URL,
        redis_prefix=redis_prefix,
        ami_port=_free_port(),
        http_port=_free_port(),
        **extra,
    )


def _mail(port: int) -> dict:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "wang@customer.example", ADDRESS, "电费疑问"
    msg["Message-ID"] = "<roles-1@customer.example>"
    msg.set_content("为什么这么贵")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
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

    mail_port = _free_port()
    settings = _settings(
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
            await _until(lambda: asyncio.to_thread(lambda: not _refused(mail_port)))
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

                assert await _until(posted) == 201

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

            assert await _until(assigned) == [
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
