"""Knowledge base, outage notices (停电信息), standard phrases, visit-back surveys, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.models.base import Base, Timestamped, utcnow


class KbCategory(Base):
    """A node of the knowledge tree; names are unique among siblings, ``sort`` orders them."""

    __tablename__ = "kb_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id"))
    sort: Mapped[int] = mapped_column(default=0, server_default="0")
    #: a disabled category is out of the tree; only an empty one is disabled
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())


class KbArticle(Base, Timestamped):
    __tablename__ = "kb_articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(8), default="text")  # text | file | link
    url: Mapped[str] = mapped_column(String(500), default="")
    tags: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutageNotice(Base, Timestamped):
    """One version of a notice; a change writes a new row and marks the old one 变更后."""

    __tablename__ = "outage_notices"
    __table_args__ = (
        UniqueConstraint("notice_key", "version", name="uq_outage_key_version"),
        Index("ix_outage_site_time", "site_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(8), default="发布中")  # 发布中 | 变更后 | 已删除
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    area: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(255), default="")
    starts_at: Mapped[dt.datetime] = mapped_column()
    ends_at: Mapped[dt.datetime] = mapped_column()
    remark: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the places out of power, each version its own list (``area`` is the text callers are told)
    areas: Mapped[list[OutageNoticeArea]] = relationship(
        order_by="OutageNoticeArea.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @hybrid_method
    def over_by(self, now: dt.datetime) -> Any:
        """The outage has ended by ``now`` (已结束): one rule, in Python for a row and in SQL for a
        query, so the list, sending, 变更 and the IVR agree on which outages are over."""
        return self.ends_at <= now


#: what an affected area is: a 10kV line (线路), a transformer area (台区), a street or estate
#: (街道/小区), a district (区县)
AREA_KINDS = ("line", "transformer_area", "street", "district")


class OutageNoticeArea(Base):
    """One place a notice version names: its kind, its name (10kV 中关村线, 中关村1号台区) and the
    code a caller can key in at the IVR (a 台区编号 or a district's 行政区划代码), if it has one."""

    __tablename__ = "outage_notice_areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("outage_notices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), default="", index=True)


class StandardPhrase(Base):
    __tablename__ = "standard_phrases"
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), default="", index=True)
    text: Mapped[str] = mapped_column(String(500))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    sort: Mapped[int] = mapped_column(default=0)


class SurveyDimension(Base):
    """服务技能, 服务礼仪, 综合评价…, with options, bound per site × category."""

    __tablename__ = "survey_dimensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    options: Mapped[list[Any]] = mapped_column(default=list)  # [{label, satisfied: bool}]
    sort: Mapped[int] = mapped_column(default=0)


class SurveyResult(Base, Timestamped):
    __tablename__ = "survey_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    # one per order (0019): the first answer is what the customer said, and two submissions at
    # once both pass record_survey's read
    order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True, unique=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    satisfied: Mapped[bool] = mapped_column(default=True)
    remark: Mapped[str] = mapped_column(Text, default="")
    follow_up_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))


class NotificationTemplate(Base):
    __tablename__ = "notification_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: what admins and the workflow editor call it (故障受理通知短信); no two enabled ones share it
    #: (``message_templates``), so a reminder's picker and the 停用 warning are unambiguous (0044)
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    auto_send: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    audience: Mapped[str] = mapped_column(String(16), default="customer")  # customer | handler | contractor
    #: when an ``auto_send`` one goes out (0048): ``enter`` each time an order enters the step,
    #: ``first_enter`` only the first time (not again on a 重新派工), ``leave`` when the order moves
    #: on from the step, whichever exit it takes (抢修完成 told whether or not 回复客户 follows)
    send_on: Mapped[str] = mapped_column(String(12), default="enter", server_default="enter")


class Notification(Base, Timestamped):
    """The outbox: every reminder and message, sent or not, with its outcome."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state", "state", "channel"),
        Index("ix_notifications_user_unread", "user_id", "channel", "read_at"),
        # looked up by order: an order's history, its 提醒 when it moves site (0031)
        Index("ix_notifications_order", "order_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # screen | sms | email | fax
    recipient: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id", ondelete="SET NULL"))
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sent | failed
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(String(500), default="")
    #: deliveries tried; a gateway's passing trouble (a busy fax line) is retried a few times
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: not before this time (the wait after a retryable failure)
    retry_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: fax: pages in the document, then pages the far end took
    pages: Mapped[int] = mapped_column(default=0, server_default="0")
    #: a failed fax: the row that sent it again (重发), set once so a second 重发 is refused
    resent_as: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), default=None
    )
    #: a screen row: when its user read it (提醒 in the header counts the unread ones)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: what it says: reminder | overrun | supervise | cc | converted | routed … ("" for messages)
    kind: Mapped[str] = mapped_column(String(24), default="", server_default="")
    #: an SMS the gateway took: its id for the message, which its delivery reports name
    #: (``ticketing.sms_status``); None for a gateway that gives none (no reports then)
    gateway_id: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    #: the delivery report: "" (none yet) | delivered | failed | expired; once set it stays
    delivery: Mapped[str] = mapped_column(String(12), default="", server_default="")
    #: when it was delivered, failed or expired (the gateway's time, else when we heard)
    delivery_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: a failed delivery: the gateway's reason code (UNDELIV, MK:0001 …), as it gave it
    delivery_reason: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: a screen row about another message (``sms_failed``: the SMS that did not arrive), whose
    #: fields the console words it from in the reader's language. No foreign key: purging the
    #: SMS must not wait on its 提醒, which then shows the words it was stored with.
    about_id: Mapped[int | None] = mapped_column(default=None)


class SmsReport(Base):
    """A delivery report the SMS gateway sent (``ticketing.sms_status``), one per message id and
    outcome: what the gateway said and when, kept whether or not it named a message of ours. A
    report for an id not known (yet: the gateway may report before the dispatcher has written
    down the id it answered) waits here, ``notification_id`` None, and is applied once a sent
    SMS gets that id."""

    __tablename__ = "sms_reports"
    __table_args__ = (UniqueConstraint("gateway_id", "status", name="uq_sms_reports_gateway_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12))  # delivered | failed | expired
    reason: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: the gateway's time of the outcome, if it gave one
    reported_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), default=None, index=True
    )


class OrderAlert(Base):
    """A 提醒 about an order (a reminder, overrun alert, 督办, 抄送 … on a user's screen) kept for
    the order's 处理过程 once the notices' retention purged its ``notifications`` row
    (``screen_alerts.purge_read``): what the row said, to whom, when, and when it was read. The
    order's history is a record (complaints are argued from it), the 提醒 list is not."""

    __tablename__ = "order_alerts"
    #: the purged notification's id, kept: the 处理过程 names an alert by it either way
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    urgency: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[dt.datetime] = mapped_column()
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
