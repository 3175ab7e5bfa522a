"""Simulated callers for the demo: real calls through the real Asterisk.

Each simulated call is an ``Originate`` of a Local channel into the
``hotline-inbound`` context (the same path a SIP trunk call takes), with a
caller number drawn from the demo customers (and some unknown numbers), and a
patience after which the caller hangs up if nobody answered.

The 95598 line answers with the IVR's main menu (deploy/ivr.yaml), which takes
longer to hear out than most callers wait, so callers do what real ones do:
most press a key for what they want while the menu plays (an agent, a fault, a
complaint, outage information), a few listen to the end, and now and then one
presses 4, 故障报修留言, and leaves a recorded message (``CALLER_INTENTS``): the
IVR's ``report_fault`` records it and publishes a ``VoicemailReceived``, which
ticketing turns into a voicemail event in an agent's inbox with its fault order.

With ``faxes_per_hour`` (and a ``recordings`` store to put the page where
Asterisk reads it) a customer's fax machine calls the fax line (``fax_number``,
routing's ``target: fax``) now and then: the hotline's own ``hotline-fax-send``
half sends a one-page TIFF by SendFAX into ``hotline-inbound``, whose
``hotline-fax-in`` receives it by ReceiveFAX and announces it (``HotlineFax``),
so the fax reaches the inbox as a real one does.

Customers write too (``MessageSimulator``): now and then one texts the hotline, through the
product's inbound SMS endpoint as the SMS gateway delivers it (POST /api/sms/inbound, signed
with the demo's generated ``sms_inbound_secret``), or e-mails it, through the SMTP listener
the MTA would hand the mail to (``mail_listen_port``, ``mail_recipients``); both reach an
agent's inbox as real ones do. Web messages (客户留言) have no inbound path in the product and
are left out rather than written past it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import smtplib
import time
import uuid
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiohttp

from cti.ami import AmiClient, AmiError
from recordings import RecordingStore

log = logging.getLogger(__name__)


#: What callers press at the main menu, and how many in twenty-one do (w: half a second's pause):
#: 0 an agent (queue service), 6 then 1 a fault (queue fault), 5 a complaint (queue complaint),
#: 1 outage information (self-service), nothing (the menu's time-outs queue them, if they wait),
#: 4 故障报修留言: a recorded message (``LEAVES_A_MESSAGE``), a voicemail event in the inbox.
CALLER_INTENTS: tuple[tuple[str, int], ...] = (
    ("0", 10),
    ("6ww1", 4),
    ("5", 2),
    ("1", 2),
    ("", 2),
    ("4", 1),
)
#: the keys of a caller who leaves a message, and how long they speak (seconds after the key,
#: the IVR's prompt included): the message ends when they hang up, as a real one's does
LEAVES_A_MESSAGE = "4"
MESSAGE_SECONDS = (10, 20)
#: the 95598 fax line (deploy/routing.yaml: ``target: fax``)
FAX_NUMBER = "95598009"
#: where the simulated customers' fax page lives, as Asterisk sees it
SIM_FAX_PAGE = "/var/spool/asterisk/fax/hotline-sim/customer-page.tif"


class CallerSimulator:
    def __init__(
        self,
        ami: AmiClient,
        numbers: Sequence[str],
        *,
        dnis: Sequence[str] = ("95598",),
        calls_per_minute: float = 6.0,
        patience: tuple[int, int] = (20, 90),
        unknown_share: float = 0.2,
        intents: Sequence[tuple[str, int]] = CALLER_INTENTS,
        key_delay: tuple[int, int] = (2, 8),
        variables: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        faxes_per_hour: float = 0.0,
        fax_number: str = FAX_NUMBER,
        recordings: RecordingStore | None = None,
    ) -> None:
        """``patience``: seconds a caller stays after pressing their key; ``key_delay``: seconds
        into the call when they press it; ``variables``: channel variables for every call;
        ``faxes_per_hour``: faxes sent to ``fax_number`` (0: none; needs ``recordings``, the
        store whose Asterisk reads the page)."""
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        if faxes_per_hour < 0 or (faxes_per_hour and recordings is None):
            raise ValueError("faxes need a rate of at least 0 and the recordings store")
        if any(weight < 0 for _, weight in intents) or sum(weight for _, weight in intents) <= 0:
            raise ValueError("intents need a positive weight in all")
        self.ami = ami
        self.numbers = list(numbers)
        self.dnis = list(dnis)
        self.interval = 60.0 / calls_per_minute
        self.patience = patience
        self.unknown_share = unknown_share
        self.keys = [keys for keys, _ in intents]
        self.weights = [weight for _, weight in intents]
        self.key_delay = key_delay
        self.variables = dict(variables or {})
        self.rng = rng or random.Random()
        self.placed = 0
        self.failed = 0
        self.fax_interval = 3600.0 / faxes_per_hour if faxes_per_hour else 0.0
        self.fax_number = fax_number
        self.recordings = recordings
        self.faxes_sent = 0
        self._fax_ids = itertools.count(1)

    def _caller(self) -> str:
        if not self.numbers or self.rng.random() < self.unknown_share:
            return "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))
        return self.rng.choice(self.numbers)

    def next_call(self) -> dict[str, str]:
        number = self._caller()
        keys = self.rng.choices(self.keys, self.weights)[0]
        variables = {
            **self.variables,
            "SIM_DTMF": keys,
            "SIM_DTMF_DELAY": str(self.rng.randint(*self.key_delay)),
        }
        # one who leaves a message speaks for a while and hangs up (the message is what was
        # recorded until then); the others wait as long as their patience lasts
        stay = MESSAGE_SECONDS if keys == LEAVES_A_MESSAGE else self.patience
        return {
            "Channel": f"Local/{self.rng.choice(self.dnis)}@hotline-inbound/n",
            "Context": "hotline-sim-dtmf-caller",
            "Exten": str(self.rng.randint(*stay)),
            "Priority": "1",
            "CallerID": f'"" <{number}>',
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "true",
        }

    async def place_one(self) -> None:
        try:
            await self.ami.action("Originate", **self.next_call())
            self.placed += 1
        except AmiError as exc:
            self.failed += 1
            log.warning("simulated call not placed: %s", exc)

    def fax_page(self) -> str:
        """The one-page fax the simulated customers send, written once (blocking: a thread);
        returns its path as Asterisk sees it."""
        from recordings import fax_out

        assert self.recordings is not None
        path = Path(self.recordings.host_path(SIM_FAX_PAGE))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            page = fax_out.render_text(
                "故障报修（传真）",
                "我单位配电房今日上午起停电，请尽快派人抢修。联系人：王先生。",
            )
            partial = path.with_suffix(".part.tif")
            fax_out.write_tiff(page, partial)
            partial.replace(path)
        return SIM_FAX_PAGE

    def next_fax(self, page: str) -> dict[str, str]:
        """A customer's fax machine calling the fax line: the ``hotline-inbound`` half is the
        hotline receiving (routing's ``target: fax``: ReceiveFAX), the other half sends ``page``
        with the product's own SendFAX context. Its ``HotlineFaxOut`` report names a fax id no
        outbox fax has (``sim-…``), which the fax sender ignores."""
        variables = {**self.variables, "FAXFILE": page, "FAXID": f"sim-{next(self._fax_ids)}"}
        return {
            "Channel": f"Local/{self.fax_number}@hotline-inbound/n",
            "Context": "hotline-fax-send",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f'"" <{self._caller()}>',
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "true",
        }

    async def send_fax(self) -> None:
        try:
            page = await asyncio.to_thread(self.fax_page)
            await self.ami.action("Originate", **self.next_fax(page))
            self.faxes_sent += 1
        except (AmiError, OSError) as exc:
            self.failed += 1
            log.warning("simulated fax not sent: %s", exc)

    async def run(self) -> None:
        """Place calls with exponential gaps (a Poisson arrival process) until cancelled, and
        send faxes the same way at their own, lower, rate."""
        if not self.fax_interval:
            await self._calls()
            return
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._calls())
            tasks.create_task(self._faxes())

    async def _calls(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.interval))
            if self.ami.connected:
                await self.place_one()

    async def _faxes(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.fax_interval))
            if self.ami.connected:
                await self.send_fax()


#: what the simulated customers text and e-mail the hotline
SMS_TEXTS = (
    "家里停电了，请尽快派人来看看。",
    "请问明天上午计划停电几点恢复？",
    "电费账单比上月高很多，麻烦核实，谢谢。",
    "小区路灯坏了好几天了，请安排维修。",
    "已缴费但仍显示欠费，请帮忙查询。",
)
EMAILS = (
    ("电费疑问", "您好：\n本月电费明显偏高，户号见附件截图，请核实后回电。\n谢谢！"),
    ("申请增容", "您好：\n我公司计划增加用电容量，请告知办理流程和所需材料。"),
    ("表扬信", "贵单位抢修人员昨晚冒雨抢修，服务周到，特此表扬。"),
)


def local_host(host: str) -> str:
    """Where a process on this machine reaches a server listening on ``host``."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


class MessageSimulator:
    """Customers' SMS and e-mails for the demo, through the product's inbound paths: the
    SMS endpoint (``sms_url``, signed with ``sms_secret``) and the SMTP listener
    (``mail_host``:``mail_port``, to ``mail_to``). ``None`` rates: that kind is not sent."""

    def __init__(
        self,
        numbers: Sequence[str],
        *,
        sms_url: str = "",
        sms_secret: str = "",
        sms_per_hour: float = 0.0,
        mail_host: str = "127.0.0.1",
        mail_port: int = 0,
        mail_to: str = "",
        emails_per_hour: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        if sms_per_hour < 0 or emails_per_hour < 0:
            raise ValueError("message rates must be at least 0")
        if sms_per_hour and not (sms_url and sms_secret):
            raise ValueError("SMS need the endpoint and its secret")
        if emails_per_hour and not (mail_port and mail_to):
            raise ValueError("e-mails need the listener's port and the hotline's address")
        self.numbers = list(numbers) or ["13800000000"]
        self.sms_url, self.sms_secret = sms_url, sms_secret
        self.mail_host, self.mail_port, self.mail_to = local_host(mail_host), mail_port, mail_to
        self.sms_interval = 3600.0 / sms_per_hour if sms_per_hour else 0.0
        self.mail_interval = 3600.0 / emails_per_hour if emails_per_hour else 0.0
        self.rng = rng or random.Random()
        self.sms_sent = 0
        self.emails_sent = 0
        self.failed = 0

    def next_sms(self) -> bytes:
        """One customer's SMS as the gateway posts it (JSON body)."""
        return json.dumps(
            {
                "message_id": f"sim-{uuid.uuid4().hex}",
                "from": self.rng.choice(self.numbers),
                "to": "95598",
                "text": self.rng.choice(SMS_TEXTS),
                "received_at": time.time(),
            },
            ensure_ascii=False,
        ).encode()

    async def send_sms(self) -> None:
        from ticketing.inbound import SIGNATURE_HEADER, sms_signature

        body = self.next_sms()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sms_signature(self.sms_secret, body)}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                async with http.post(self.sms_url, data=body, headers=headers) as resp:
                    if resp.status not in (200, 201):
                        raise aiohttp.ClientResponseError(
                            resp.request_info, (), status=resp.status, message=(await resp.text())[:200]
                        )
            self.sms_sent += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.failed += 1
            log.warning("simulated SMS not delivered: %s", exc)

    def next_email(self) -> EmailMessage:
        subject, text = self.rng.choice(EMAILS)
        msg = EmailMessage()
        msg["From"] = f"customer{self.rng.randint(100, 999)}@example.com"
        msg["To"] = self.mail_to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="customer.example")
        msg["Date"] = formatdate(localtime=True)
        msg.set_content(text)
        return msg

    def _deliver(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.mail_host, self.mail_port, timeout=10) as smtp:
            smtp.send_message(msg)

    async def send_email(self) -> None:
        try:
            await asyncio.to_thread(self._deliver, self.next_email())
            self.emails_sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            self.failed += 1
            log.warning("simulated e-mail not delivered: %s", exc)

    async def run(self) -> None:
        """Send each kind with exponential gaps (a Poisson process) until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            if self.sms_interval:
                tasks.create_task(self._every(self.sms_interval, self.send_sms))
            if self.mail_interval:
                tasks.create_task(self._every(self.mail_interval, self.send_email))

    async def _every(self, interval: float, send) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / interval))
            await send()


#: what the demo's SMS gateway reports of the SMS the hotline sends, in a hundred: most arrive,
#: some fail with a carrier's code, a few expire (a phone off for days)
SMS_OUTCOMES: tuple[tuple[str, str, int], ...] = (
    ("delivered", "", 88),
    ("failed", "UNDELIV", 5),
    ("failed", "MK:0001", 3),
    ("expired", "", 4),
)


class SmsGatewaySimulator:
    """The demo's outbound SMS gateway: takes the hotline's SMS as ``HttpSmsGateway`` posts them
    (``url``), answers each with a message id, and a few seconds later reports it to the
    console's ``status_url`` (POST /api/sms/status) signed with ``secret``, as a real gateway's
    状态报告 does: delivered, failed with a code, or expired (``SMS_OUTCOMES``). A report the
    console cannot take yet (it is starting) is tried again a few times."""

    def __init__(
        self,
        status_url: str,
        secret: str,
        *,
        host: str = "127.0.0.1",
        delay: tuple[float, float] = (2.0, 8.0),
        rng: random.Random | None = None,
    ) -> None:
        self.status_url, self.secret, self.host, self.delay = status_url, secret, host, delay
        self.rng = rng or random.Random()
        self.url = ""
        self.sent: list[dict] = []  # what it was given: {to, text, message_id}
        self.reported: list[tuple[str, str]] = []  # (message id, status) the console took
        self._runner: aiohttp.web.AppRunner | None = None
        self._reports: set[asyncio.Task] = set()

    async def start(self) -> str:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/sms", self._take)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}/sms"
        log.info("demo SMS gateway on %s, reporting to %s", self.url, self.status_url)
        return self.url

    async def settle(self) -> None:
        """Until the reports under way have been sent (or given up)."""
        while self._reports:
            await asyncio.gather(*self._reports, return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._reports):
            task.cancel()
        await asyncio.gather(*self._reports, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _take(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        from aiohttp import web

        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"code": 400, "message": "not JSON"}, status=400)
        message_id = f"simgw-{uuid.uuid4().hex[:16]}"
        self.sent.append({"to": body.get("to"), "text": body.get("text"), "message_id": message_id})
        # decided as it is taken: the reports may then come in any order
        task = asyncio.create_task(self._report_later(message_id, *self.outcome()))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)
        return web.json_response({"code": 0, "message_id": message_id})

    def outcome(self) -> tuple[str, str]:
        ((status, reason, _),) = self.rng.choices(SMS_OUTCOMES, weights=[w for *_, w in SMS_OUTCOMES])
        return status, reason

    async def _report_later(self, message_id: str, status: str, reason: str) -> None:
        from ticketing.inbound import SIGNATURE_HEADER, sms_signature

        await asyncio.sleep(self.rng.uniform(*self.delay))
        body = json.dumps(
            {"message_id": message_id, "status": status, "reason": reason, "reported_at": time.time()}
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sms_signature(self.secret, body)}
        for attempt in range(5):
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                    async with http.post(self.status_url, data=body, headers=headers) as resp:
                        # 404: the dispatcher has not written the id down yet; the console keeps
                        # the report and applies it then, so it is not sent again
                        if resp.status in (200, 404):
                            self.reported.append((message_id, status))
                            return
                        log.warning("demo SMS report of %s refused: %s", message_id, resp.status)
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.info("demo SMS report of %s not taken yet (%s), again shortly", message_id, exc)
            await asyncio.sleep(2.0 * (attempt + 1))
