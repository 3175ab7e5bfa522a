"""A queue of one name on several Asterisk servers: one wallboard row, their counters added up."""

from __future__ import annotations

from cti.call_events import AmiConnectionChanged, QueueUpdated
from cti.mirror import BridgeMirror

GZ, SZ = "10.1.0.10:5038", "10.2.0.10:5038"


def update(seq: int, server: str, waiting: int, longest: float, ready: int, answered: int, at: float):
    return QueueUpdated(
        seq=seq,
        ts=at,
        queue="95598-电费",
        waiting=waiting,
        longest_wait=longest,
        agents_ready=ready,
        agents_logged_in=ready + 1,
        answered=answered,
        server=server,
    )


def row(mirror: BridgeMirror) -> dict:
    (queue,) = mirror.queues()
    return queue


def test_the_row_of_a_queue_several_servers_have_adds_their_counters_up():
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    mirror.several_servers = True
    mirror.apply(AmiConnectionChanged(seq=1, connected=True, server=GZ))
    mirror.apply(AmiConnectionChanged(seq=2, connected=True, server=SZ))
    mirror.apply(update(3, GZ, waiting=2, longest=30.0, ready=1, answered=10, at=1000.0))
    mirror.apply(update(4, SZ, waiting=1, longest=5.0, ready=3, answered=7, at=1020.0))
    queue = row(mirror)
    assert (queue["agents_ready"], queue["agents_logged_in"], queue["answered"]) == (4, 6, 17)
    assert queue["waiting"] == 3
    # gz's longest waiter has waited 20 s more since gz said 30 s
    assert mirror.summed_queue(update(5, SZ, 1, 6.0, 3, 7, at=1021.0))["longest_wait"] == 51.0

    # sz's bridge lost Asterisk: its last counters no longer count
    mirror.apply(AmiConnectionChanged(seq=6, connected=False, server=SZ))
    mirror.apply(update(7, GZ, waiting=1, longest=2.0, ready=1, answered=11, at=1030.0))
    assert (row(mirror)["waiting"], row(mirror)["answered"]) == (1, 11)
    assert mirror.summed_queue(update(8, GZ, 1, 2.0, 1, 11, at=1031.0)) is None


def test_one_server_the_latest_update_is_the_row_as_before():
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    mirror.apply(
        update(1, "", waiting=2, longest=30.0, ready=1, answered=10, at=1000.0)
    )  # a bridge of before
    mirror.apply(update(2, GZ, waiting=1, longest=5.0, ready=3, answered=7, at=1010.0))
    assert (row(mirror)["waiting"], row(mirror)["answered"]) == (1, 7)
    mirror.several_servers = True  # a bridge of before and a new one are one server, never summed
    mirror.apply(update(3, GZ, waiting=4, longest=5.0, ready=3, answered=8, at=1011.0))
    assert (row(mirror)["waiting"], row(mirror)["answered"]) == (4, 8)
