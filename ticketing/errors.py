"""Named errors with stable ``error_id`` strings the console translates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ticketing.blanks import trim

if TYPE_CHECKING:
    from ticketing.models import User


class TicketingError(Exception):
    error_id = "ticketing_error"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.error_id)
        self.details = details


class NotFound(TicketingError):
    error_id = "not_found"


class Forbidden(TicketingError):
    """The user's role or data scope does not allow this."""

    error_id = "forbidden"


def require_admin(actor: User | None, to: str) -> None:
    """Configuration is for admins: raise ``Forbidden`` ("only admins may <to>") for anyone else.

    ``actor`` None is the system itself (seeding, migrations, imports), which may.
    """
    if actor is not None and not actor.has_role("admin"):
        raise Forbidden(f"only admins may {to}", role="admin")


class ActionRefused(TicketingError):
    """The action is not possible in the order's current state (the reason is in ``error_id``)."""

    def __init__(self, error_id: str, message: str = "", **details: object) -> None:
        super().__init__(message or error_id, **details)
        self.error_id = error_id


class Problem(str):
    """A field's problem id with the values its words name (``field_before_earlier``: the time
    it must not precede, 到达时间 2026-11-29 17:20). It is the id wherever problems are compared,
    ordered or sent (a ``str``), so the paths that pass ``problems`` along need not know of it;
    ``FieldErrors`` hands its values on as ``details["problem_values"]``."""

    values: dict[str, str]

    def __new__(cls, problem_id: str, **values: str) -> Problem:
        problem = super().__new__(cls, problem_id)
        problem.values = values
        return problem


class FieldErrors(TicketingError):
    """Form values break the node's field permissions: ``problems`` maps field -> error id."""

    error_id = "invalid_fields"

    def __init__(self, problems: dict[str, str], *, rows: dict[str, int] | None = None) -> None:
        """``rows``: for a field holding a list (a notice's areas), the 1-based row whose problem
        it is, so the message can say 第 2 行. A problem that is a ``Problem`` with values gives
        them in ``problem_values`` (field -> the values its words name)."""
        values = {name: p.values for name, p in problems.items() if isinstance(p, Problem) and p.values}
        details: dict = (
            {"problems": problems}
            | ({"rows": rows} if rows else {})
            | ({"problem_values": values} if values else {})
        )
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()), **details)
        self.problems = problems


def clean_texts(
    values: dict[str, Any],
    limits: dict[str, int],
    problems: dict[str, str],
    *,
    verbatim: tuple[str, ...] = (),
) -> dict[str, str]:
    """The text fields of ``limits`` that ``values`` holds, trimmed (``verbatim`` ones as they
    are, a template's body), None read as ""; a value that is not text or longer than its
    limit goes into ``problems`` instead."""
    out: dict[str, str] = {}
    for name, limit in limits.items():
        if name not in values:
            continue
        raw = "" if values[name] is None else values[name]
        if not isinstance(raw, str):
            problems[name] = "field_not_text"
            continue
        kept = raw if name in verbatim else trim(raw)  # invisible characters too (ticketing.blanks)
        if len(kept) > limit:
            problems[name] = "field_too_long"
        else:
            out[name] = kept
    return out


class WorkflowInvalid(TicketingError):
    """A workflow definition failed validation; ``problems`` lists (error_id, message)."""

    error_id = "workflow_invalid"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(msg for _, msg in problems), problems=problems)
        self.problems = problems


class PasswordRejected(TicketingError):
    error_id = "password_too_weak"


class NumberingError(TicketingError):
    error_id = "numbering_pattern_invalid"
