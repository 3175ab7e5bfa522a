"""Sites (管理区 / 供电局), departments and users (工号, roles, data scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.models.base import Base, Timestamped, utcnow

ROLES = ("agent", "team_leader", "supervisor", "admin", "handler")

user_sites = Table(
    "user_sites",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Site(Base, Timestamped):
    """A node of the site tree (HQ → branch → outlet / bureau).

    ``path`` is the materialised path of ids down to and including this site
    ("/1/4/9/"): a grant on a site covers every site whose path starts with its
    path, checked without recursive queries (``ticketing.sites.create_site`` sets it).
    """

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="branch")  # hq | branch | outlet | bureau
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    path: Mapped[str] = mapped_column(String(255), default="/", index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    calendar: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: 停用: no new order, user or routing names it; what it already has stays workable
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())


class Department(Base, Timestamped):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))


class User(Base, Timestamped):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(128), default="")
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)  # queue -> penalty
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: the argon2 hashes of the passwords before the current one, newest first
    #: (``users.PASSWORD_HISTORY``): a new password may not be one of them
    password_history: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))

    scope_sites: Mapped[list[Site]] = relationship(secondary=user_sites, lazy="raise")
    site: Mapped[Site | None] = relationship(foreign_keys=[site_id], lazy="raise")

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class UserSession(Base):
    """A signed-in browser session (``agent_ui.auth``): created at sign-in, revoked at sign-out,
    and ended by its idle and absolute timeouts. Its random id lives only in the encrypted cookie;
    the row keeps the id's SHA-256, so a copy of this table opens no session."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
