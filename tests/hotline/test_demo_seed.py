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
