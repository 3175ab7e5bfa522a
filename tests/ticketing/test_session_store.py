"""The console's server-side sessions (agent_ui.auth.SessionStore) on both databases: a row per
sign-in holding the id's digest only, revoked for good at sign-out, ended by the idle and
absolute timeouts, and the ended rows of a user cleared when they sign in again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from agent_ui.auth import SessionStore, session_digest
from ticketing.models.org import UserSession
from ticketing.users import create_user


async def test_sessions_are_revoked_and_time_out_on_both_databases(sm, session):
    user = await create_user(session, "1001", "李娜", "abc12345")
    await session.commit()
    store = SessionStore(sm, idle_seconds=3600, absolute_seconds=4 * 3600, check_seconds=0)
    start = dt.datetime.now(dt.UTC)
    clock = {"now": start}
    store.clock = lambda: clock["now"]

    signed_out = await store.open(user.id)
    digest = session_digest(signed_out)
    async with sm() as db:
        row = await db.get(UserSession, digest)
        assert row is not None and row.user_id == user.id  # the digest is kept, never the id
        assert await db.get(UserSession, signed_out) is None
    assert await store.alive(digest, user.id)
    assert not await store.alive(digest, user.id + 1)  # another user's cookie cannot name it
    await store.revoke(digest)
    assert not await store.alive(digest, user.id)

    used = session_digest(await store.open(user.id))
    idle = session_digest(await store.open(user.id))
    for minutes in (50, 100, 150, 200):  # used within every hour
        clock["now"] = start + dt.timedelta(minutes=minutes)
        assert await store.alive(used, user.id)
    assert not await store.alive(idle, user.id)  # unused for more than an hour
    clock["now"] = start + dt.timedelta(minutes=241)
    assert not await store.alive(used, user.id)  # four hours after signing in, however active

    await store.open(user.id)  # signing in again clears the ended ones
    async with sm() as db:
        assert await db.scalar(select(func.count()).select_from(UserSession)) == 1


async def test_the_sockets_check_and_a_password_changes_revocation_on_both_databases(sm, session):
    """``ended_among`` (the gateway's check of its sockets: one query, no touch) and
    ``revoke_user`` (a password change: the user's other sessions) on both databases."""
    user = await create_user(session, "1001", "李娜", "abc12345")
    other = await create_user(session, "1002", "王芳", "abc12345")
    await session.commit()
    store = SessionStore(sm, idle_seconds=3600, absolute_seconds=4 * 3600, check_seconds=0)
    start = dt.datetime.now(dt.UTC)
    clock = {"now": start}
    store.clock = lambda: clock["now"]
    kept, revoked, idle = [session_digest(await store.open(user.id)) for _ in range(3)]
    elsewhere = session_digest(await store.open(other.id))

    clock["now"] = start + dt.timedelta(minutes=50)
    assert await store.alive(kept, user.id)
    assert await store.alive(revoked, user.id)
    assert await store.alive(elsewhere, other.id)
    sockets = {kept: user.id, revoked: user.id, idle: user.id, elsewhere: other.id, "gone": user.id}
    clock["now"] = start + dt.timedelta(minutes=70)  # idle unused for more than an hour
    assert await store.ended_among(sockets) == {idle, "gone"}
    async with sm() as db:  # the check is no activity: last_seen_at stays where the requests left it
        row = await db.get(UserSession, kept)
        assert row is not None and row.last_seen_at < start + dt.timedelta(minutes=51)

    async with sm.begin() as db:
        ended = await store.revoke_user(db, user.id, keep=kept)
    assert sorted(ended) == sorted([revoked, idle])
    assert await store.ended_among(sockets) == {revoked, idle, "gone"}
    assert await store.alive(kept, user.id) and await store.alive(elsewhere, other.id)
