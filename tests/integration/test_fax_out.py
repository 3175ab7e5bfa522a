"""A fax from the outbox through the real Asterisk: our Asterisk faxes itself. The number
is a simulated customer fax machine (hotline-sim-fax, ReceiveFAX into a test folder); the
Dispatcher originates it through hotline-fax-out / hotline-fax-send (SendFAX, audio T.30
over Local channels) and records the outcome on the notification. One page: about 20 s."""

from __future__ import annotations

import functools
import random
import shutil
import uuid

from PIL import Image, ImageSequence

import ticketing
from cti.ami.client import AmiClient
from cti.fax import FaxSender
from recordings import RecordingStore, fax_out
from ticketing.models import Notification
from ticketing.notify import AsteriskFaxGateway, Dispatcher, send_message


async def test_a_queued_fax_is_received_by_the_far_machine_and_marked_sent(asterisk, tmp_path):
    engine = ticketing.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fax.db'}")
    await ticketing.migrate(engine)
    sessions = ticketing.sessionmaker(engine)
    # the far machine's folder, inside the chroot, writable by Asterisk's user; our documents
    # beside it (ids start at 1 in every test database: the shared fax/hotline-out is not ours)
    inbox = f"/var/spool/asterisk/fax/hotline-test-{uuid.uuid4().hex[:8]}"
    asterisk.host_path(inbox).mkdir(parents=True)
    asterisk.host_path(inbox).chmod(0o777)
    store = RecordingStore(asterisk.root, {"fax_out": f"{inbox}/out"})
    number = (
        f"6688{random.randint(1000, 9999)}{random.randint(1, 9)}"  # not ending in 0: that one never answers
    )
    ami = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret, events="user")
    await ami.start()
    try:
        await ami.wait_connected()
        await ami.action("DBPut", Family="hotline-sim", Key=f"fax-{number}", Val=inbox)

        document = fax_out.prepare(
            store, title="停电通知", text="2026-11-26 09:00 至 13:00，中关村大街 1-50 号停电检修。"
        )
        async with sessions.begin() as db:
            row = await send_message(db, None, "fax", number, "停电通知", "中关村大街", pages=document.pages)
            fax_out.place(store, document, row.id, row.created_at)
        gateway = AsteriskFaxGateway(FaxSender(ami), functools.partial(fax_out.document_paths, store))

        assert await Dispatcher(sessions, fax=gateway).deliver_pending() == (1, 0)

        async with sessions() as db:
            sent = await db.get(Notification, row.id)
        assert (sent.state, sent.pages, sent.attempts, sent.error) == ("sent", 1, 1, "")
        received = asterisk.host_path(f"{inbox}/{number}.tif")
        with Image.open(received) as image:
            pages = [frame.convert("L") for frame in ImageSequence.Iterator(image)]
        assert len(pages) == 1 and pages[0].width == 1728
        assert 0 < pages[0].histogram()[0] < pages[0].width * pages[0].height // 4  # the text, on white paper
    finally:
        await ami.action("DBDel", Family="hotline-sim", Key=f"fax-{number}")
        await ami.stop()
        await engine.dispose()
        shutil.rmtree(asterisk.host_path(inbox), ignore_errors=True)


async def test_a_number_that_does_not_answer_is_put_back_for_a_retry(asterisk, tmp_path):
    engine = ticketing.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fax.db'}")
    await ticketing.migrate(engine)
    sessions = ticketing.sessionmaker(engine)
    folder = f"/var/spool/asterisk/fax/hotline-test-{uuid.uuid4().hex[:8]}"
    store = RecordingStore(asterisk.root, {"fax_out": folder})
    ami = AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret, events="user")
    await ami.start()
    try:
        await ami.wait_connected()
        document = fax_out.prepare(store, text="催费通知")
        async with sessions.begin() as db:
            row = await send_message(db, None, "fax", "66880000", "", "催费通知", pages=document.pages)
            fax_out.place(store, document, row.id, row.created_at)
        # hotline-sim-customer never answers a number ending in 0; ring it for 2 s only
        gateway = AsteriskFaxGateway(
            FaxSender(ami, ring_seconds=2), functools.partial(fax_out.document_paths, store)
        )

        assert await Dispatcher(sessions, fax=gateway).deliver_pending() == (0, 0)

        async with sessions() as db:
            again = await db.get(Notification, row.id)
        assert (again.state, again.attempts, again.error) == ("pending", 1, "fax to 66880000: NOANSWER")
        assert again.retry_at is not None
    finally:
        await ami.stop()
        await engine.dispose()
        shutil.rmtree(asterisk.host_path(folder), ignore_errors=True)
