"""CTI bridge: Asterisk, seen and steered from Python.

Owns the AMI client (our own asyncio framing, reconnect and resync), the model
that turns channels into calls, agents and queues, inbound routing, agent
commands, automatic recording, supervisor actions, and the one event model and
bus that every other package consumes.
"""

# The bridge's public surface (after the bus: the bridge module imports it).
from cti.bridge import CtiBridge, CtiSettings, CustomerLookup  # noqa: E402
from cti.bus import Bus, Handler, InProcessBus, Subscription
from cti.commands import REASONS as COMMAND_REFUSALS  # noqa: E402
from cti.commands import CommandResult  # noqa: E402
from cti.events import Event, UnknownEventError, event_from_dict, event_from_json
from cti.redis_bus import RedisBus  # noqa: E402
from cti.remote import RemoteBridge  # noqa: E402

__all__ = [
    "COMMAND_REFUSALS",
    "Bus",
    "CommandResult",
    "CtiBridge",
    "CtiSettings",
    "CustomerLookup",
    "RedisBus",
    "RemoteBridge",
    "Event",
    "Handler",
    "InProcessBus",
    "Subscription",
    "UnknownEventError",
    "event_from_dict",
    "event_from_json",
]
