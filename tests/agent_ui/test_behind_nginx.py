"""The console behind deploy/nginx/hotline.conf, run by a real nginx: TLS, sign-in with the
session cookie marked Secure, the websocket through the proxy (its Origin check sees the
browser's host and port), a cross-site websocket still refused, and plain HTTP sent to HTTPS.

nginx's binary comes unpacked from Debian's package (deploy/system-deps.sh, run by
``make test``); the file under test is the one operators copy, with only its ports, upstream
and certificate rewritten for the test."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from agent_ui import create_app
from tests.agent_ui.conftest import PASSWORD

REPO = Path(__file__).resolve().parents[2]
NGINX = Path("/var/lib/hotline/nginx/usr/sbin/nginx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _site_config(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/hotline.conf with the test's ports, upstream and certificate."""
    conf = (REPO / "deploy/nginx/hotline.conf").read_text()
    upstream = re.search(r"upstream hotline_web \{.*?\n\}", conf, re.S)
    assert upstream, "hotline.conf has no upstream hotline_web"
    conf = conf.replace(
        upstream.group(0), f"upstream hotline_web {{\n    server 127.0.0.1:{app_port};\n    keepalive 32;\n}}"
    )
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/hotline/fullchain.pem", str(cert)),
        ("/etc/ssl/hotline/privkey.pem", str(key)),
    ):
        assert old in conf, f"hotline.conf no longer has {old!r}"
        conf = conf.replace(old, new)
    return conf


def _prepare(tmp_path: Path, app_port: int) -> tuple[int, int]:
    """A self-signed certificate and nginx's files in ``tmp_path``: (http port, https port)."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: run `make setup` (deploy/system-deps.sh unpacks it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    http_port, https_port = _free_port(), _free_port()
    (tmp_path / "hotline.conf").write_text(_site_config(app_port, http_port, https_port, cert, key))
    (tmp_path / "nginx.conf").write_text(
        "daemon off;\nuser root;\nworker_processes 1;\npid nginx.pid;\nerror_log error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n  access_log off;\n  client_body_temp_path body;\n  proxy_temp_path proxy;\n"
        "  fastcgi_temp_path fastcgi;\n  uwsgi_temp_path uwsgi;\n  scgi_temp_path scgi;\n"
        "  include hotline.conf;\n}\n"
    )
    return http_port, https_port


@pytest.fixture
async def behind_nginx(world, tmp_path):
    """The console on a loopback port (Secure cookies, as HOTLINE_COOKIE_SECURE=yes sets them)
    and nginx in front of it: yields (https base, http base)."""
    world.services.cookie_secure = True
    runner = web.AppRunner(create_app(world.services))
    await runner.setup()
    app_port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", app_port).start()
    http_port, https_port = await asyncio.to_thread(_prepare, tmp_path, app_port)
    nginx = await asyncio.create_subprocess_exec(
        str(NGINX),
        "-p",
        str(tmp_path),
        "-c",
        str(tmp_path / "nginx.conf"),
        "-e",
        str(tmp_path / "error.log"),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(100):  # until it listens
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", https_port)
                writer.close()
                break
            except OSError:
                if nginx.returncode is not None:
                    pytest.fail(f"nginx refused the configuration: {(await nginx.stderr.read()).decode()}")
                await asyncio.sleep(0.05)
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}"
    finally:
        if nginx.returncode is None:
            nginx.terminate()
        await nginx.wait()
        await runner.cleanup()


async def test_the_console_signs_in_and_keeps_its_websocket_through_nginx(behind_nginx):
    base, plain = behind_nginx
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address
    async with aiohttp.ClientSession(cookie_jar=jar, connector=aiohttp.TCPConnector(ssl=insecure)) as http:
        moved = await http.get(f"{plain}/login", allow_redirects=False)
        assert moved.status == 301 and moved.headers["Location"].startswith("https://")

        state = await (await http.get(f"{base}/api/session")).json()
        signed_in = await http.post(
            f"{base}/api/session",
            json={"staff_no": "1001", "password": PASSWORD},
            headers={"X-CSRF-Token": state["csrf"]},
        )
        assert signed_in.status == 200, await signed_in.text()
        cookie = next(v for k, v in signed_in.headers.items() if k.lower() == "set-cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie

        async with http.ws_connect(f"{base.replace('https', 'wss')}/ws", origin=base) as ws:
            first = await ws.receive_json(timeout=10)
            assert first["type"] == "snapshot" and first["user"]["staff_no"] == "1001"
            await ws.send_json({"id": 1, "cmd": "ping"})
            answer = await ws.receive_json(timeout=10)
            assert (answer["type"], answer["id"]) == ("ack", 1)

        # another site's page may not open the agent's socket, proxy or not
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with http.ws_connect(f"{base.replace('https', 'wss')}/ws", origin="https://evil.example"):
                pass
        assert refused.value.status == 403
