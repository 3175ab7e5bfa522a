"""Knowledge base (用电信息咨询), outage notices (停电信息) and standard phrases (常用服务描述).

Search works for Chinese: SQLite uses an FTS5 trigram index (terms of three or
more characters), PostgreSQL pg_trgm; shorter terms (most Chinese words are two
characters) fall back to a substring match, which is still correct, just not
index-assisted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Float, Integer, and_, column, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record
from ticketing.errors import ActionRefused, NotFound
from ticketing.models import KbArticle, KbCategory, Notification, OutageNotice, Site, StandardPhrase, User
from ticketing.notify import SHANGHAI, send_message

ACTIVE, CHANGED, DELETED = "发布中", "变更后", "已删除"


# -- knowledge base -------------------------------------------------------------------
async def add_category(session: AsyncSession, name: str, parent: KbCategory | None = None) -> KbCategory:
    cat = KbCategory(name=name, parent_id=parent.id if parent else None)
    session.add(cat)
    await session.flush()
    return cat


async def add_article(
    session: AsyncSession,
    title: str,
    body: str = "",
    *,
    category: KbCategory | None = None,
    kind: str = "text",
    url: str = "",
    tags: str = "",
    actor: User | None = None,
) -> KbArticle:
    if kind not in ("text", "file", "link"):
        raise ActionRefused("kb_bad_kind", f"unknown article kind {kind!r}")
    article = KbArticle(
        title=title, body=body, category_id=category.id if category else None, kind=kind, url=url, tags=tags
    )
    session.add(article)
    await session.flush()
    await record(session, actor, "kb.add", "kb_article", article.id, after={"title": title})
    return article


async def update_article(
    session: AsyncSession, article: KbArticle, *, actor: User | None = None, **changes: Any
) -> KbArticle:
    before = {k: getattr(article, k) for k in changes}
    for key, value in changes.items():
        setattr(article, key, value)
    await session.flush()
    await record(session, actor, "kb.update", "kb_article", article.id, before=before, after=changes)
    return article


def _terms(query: str) -> list[str]:
    return [t for t in query.replace('"', " ").split() if t]


async def search_articles(
    session: AsyncSession, query: str, *, category_id: int | None = None, limit: int = 20
) -> list[KbArticle]:
    """Articles whose title, body or tags contain every term of ``query``."""
    terms = _terms(query)
    if not terms:
        return []
    stmt = select(KbArticle).where(KbArticle.enabled.is_(True))
    if category_id is not None:
        stmt = stmt.where(KbArticle.category_id == category_id)
    dialect = session.bind.dialect.name
    if dialect == "sqlite" and all(len(t) >= 3 for t in terms):
        match = " AND ".join(f'"{t}"' for t in terms)
        ranked = text(
            "SELECT rowid AS id, bm25(kb_fts) AS rank FROM kb_fts WHERE kb_fts MATCH :q"
        ).bindparams(q=match)
        sub = ranked.columns(column("id", Integer), column("rank", Float)).subquery()
        stmt = stmt.join(sub, sub.c.id == KbArticle.id).order_by(sub.c.rank)
    else:
        haystack = KbArticle.title + " " + KbArticle.body + " " + KbArticle.tags
        op = haystack.ilike if dialect == "postgresql" else haystack.like
        stmt = stmt.where(and_(*(op(f"%{t}%") for t in terms)))
        # Title hits first, then the most recently updated.
        stmt = stmt.order_by(
            or_(*(KbArticle.title.like(f"%{t}%") for t in terms)).desc(), KbArticle.updated_at.desc()
        )
    return list(await session.scalars(stmt.limit(limit)))


async def send_article(
    session: AsyncSession,
    user: User,
    article: KbArticle,
    *,
    channel: str,
    recipient: str,
    order_id: int | None = None,
) -> Notification:
    """Send a knowledge item to a customer by SMS or email (queued in the notifications outbox)."""
    subject, body = article_text(article)
    return await send_message(
        session, user, channel, recipient, subject, body, order_id=order_id, about=("kb_article", article.id)
    )


def article_text(article: KbArticle) -> tuple[str, str]:
    """(subject, body) of a knowledge item as a customer reads it."""
    return article.title, article.body if article.kind == "text" else f"{article.body}\n{article.url}".strip()


def notice_text(notice: OutageNotice, site_name: str = "") -> tuple[str, str]:
    """(subject, body) of an outage notice as a customer reads it, in site time."""
    fmt = "%Y-%m-%d %H:%M"
    starts = notice.starts_at.astimezone(SHANGHAI).strftime(fmt)
    ends = notice.ends_at.astimezone(SHANGHAI).strftime(fmt)
    subject = f"停电通知 {starts}"
    parts = [f"{starts} 至 {ends}", f"停电范围：{notice.area}"]
    if notice.reason:
        parts.append(f"原因：{notice.reason}")
    if notice.remark:
        parts.append(notice.remark)
    if site_name:
        parts.append(site_name)
    return subject, "；".join(parts)


async def current_notice_text(session: AsyncSession, key: str) -> tuple[str, str]:
    """``notice_text`` of the current version of notice ``key``."""
    notice = await _current(session, key)
    site_name = await session.scalar(select(Site.name).where(Site.id == notice.site_id)) or ""
    return notice_text(notice, site_name)


async def send_notice(
    session: AsyncSession,
    user: User,
    key: str,
    *,
    channel: str,
    recipient: str,
    order_id: int | None = None,
) -> Notification:
    """Send the current version of an outage notice by SMS or email (the same outbox)."""
    subject, body = await current_notice_text(session, key)
    return await send_message(
        session, user, channel, recipient, subject, body, order_id=order_id, about=("outage_notice", key)
    )


# -- outage notices ----------------------------------------------------------------------
async def publish_notice(
    session: AsyncSession,
    user: User,
    *,
    site_id: int | None,
    area: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> OutageNotice:
    if ends_at <= starts_at:
        raise ActionRefused("notice_bad_period", "the outage must end after it starts")
    notice = OutageNotice(
        notice_key=uuid.uuid4().hex[:16],
        version=1,
        state=ACTIVE,
        site_id=site_id,
        area=area,
        reason=reason,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=user.id,
    )
    session.add(notice)
    await session.flush()
    await record(
        session, user, "notice.publish", "outage_notice", notice.notice_key, after=_notice_json(notice)
    )
    return notice


async def _current(session: AsyncSession, key: str) -> OutageNotice:
    row = await session.scalar(
        select(OutageNotice).where(OutageNotice.notice_key == key, OutageNotice.state == ACTIVE)
    )
    if row is None:
        raise NotFound(f"no published notice {key!r}", entity="outage_notice", key=key)
    return row


async def change_notice(
    session: AsyncSession, user: User, key: str, *, remark: str, **changes: Any
) -> OutageNotice:
    """A change keeps the old version (变更后) and publishes a new one; it needs a remark."""
    if not remark.strip():
        raise ActionRefused("remark_required", "changing a notice needs a remark")
    old = await _current(session, key)
    allowed = {"area", "reason", "starts_at", "ends_at", "site_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionRefused("notice_bad_field", f"cannot change {sorted(unknown)}")
    old.state = CHANGED
    await session.flush()  # the old version leaves 发布中 before the new one enters it
    new = OutageNotice(
        notice_key=key,
        version=old.version + 1,
        state=ACTIVE,
        site_id=old.site_id,
        area=old.area,
        reason=old.reason,
        starts_at=old.starts_at,
        ends_at=old.ends_at,
        remark=remark,
        created_by_id=user.id,
    )
    for name, value in changes.items():
        setattr(new, name, value)
    if new.ends_at <= new.starts_at:
        raise ActionRefused("notice_bad_period", "the outage must end after it starts")
    session.add(new)
    await session.flush()
    await record(
        session,
        user,
        "notice.change",
        "outage_notice",
        key,
        before=_notice_json(old),
        after=_notice_json(new),
    )
    return new


async def delete_notice(session: AsyncSession, user: User, key: str, *, remark: str) -> None:
    if not remark.strip():
        raise ActionRefused("remark_required", "deleting a notice needs a remark")
    row = await _current(session, key)
    before = _notice_json(row)
    row.state, row.remark = DELETED, remark
    await record(session, user, "notice.delete", "outage_notice", key, before=before, after=_notice_json(row))


async def notice_history(session: AsyncSession, key: str) -> list[OutageNotice]:
    return list(
        await session.scalars(
            select(OutageNotice).where(OutageNotice.notice_key == key).order_by(OutageNotice.version)
        )
    )


async def search_notices(
    session: AsyncSession,
    *,
    start: dt.datetime,
    end: dt.datetime,
    site_code: str | None = None,
    area: str = "",
    include_changed: bool = False,
) -> list[OutageNotice]:
    """Notices overlapping [start, end), by bureau (the site and everything under it) and area text."""
    states = (ACTIVE, CHANGED) if include_changed else (ACTIVE,)
    stmt = select(OutageNotice).where(
        OutageNotice.state.in_(states), OutageNotice.starts_at < end, OutageNotice.ends_at > start
    )
    if site_code:
        path = await session.scalar(select(Site.path).where(Site.code == site_code))
        if path is None:
            return []
        stmt = stmt.where(OutageNotice.site_id.in_(select(Site.id).where(Site.path.startswith(path))))
    if area:
        stmt = stmt.where(OutageNotice.area.contains(area))
    return list(await session.scalars(stmt.order_by(OutageNotice.starts_at)))


def _notice_json(n: OutageNotice) -> dict[str, Any]:
    return {
        "key": n.notice_key,
        "version": n.version,
        "state": n.state,
        "site_id": n.site_id,
        "area": n.area,
        "reason": n.reason,
        "starts_at": n.starts_at.isoformat(),
        "ends_at": n.ends_at.isoformat(),
        "remark": n.remark,
    }


notice_json = _notice_json


# -- standard phrases --------------------------------------------------------------------------
async def phrases(session: AsyncSession, category: str, site_id: int | None = None) -> list[str]:
    stmt = select(StandardPhrase.text).where(StandardPhrase.category == category)
    stmt = stmt.where(or_(StandardPhrase.site_id.is_(None), StandardPhrase.site_id == site_id))
    return list(await session.scalars(stmt.order_by(StandardPhrase.sort, StandardPhrase.id)))


async def add_phrase(
    session: AsyncSession, category: str, text_: str, *, site_id: int | None = None
) -> StandardPhrase:
    sort = await session.scalar(
        select(func.count(StandardPhrase.id)).where(StandardPhrase.category == category)
    )
    row = StandardPhrase(category=category, text=text_, site_id=site_id, sort=int(sort or 0))
    session.add(row)
    await session.flush()
    return row
