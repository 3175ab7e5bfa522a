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


class FieldErrors(TicketingError):
    """Form values break the node's field permissions: ``problems`` maps field -> error id."""

    error_id = "invalid_fields"

    def __init__(self, problems: dict[str, str], *, rows: dict[str, int] | None = None) -> None:
        """``rows``: for a field holding a list (a notice's areas), the 1-based row whose problem
        it is, so the message can say 第 2 行."""
        details: dict = {"problems": problems} | ({"rows": rows} if rows else {})
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
