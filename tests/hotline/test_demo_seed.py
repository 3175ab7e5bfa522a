"""``hotline demo`` seeds its world once; a database seeded by an older demo, whose staff had no
email addresses, gets them at the next start (the handlers' email templates need a recipient)."""

from __future__ import annotations

from sqlalchemy import select, update

import ticketing
from hotline.runtime import _seed
from ticketing.models import User


async def test_a_demo_seeded_before_staff_had_addresses_gets_them_at_the_next_start(tmp_path):
    engine = ticketing.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    sessions = ticketing.sessionmaker(engine)
    try:
        await ticketing.migrate(engine)
        await _seed(sessions, demo=True)
        async with sessions.begin() as session:  # as the demo seeded it before
            await session.execute(update(User).values(email=""))
        await _seed(sessions, demo=True)
        async with sessions() as session:
            emails = {u.staff_no: u.email for u in await session.scalars(select(User))}
    finally:
        await engine.dispose()
    assert emails["5101"] == "5101@hotline.example" and emails["5201"] == "5201@hotline.example"
    assert all(email.endswith("@hotline.example") for email in emails.values())


async def test_the_demo_phones_of_those_who_listen_to_calls_hold_the_line(tmp_path):
    """监听 rings the supervisor's own seat: in the demo that is a simulated phone, which hung up
    after 3 s (ending every spy by itself) unless told to hold; the supervisor is told, an
    agent's, the team leader's (班长 do not listen: calls.supervise) and a disabled supervisor's
    phones are not."""
    from hotline.runtime import demo_listeners

    engine = ticketing.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    sessions = ticketing.sessionmaker(engine)
    try:
        await ticketing.migrate(engine)
        await _seed(sessions, demo=True)
        async with sessions() as session:
            seeded = await demo_listeners(session)
        async with sessions.begin() as session:
            await session.execute(update(User).where(User.staff_no == "3001").values(active=False))
        async with sessions() as session:
            after_disable = await demo_listeners(session)
            roles_of = {u.staff_no: u.roles for u in await session.scalars(select(User))}
    finally:
        await engine.dispose()
    assert "3001" in seeded and "2001" not in seeded, seeded
    assert "1001" not in seeded and "9001" not in seeded  # an agent; an admin has no seat
    assert all("supervisor" in roles_of[s] for s in seeded), seeded
    assert "3001" not in after_disable
