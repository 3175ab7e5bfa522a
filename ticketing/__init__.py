"""Ticketing core: customers, work orders, configurable workflows, SLAs in working time.

Every service takes an ``AsyncSession`` (and the acting ``User``), never
commits, and queues its events on the session: commit, then
``publish_pending(session, bus)`` (or ``commit_and_publish``).
"""

from ticketing.db import create_engine, migrate, sessionmaker
from ticketing.errors import (
    ActionRefused,
    FieldErrors,
    Forbidden,
    NotFound,
    PasswordRejected,
    TicketingError,
    WorkflowInvalid,
)
from ticketing.events import commit_and_publish, publish_pending
from ticketing.sla import SlaWorker
from ticketing.workflow.engine import approve, create_order, load_order, reject, save_form, submit_step

__all__ = [
    "ActionRefused",
    "FieldErrors",
    "Forbidden",
    "NotFound",
    "PasswordRejected",
    "SlaWorker",
    "TicketingError",
    "WorkflowInvalid",
    "approve",
    "commit_and_publish",
    "create_engine",
    "create_order",
    "load_order",
    "migrate",
    "publish_pending",
    "reject",
    "save_form",
    "sessionmaker",
    "submit_step",
]
