"""A fax from the outbox through the real Asterisk that does not get through: the number does
not answer, and the Dispatcher puts the fax back for a retry.

The fax that does get through (the Dispatcher originates it through hotline-fax-out /
hotline-fax-send, SendFAX over Local channels, into a simulated customer fax machine,
hotline-sim-fax, which receives the page; the outbox row marked sent at the first try, with its
page) is tests/browser/test_fax.py's story: the same send through the console's own dispatcher,
sent from an order's fax dialog. A T.30 page takes about 18 s; the suite sends one."""

from __future__ import annotations

import functools
import shutil
import uuid

import ticketing
from cti.ami.client import AmiClient
from cti.fax import FaxSender
from recordings import RecordingStore, fax_out
from ticketing.models import Notification
from ticketing.notify import AsteriskFaxGateway, Dispatcher, send_message


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
