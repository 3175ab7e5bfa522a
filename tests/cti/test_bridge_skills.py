from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus


class RecordingCommands:
    def __init__(self):
        self.logins = []

    async def login(self, agent_id, seat, queues):
        self.logins.append((agent_id, seat, queues))
        return "ok"


async def test_login_signs_into_the_queue_of_each_skill_at_its_best_penalty():
    bridge = CtiBridge(
        CtiSettings(skill_queues={"general": "service", "power_fault": "fault", "billing": "service"}),
        InProcessBus(),
    )
    bridge.commands = RecordingCommands()
    await bridge.login("1001", "PJSIP/1001", {"general": 3, "billing": 1, "power_fault": 2, "vip": 0})
    # two skills on one queue take the lower penalty; an unmapped name is a queue name
    assert bridge.commands.logins == [("1001", "PJSIP/1001", {"service": 1, "fault": 2, "vip": 0})]
