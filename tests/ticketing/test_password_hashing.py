"""Passwords are hashed at argon2's production cost unless the test suite asks for its cheap one."""

import os
import subprocess
import sys

from argon2 import Parameters, Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from ticketing import users

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
