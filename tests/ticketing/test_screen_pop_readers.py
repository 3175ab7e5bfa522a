"""The SQLite screen-pop's reader threads: answers, failures, pops given up on, closing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from ticketing.screen_pop import SQLITE_READERS, _SqliteReaders


@pytest.fixture
def readers(tmp_path):
    path = tmp_path / "pop.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (n INTEGER)")
        con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    r = _SqliteReaders(str(path))
    yield r
    r.close()


def total(con: sqlite3.Connection, above: int) -> int:
    return con.execute("SELECT sum(n) FROM t WHERE n > ?", (above,)).fetchone()[0]


async def test_pops_come_back_in_parallel_and_a_failure_is_its_own(readers):
    barrier = threading.Barrier(SQLITE_READERS, timeout=5)

    def together(con, above):  # returns only when every reader holds a pop at once
        barrier.wait()
        return total(con, above)

    answers = await asyncio.gather(*(readers.run(together, a) for a in range(SQLITE_READERS)))
    assert answers == [total_of(a) for a in range(SQLITE_READERS)]
    with pytest.raises(sqlite3.OperationalError):
        await readers.run(lambda con, _: con.execute("SELECT nothing FROM nowhere"), None)
    assert await readers.run(total, 7) == 17  # the reader that failed goes on


def total_of(above: int) -> int:
    return sum(n for n in range(10) if n > above)


async def test_a_pop_given_up_on_is_dropped_and_the_others_answered(readers):
    release = threading.Event()

    def slow(con, above):
        release.wait(5)
        return total(con, above)

    abandoned = readers.run(slow, 0)
    abandoned.cancel()
    waiting = readers.run(total, 8)
    release.set()
    assert await waiting == 9
    await asyncio.sleep(0.05)  # the abandoned one's answer arrives for nobody, quietly
    assert abandoned.cancelled()


async def test_closing_ends_the_threads(readers):
    await readers.run(total, 0)
    threads = list(readers._threads)
    assert len(threads) == SQLITE_READERS
    readers.close()
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
