"""The one event model: small frozen dataclasses, serialised as JSON.

Every state change in Hotline is an ``Event`` subclass. Subclasses register
themselves by class name (``Event.registry``), so a consumer in another process
can rebuild them from JSON. Packages define their own events next to the code
that publishes them (``ticketing`` defines ``TicketRouted`` …); the bus only
needs this base.

``seq`` and ``ts`` are assigned by the bus when the event is published; an
event built in code carries 0 for both until then. Subclasses are declared
with ``@event``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from cti.ami.speedups import chosen as chosen_speedups

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    seq: int = 0
    ts: float = 0.0

    registry: ClassVar[dict[str, type[Event]]] = {}
    #: ``Cls.make(**fields)``: ``Cls(**fields)``, built without a class call (see ``event``)
    make: ClassVar[Callable[..., Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls
        # ``make`` builds its own class only: a subclass has one once declared with ``@event``
        # (which sets it after this), never its parent's
        cls.make = staticmethod(_undeclared(cls))  # type: ignore[attr-defined]

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

    def stamped_in_place(self, seq: int, ts: float) -> Event:
        # For an event its publisher hands over and keeps no use for (the bridge's): the copy
        # ``stamped`` makes was a fifth of the bridge's work above its model. Still frozen to
        # everybody else; the bus writes these two fields once, before anyone else sees it.
        fields = self.__dict__
        fields["seq"] = seq
        fields["ts"] = ts
        return self

    def to_dict(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        body["event"] = self.name
        return body

    def to_json(self) -> bytes:
        return json.dumps(
            self.to_dict(), ensure_ascii=False, separators=(",", ":"), default=_jsonable
        ).encode()


def event(cls: type[E]) -> type[E]:
    """Declare an event class: a frozen, keyword-only dataclass built by writing its fields straight
    into the instance.

    A frozen dataclass's own ``__init__`` goes through ``object.__setattr__`` once per field,
    which made building an event four times the cost of a plain one (2.6 µs against 0.7 for a
    ``CallOffered``), and the bridge builds one for every five AMI events. The instance stays
    frozen: only ``__init__`` writes to it.
    """
    cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    cls.__init__ = _direct_init(cls)  # type: ignore[misc]
    cls.make = staticmethod(_maker(cls))  # type: ignore[attr-defined]
    return cls


def _maker(cls: type, speedups: bool | None = None) -> Callable[..., Any]:
    """The class's ``make``: ``_direct_init(cls, make=True)``, or with the C accelerator
    (``cti.ami.speedups``; ``speedups`` chooses) a ``_speedups.Maker`` that does the same without
    a Python frame (5,000 instructions for a ``CallAnswered`` in Python) and hands any call it
    does not take as is (an unknown, repeated or missing keyword) to the Python one.

    The C maker also takes an event whose fields are all plain values (str, numbers, None, tuples
    of them) out of the garbage collector's sight: it can be in no reference cycle, and the bus
    keeps 100,000 events, which every full collection walked.

    A class the C maker does not build (a ``__new__`` of its own, ``__slots__`` that leave it
    without the interpreter's managed ``__dict__``: its ``Maker`` refuses it with a
    ``TypeError``) keeps the Python ``make``, which builds the same event."""
    make = _direct_init(cls, make=True)
    c = chosen_speedups(speedups)
    if c is None or len(dataclasses.fields(cls)) > 64:
        return make
    return c_maker(c, cls, make)


def c_maker(c: Any, cls: type, fallback: Callable[..., Any]) -> Callable[..., Any]:
    """The accelerator ``c``'s ``Maker`` of the dataclass ``cls``: ``cls(**fields)`` stored as its
    ``__init__`` would (the fields' names, defaults and factories, its ``__post_init__``),
    handing any call it does not take to ``fallback``; ``fallback`` itself for a class the Maker
    refuses (``TypeError``: see ``_maker``; an older accelerator's, dict-backed classes only)."""
    fields = dataclasses.fields(cls)
    try:
        return c.Maker(  # type: ignore[no-any-return]
            cls,
            tuple(f.name for f in fields),
            tuple(f.default for f in fields),
            tuple(f.default_factory for f in fields),
            dataclasses.MISSING,
            hasattr(cls, "__post_init__"),
            fallback,
        )
    except TypeError:
        return fallback


def _direct_init(cls: type, make: bool = False) -> Callable[..., Any]:
    """The class's ``__init__``; with ``make``, its ``make``: the same, as a plain function that
    returns the new instance.

    ``Cls.make(**fields)`` is ``Cls(**fields)`` without calling the class: a class call turns the
    keywords into a dict and looks ``__init__`` up before running it, a third of the cost of
    building an event (7,800 instructions for a ``CallAnswered``, 5,000 through ``make``). The
    call model builds its events this way, one for every five AMI events.
    """
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__}: an event's fields are all set by its constructor")
    scope: dict[str, Any] = {"_FACTORY": _FACTORY}
    # The instance and its dict under names no field can have (a field may well be called "d").
    params, lines = [], ["    __fields = __event.__dict__"]
    for f in fields:
        if f.default is not dataclasses.MISSING:
            scope["_d_" + f.name] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            scope["_f_" + f.name] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            lines.append(f"    if {f.name} is _FACTORY: {f.name} = _f_{f.name}()")
        else:
            params.append(f.name)
        lines.append(f"    __fields[{f.name!r}] = {f.name}")
    if hasattr(cls, "__post_init__"):
        lines.append("    __event.__post_init__()")
    if make:
        scope["__cls"], scope["__new"] = cls, object.__new__
        source = f"def make(*, {', '.join(params)}):\n    __event = __new(__cls)\n" + "\n".join(lines)
        source += "\n    return __event"
    else:
        source = f"def __init__(__event, *, {', '.join(params)}):\n" + "\n".join(lines)
    exec(source, scope)  # noqa: S102 - built from the class's own field names, as dataclasses does
    init = scope["make" if make else "__init__"]
    init.__qualname__ = f"{cls.__qualname__}.{init.__name__}"
    return init  # type: ignore[no-any-return]


_FACTORY = object()  # a field with a default_factory that was not given


def _undeclared(cls: type) -> Callable[..., Any]:
    def make(**_fields: Any) -> Any:
        raise TypeError(f"{cls.__name__}.make: declare the class with @event")

    return make


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
