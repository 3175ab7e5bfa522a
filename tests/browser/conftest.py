"""Debian's Chromium driven by Playwright, against a console process on the real Asterisk."""

from __future__ import annotations

import contextlib
import functools
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.ami_line import AmiLine
from ticketing.demo import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
HOTLINE = str(Path(sys.executable).with_name("hotline"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


QUEUE = "ui-a"
PASSWORD = "secret123"
VIEWPORT = {"width": 1366, "height": 768}


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once a session: every module's agents have it."""
    from ticketing.users import hash_password

    return hash_password(PASSWORD)


async def _add_agents(url: str, staff_nos: tuple[str, ...]) -> None:
    from sqlalchemy import select

    from ticketing import users
    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Site

    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        hq = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        for staff_no in staff_nos:
            await users.create_user(
                db,
                staff_no,
                "测试坐席",
                PASSWORD,
                roles=["agent"],
                skills={QUEUE: 0},
                site_id=hq,
                must_change_password=False,
                password_hash=_password_hash(),
            )
    await engine.dispose()


def in_a_thread(coro, timeout: float = 60):
    """``asyncio.run(coro)`` beside the thread's loop: Playwright's sync API, once started (the
    package's browser), owns this thread's event loop. What ``coro`` returns, or what it raised."""
    import asyncio
    import threading

    failed: list[BaseException] = []
    done: list = []

    def run() -> None:
        try:
            done.append(asyncio.run(coro))
        except BaseException as exc:  # handed to the caller
            failed.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"not done within {timeout:g} s"
    if failed:
        raise failed[0]
    return done[0]


class ConsoleProcess:
    """``hotline serve`` as a child process that a story may kill and start again.

    Its own SQLite database (seeded with the 95598 workflows and the demo staff),
    its own HTTP and AGI ports, the real Asterisk, and one agent of ours whose
    seat is a simulated phone in the console's own queue.
    """

    def __init__(self, db: Path, port: int, agent: str) -> None:
        self.db, self.port, self.agent = db, port, agent
        self.colleague = str(int(agent) + 1)  # a second agent, for transfers
        self.proc: subprocess.Popen[str] | None = None
        self.log = db.with_suffix(".log")
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "HOTLINE_DATA_DIR": str(db.parent),
            "HOTLINE_HTTP_PORT": str(port),
            "HOTLINE_AGI_PORT": str(_free_port()),
            "HOTLINE_SECRET_KEY": "browser-story-secret",
            "HOTLINE_SEAT_PATTERN": "Local/{staff_no}@hotline-sim-phone/n",
            # campaigns may call at any hour of any day: the stories do not depend on the clock
            "HOTLINE_CAMPAIGN_CALENDAR": str(db.parent / "always-open.yaml"),
        }

    def prepare(self, template: Path) -> None:
        """The database: a copy of the session's seeded ``template``, and our two agents."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        Path(self.env["HOTLINE_CAMPAIGN_CALENDAR"]).write_text(
            "hours: {" + ", ".join(f'{d}: ["00:00-23:59"]' for d in days) + "}\n", encoding="utf-8"
        )
        shutil.copyfile(template, self.db)
        in_a_thread(_add_agents(self.env["HOTLINE_DATABASE_URL"], (self.agent, self.colleague)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [HOTLINE, "serve"],
            cwd=REPO,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"console exited:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("console did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """``hotline seed --demo`` (the 95598 workflows, the demo staff and customers) once a
    session, into a template each module's console copies: seeding costs seconds, a copy not."""
    folder = tmp_path_factory.mktemp("console-template")
    db = folder / "console.db"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "HOTLINE_DATA_DIR": str(folder),
        "HOTLINE_SECRET_KEY": "browser-story-secret",
    }
    subprocess.run(
        [HOTLINE, "seed", "--demo"], cwd=REPO, env=env, check=True, capture_output=True, timeout=300
    )
    # the seed's process has ended: its SQLite file is whole, no journal or WAL beside it
    assert sorted(p.name for p in folder.iterdir()) == ["console.db"], list(folder.iterdir())
    return db


@pytest.fixture(scope="module")
def console(asterisk, seeded_database, tmp_path_factory, request):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run deploy/system-deps.sh")
    import fcntl

    from tests.agent_ui.test_seat_asterisk import LOCK_PATH

    # the console's queue (ui-a) is shared with the seat stories of tests/agent_ui, here or in
    # another run on this machine: one at a time
    lock = open(LOCK_PATH, "w")  # noqa: SIM115 (held for the module)
    fcntl.flock(lock, fcntl.LOCK_EX)
    agent = f"6{random.randint(1000, 9998)}"
    server = ConsoleProcess(tmp_path_factory.mktemp("console") / "console.db", _free_port(), agent)
    # a module's ACW_SECONDS: its seats write up each call (话后处理) for that long at most
    server.env["HOTLINE_ACW_SECONDS"] = str(getattr(request.module, "ACW_SECONDS", 0))
    try:
        server.prepare(seeded_database)
        server.start()
        yield server
    finally:
        server.stop()
        # queue members outlive the console and Asterisk restarts: a demo run later would show
        # the stories' seats on its wallboard and in its agent report
        line = AmiLine(asterisk)
        try:
            line.clear_queue(QUEUE)
        finally:
            line.close()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture(scope="package")
def _chromium():
    """One Chromium for the package (launching it costs over a second a module); Playwright's
    loop goes with the package, before any other package's asyncio."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched: dict = {"playwright": p, "browser": None}
        yield launched
        if launched["browser"] is not None and launched["browser"].is_connected():
            launched["browser"].close()


@pytest.fixture(scope="module")
def browser(_chromium):
    """The package's Chromium (launched again if an earlier module lost it); each story opens its
    own contexts, and any a module leaves open are closed with it, as a browser of its own was."""
    chromium = _chromium["browser"]
    if chromium is None or not chromium.is_connected():
        chromium = _chromium["playwright"].chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        _chromium["browser"] = chromium
    yield chromium
    if chromium.is_connected():
        for ctx in list(chromium.contexts):
            ctx.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where the stories save their screenshots: docs/screenshots/ when asked for
    (``make screenshots``), else a temporary folder, so a test run leaves the tree clean."""
    if not os.environ.get("HOTLINE_SCREENSHOTS"):
        return tmp_path
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def sign_in(page, base: str, staff_no: str, password: str) -> None:
    """The sign-in form at ``base``/login filled in and sent (no wait for the page it leads to)."""
    page.goto(f"{base}/login")
    page.fill("#staff_no", staff_no)
    page.fill("#password", password)
    page.click("#login-submit")


@contextlib.contextmanager
def signed_in(
    browser,
    server,
    staff_no: str,
    password: str = DEMO_PASSWORD,
    *,
    errors: list[str] | None = None,
    **options,
):
    """A page of ``staff_no`` signed in at ``server.url`` (a ``ConsoleProcess`` or an in-process
    console), in a browser context of its own (``VIEWPORT``, zh-CN, or ``options``) closed after;
    the page signed in has left the sign-in form. No script error may happen on it: each is kept
    in ``errors`` (the story's own list, if it asserts it itself) and, when none was given, the
    page's errors must be none when the block ends."""
    context = browser.new_context(**{"viewport": VIEWPORT, "locale": "zh-CN", **options})
    checked = errors is None
    errors = [] if errors is None else errors
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, server.url, staff_no, password)
        page.wait_for_url(lambda url: "/login" not in url)
        yield page
        if checked:
            assert errors == []
    finally:
        context.close()


def put_in_inbox(console: ConsoleProcess, sender: str, text: str, staff_no: str = "") -> None:
    """An SMS that ticketing's intake assigned to ``staff_no`` (the console's agent by default),
    written straight into the console's database, as the SMS gateway's intake would."""
    in_a_thread(_put_in_inbox(console, sender, text, staff_no or console.agent))


async def _put_in_inbox(console: ConsoleProcess, sender: str, text: str, staff_no: str) -> None:
    import uuid

    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.intake import Intake, assign_to
    from ticketing.models import User

    engine = create_engine(console.env["HOTLINE_DATABASE_URL"])
    async with sessionmaker(engine).begin() as db:
        event = await Intake().receive(db, "sms", f"sms-{uuid.uuid4().hex}", sender=sender, content=text)
        agent = await db.scalar(select(User).where(User.staff_no == staff_no))
        await assign_to(db, None, event, agent)
    await engine.dispose()
