"""QA: the 新工单 pop-up named the order's status, not the step it reached: a fault order 转派 at
派工 popped 新工单 GZ…（接收确认）已流转给您, 接收确认 being 派工's status (the step before's name).
``TicketRouted`` carries the step reached by name (``step``), which the pop-up names (alerts.js);
its status stays as it was."""

from tests.ticketing.conftest import gz_fault_order
from ticketing import approve
from ticketing.events import TicketRouted, pending_events
from ticketing.workflow.actions import forward


def _routed(session) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.step, e.status, e.handlers) for e in pending_events(session) if isinstance(e, TicketRouted)]


async def test_the_routed_event_names_the_step_reached(sm, seeded):
    u = seeded.users
    async with sm() as db:
        order = await gz_fault_order(db, seeded)
        # 受理 sent on: 接收确认 (its status 已流转) reached 广州's handlers
        assert _routed(db) == [("接收确认", "已流转", ("5101", "5102"))]
        await approve(db, u["5101"], order, opinion="收到")  # to 派工, 5101's own: no pop-up
        await forward(db, u["5101"], order, u["5102"], opinion="我在外地，转给你")
        assert _routed(db)[1:] == [("派工", "接收确认", ("5102",))]
