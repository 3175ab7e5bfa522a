"""Work orders (工单), their handlers, links, opinions, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.models.base import Base, Timestamped, utcnow
from ticketing.models.customers import Customer
from ticketing.models.interactions import Interaction, order_interactions


class Category(Base, Timestamped):
    """业务大类别 / 小类别: a two-level tree; a top category names its workflow and number pattern."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("code", "site_id", name="uq_categories_code_site"),
        # the constraint above does not hold where site_id is NULL: one shared row a code (0030)
        Index(
            "uq_categories_code_shared",
            "code",
            unique=True,
            sqlite_where=text("site_id IS NULL"),
            postgresql_where=text("site_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    workflow_key: Mapped[str] = mapped_column(String(64), default="")
    number_pattern: Mapped[str] = mapped_column(String(64), default="")
    form_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    #: a 大类别 intake offers (the seat, the inbox's 填写受理工单); false: one the system alone
    #: makes (协调单: 派工超时转协调单), not an agent's pick (0035)
    at_intake: Mapped[bool] = mapped_column(default=True, server_default=true())


class WorkOrder(Base, Timestamped):
    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_customer_open", "customer_id", "is_open"),
        Index("ix_work_orders_site_status", "site_id", "status"),
        Index("ix_work_orders_due", "is_open", "due_at"),
        Index("ix_work_orders_caller", "caller_number"),
        Index("ix_work_orders_created", "created_at", "id"),  # the lists' default order
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    subcategory: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=0)
    severity: Mapped[str] = mapped_column(String(16), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflow_definitions.id"))
    workflow_key: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column()
    current_node: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # every status the order entered, in order, a repeated one (re-dispatch) each time:
    # [{"status": ..., "at": ISO UTC time}]
    status_times: Mapped[list[Any]] = mapped_column(default=list)
    node_entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    is_open: Mapped[bool] = mapped_column(default=True)
    category_locked: Mapped[bool] = mapped_column(default=False)
    disabled_nodes: Mapped[list[Any]] = mapped_column(default=list)  # optional steps switched off
    source_interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))

    customer: Mapped[Customer | None] = relationship(lazy="raise")
    assignments: Mapped[list[Assignment]] = relationship(
        lazy="raise", order_by="Assignment.id", cascade="all, delete-orphan"
    )
    interactions: Mapped[list[Interaction]] = relationship(secondary=order_interactions, lazy="raise")


class Assignment(Base):
    """Who must (or may) act on an order at a node: one row per operator.

    mode any: one of the pending rows acts; all (会签): each must act; sequential:
    rows act in ``seq`` order, only the lowest pending one may act.
    """

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user_state", "user_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    node: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(16), default="any")
    seq: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | cancelled
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OrderLink(Base, Timestamped):
    __tablename__ = "order_links"
    __table_args__ = (UniqueConstraint("from_order_id", "to_order_id", "kind", name="uq_order_links"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    from_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    to_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(
        String(32), default="related"
    )  # follow_up_complaint | coordination | related


class Comment(Base, Timestamped):
    """An action's opinion text (处理意见): 提交, 批准, 转发, 批注, 抄送, 退回, 督办, 强制归档."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        # what one user did of a kind: 显示已处理's events the viewer handled (``intake.inbox``)
        Index("ix_audit_user_action", "user_id", "action"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: who did it: the user's id and (``actor``) staff number as they were, with no foreign key,
    #: so the record outlives any change to ``users`` (migration 0039,
    #: docs/decisions/0008-audit-trail-without-foreign-keys.md)
    user_id: Mapped[int | None] = mapped_column()
    #: the actor's staff number (工号) then, or "system"
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class WorkflowDefinition(Base, Timestamped):
    """One version of a workflow; running orders keep pointing at the version they started on."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_workflow_key_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)


class Counter(Base):
    """The last number handed out for a (pattern, period) key; rows are only ever incremented.
    Also the intake's marks of when an agent last signed in and out (microseconds since 1970)."""

    __tablename__ = "counters"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Timer(Base, Timestamped):
    """A persisted SLA deadline; the worker polls due rows, so timers survive restarts."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due", "state", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    node: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # remind | action
    due_at: Mapped[dt.datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | fired | cancelled
    fired_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
