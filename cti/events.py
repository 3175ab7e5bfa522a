"""The one event model: small frozen dataclasses, serialised as JSON.

Every state change in Hotline is an ``Event`` subclass. Subclasses register
themselves by class name (``Event.registry``), so a consumer in another process
can rebuild them from JSON. Packages define their own events next to the code
that publishes them (``ticketing`` defines ``TicketRouted`` …); the bus only
needs this base.

``seq`` and ``ts`` are assigned by the bus when the event is published; an
event built in code carries 0 for both until then.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    seq: int = 0
    ts: float = 0.0

    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls

    @property
    def name(self) -> str:
        return type(self).__name__

    def stamped(self, seq: int, ts: float | None = None) -> Event:
        # A copy with two fields changed. dataclasses.replace re-runs __init__ with
        # every field, which showed up as a fifth of the bridge's publishing cost;
        # copying the instance dict is the same result for these plain classes.
        copy = object.__new__(type(self))
        fields = copy.__dict__
        fields.update(self.__dict__)
        fields["seq"] = seq
        fields["ts"] = time.time() if ts is None else ts
        return copy

    def to_dict(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        body["event"] = self.name
        return body

    def to_json(self) -> bytes:
        return json.dumps(
            self.to_dict(), ensure_ascii=False, separators=(",", ":"), default=_jsonable
        ).encode()


class UnknownEventError(ValueError):
    """A serialised event names a type this process does not know."""


def event_from_dict(body: dict[str, Any]) -> Event:
    body = dict(body)
    name = body.pop("event", None)
    cls = Event.registry.get(name or "")
    if cls is None:
        raise UnknownEventError(f"unknown event type {name!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in body.items():
        if key in known:
            kwargs[key] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def event_from_json(raw: bytes | str) -> Event:
    return event_from_dict(json.loads(raw))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
