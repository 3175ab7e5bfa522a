"""Passwords are hashed at argon2's production cost unless the test suite asks for its cheap one."""

import os
import subprocess
import sys
import threading

import pytest
from argon2 import Parameters, Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from ticketing import users
from ticketing.errors import PasswordRejected

PRODUCTION = Parameters(
    type=Type.ID,
    version=19,
    salt_len=RFC_9106_LOW_MEMORY.salt_len,
    hash_len=RFC_9106_LOW_MEMORY.hash_len,
    time_cost=3,
    memory_cost=65536,
    parallelism=4,
)


def test_without_the_tests_switch_passwords_get_argon2id_at_production_cost():
    assert extract_parameters(users.password_hasher({}).hash("secret123")) == PRODUCTION


def test_a_process_started_without_the_switch_hashes_at_production_cost():
    env = {k: v for k, v in os.environ.items() if k != users.CHEAP_HASH_FOR_TESTS}
    printed = subprocess.run(
        [sys.executable, "-c", "from ticketing import users; print(users.hash_password('secret123'))"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert extract_parameters(printed.strip()) == PRODUCTION


async def test_a_cheaply_hashed_password_is_rehashed_at_production_cost_on_sign_in(session, monkeypatch):
    user = await users.create_user(session, "1001", "李娜", "abc12345")
    assert extract_parameters(user.password_hash).memory_cost < PRODUCTION.memory_cost
    monkeypatch.setattr(users, "_hasher", users.password_hasher({}))
    assert (await users.verify_login(session, "1001", "abc12345")).ok
    assert extract_parameters(user.password_hash) == PRODUCTION


class _ThreadRecordingHasher:
    """The production hasher, noting which thread each hash and check ran on."""

    def __init__(self) -> None:
        self.real = users.password_hasher({})
        self.threads: list[int] = []

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        return self.real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.threads.append(threading.get_ident())
        return self.real.verify(password_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self.real.check_needs_rehash(password_hash)


async def test_argon2_runs_off_the_event_loop_so_a_sign_in_does_not_stall_the_calls(session, monkeypatch):
    """At production cost a hash or a check is 0.3-1 s on a busy machine: on the loop, every call
    event and screen-pop of the process would wait for each sign-in of a shift."""
    hasher = _ThreadRecordingHasher()
    monkeypatch.setattr(users, "_hasher", hasher)
    loop_thread = threading.get_ident()
    user = await users.create_user(session, "1001", "李娜", "abc12345", must_change_password=False)
    assert (await users.verify_login(session, "1001", "abc12345")).ok
    assert not (await users.verify_login(session, "1001", "wrong-one")).ok
    await users.set_password(session, user, "xyz98765", old_password="abc12345")
    with pytest.raises(PasswordRejected):
        await users.set_password(session, user, "abc12345", old_password="xyz98765")
    # create, sign-in, wrong sign-in, change (old, current, new hash), reuse (old, current, history)
    assert len(hasher.threads) >= 9
    assert loop_thread not in hasher.threads
