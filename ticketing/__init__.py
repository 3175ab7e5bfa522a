"""Ticketing core: customers, work orders, configurable workflows, SLAs in working time.

Every service takes an ``AsyncSession`` (and the acting ``User``), never
commits, and queues its events on the session: commit, then
``publish_pending(session, bus)`` (or ``commit_and_publish``). The rest of the
surface lives in the modules named after their nouns: ``ticketing.users``,
``ticketing.customers``, ``ticketing.calls``, ``ticketing.intake``,
``ticketing.knowledge``, ``ticketing.surveys``, ``ticketing.notify``,
``ticketing.reports``, ``ticketing.workflow.actions`` (转发, 抄送, 督办, 强制归档…),
``ticketing.workflow.store`` (import/export of definitions), ``ticketing.seed``
and ``ticketing.demo``.
"""

from ticketing.calls import CallLinker
from ticketing.customers import caller_profile_hook, lookup_for_screen_pop, screen_pop_hook
from ticketing.db import create_engine, migrate, read_sessionmaker, sessionmaker
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
from ticketing.intake import Intake
from ticketing.notify import Dispatcher, HttpSmsGateway, SmtpGateway
from ticketing.sla import SlaWorker
from ticketing.users import can_access, verify_login
from ticketing.workflow.engine import approve, create_order, load_order, reject, save_form, submit_step

__all__ = [
    "ActionRefused",
    "CallLinker",
    "Dispatcher",
    "FieldErrors",
    "Forbidden",
    "HttpSmsGateway",
    "Intake",
    "NotFound",
    "PasswordRejected",
    "SlaWorker",
    "SmtpGateway",
    "TicketingError",
    "WorkflowInvalid",
    "approve",
    "caller_profile_hook",
    "can_access",
    "commit_and_publish",
    "create_engine",
    "create_order",
    "load_order",
    "lookup_for_screen_pop",
    "migrate",
    "publish_pending",
    "read_sessionmaker",
    "reject",
    "save_form",
    "screen_pop_hook",
    "sessionmaker",
    "submit_step",
    "verify_login",
]
