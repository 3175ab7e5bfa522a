"""CTI bridge: Asterisk, seen and steered from Python.

Owns the AMI client (our own asyncio framing, reconnect and resync), the model
that turns channels into calls, agents and queues, inbound routing, agent
commands, automatic recording, supervisor actions, and the one event model and
bus that every other package consumes.
"""

from cti.bus import Bus, Handler, InProcessBus, Subscription
from cti.events import Event, UnknownEventError, event_from_dict, event_from_json

__all__ = [
    "Bus",
    "Event",
    "Handler",
    "InProcessBus",
    "Subscription",
    "UnknownEventError",
    "event_from_dict",
    "event_from_json",
]
