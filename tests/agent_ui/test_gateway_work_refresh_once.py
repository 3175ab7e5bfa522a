"""A tab's state-bar counts (``work_refresh``) are read once for a burst of changes: a 批量关闭 of
1000 未分派事件 announces each event (``AsyncEventHandled``), and each queued a refresh of its
own, 1000 reads of the counts for the supervisor's tab (or a queue overflow and a resync). One
waiting in the queue stands for those after it: it reads the counts when it goes out, after
every change so far; once it has gone, the next change queues one again."""

from __future__ import annotations

from agent_ui import gateway as gw
from agent_ui import roles
from agent_ui.auth import CurrentUser
from tests.agent_ui.test_gateway import _Wire


class _Socket:
    closed = False


def _queued(client: gw.Client) -> list:
    found = []
    while not client.queue.empty():
        found.append(client.queue.get_nowait())
    return found


def test_a_burst_of_changes_queues_one_count_refresh_and_keeps_every_message():
    log: list = []
    user = CurrentUser(id=1, staff_no="4001", name="质检员", roles=(roles.SUPERVISOR,))
    client = gw.Client(_Socket(), _Wire(log, 1), user, "zh")  # type: ignore[arg-type]
    inbox = [gw.SharedMessage({"type": "inbox", "event": {"interaction_id": n}}) for n in range(200)]
    for message in inbox:
        client.send(message)
        client.send(gw._WORK)
    assert len(log) == 1  # the first written directly; the rest queue behind the refresh
    queued = _queued(client)
    assert [m for m in queued if m is gw._WORK] == [gw._WORK]
    assert [m for m in queued if m is not gw._WORK] == inbox[1:]  # every inbox message, in order

    # the writer took it (``Gateway._write``): a change after that is read by a refresh of its own
    client.work_queued = False
    client.send(gw._WORK)
    assert _queued(client) == [gw._WORK]
