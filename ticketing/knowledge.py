"""Knowledge base (用电信息咨询), outage notices (停电信息) and standard phrases (常用服务描述).

Knowledge search reads a query as an agent types the caller's question (怎么交电费, 停电了怎么办):
``query_terms`` cuts it at spaces and punctuation, drops filler (怎么, 了, 吗: ``FILLER_WORDS``),
reads a hotline synonym as its group (交电费 = 缴费, 没电 = 停电: ``SYNONYMS``) and an article's
tag as one word, and the rest of the Chinese, which has no spaces, as overlapping
two-character words. An article holding any term is found; the one holding the most of them,
in its title above in its body, comes first, then the latest edited (``search_articles``).

Chinese words are looked for by position in the text as stored (instr, strpos): the width fold
changes no Chinese. On 5,000 random articles of 400 characters a question costs 50–65 ms of
CPU on SQLite and 120–200 ms on PostgreSQL, measured on a loaded machine; most Chinese words
are two characters, too short for a trigram index, so either database reads every article.

Full-width and half-width are one (``ticketing.widths``): the query and the stored text as
searched are folded alike, so 95598 finds ９５５９８ and ＡＰＰ finds APP; the text is stored and
shown as typed. A word with digits or Latin letters (95598, APP) is matched in the folded text:
on SQLite a Python fold of every article, on PostgreSQL through the trigram indexes on the
folded text itself (``ARTICLE_TEXT``, a notice's 停电范围 and its areas' names; migration 0029),
built from the very expressions the searches use. (For a word of three letters such as APP the
planner may still scan the table, folding every article, which costs seconds for 5,000: its
estimate does not know what translate() costs.) SQLite's FTS5 table ``kb_fts`` (migration 0002),
whose trigrams serve no two-character word, is gone (migration 0051).

Articles, their categories and notices are written from the console (``create_article``,
``edit_article``, ``set_article_enabled``; ``create_category``, ``edit_category``,
``order_categories``, ``set_category_enabled``; ``publish``, ``revise``, ``withdraw``,
``end_now``, ``undo_end``): bad input is ``FieldErrors`` naming each field, every write an audit
row. A notice is never edited in place: a revision is a new version and the old
one stays (变更后), so the history shows what callers were told when. Each version names
its affected areas (lines, 台区, streets, districts; ``OutageNoticeArea``) beside the
停电范围 text: a search finds a notice by their names or codes, and the IVR by a code a
caller keys in.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import directory
from ticketing.audit import record, record_change
from ticketing.cached import Cache
from ticketing.errors import ActionRefused, FieldErrors, Forbidden, NotFound, clean_texts
from ticketing.events import OutageNoticeChanged, queue_event
from ticketing.ids import fetch, is_id, known, whole
from ticketing.models import (
    AuditLog,
    KbArticle,
    KbCategory,
    Notification,
    OutageNotice,
    OutageNoticeArea,
    Site,
    StandardPhrase,
    User,
)
from ticketing.models.knowledge import AREA_KINDS
from ticketing.notify import SHANGHAI, send_message
from ticketing.sites import in_tree_order, site_problem
from ticketing.users import scope_paths
from ticketing.widths import fold_width, folded, has_ascii

#: a notice's versions by state. A withdrawal (撤销) keeps every version too: its last one is
#: stored as 已删除 (older rows say so; nothing is deleted), which the pages and the audit log
#: read as 已撤销 (texts ``notice.state_deleted``)
ACTIVE, CHANGED, DELETED = "发布中", "变更后", "已删除"
#: what a published version reads once its end has passed: never stored (the time moves, the row
#: does not), worked out by ``notice_state`` from ``OutageNotice.over_by``
ENDED = "已结束"


# -- knowledge base -------------------------------------------------------------------
async def add_category(session: AsyncSession, name: str, parent: KbCategory | None = None) -> KbCategory:
    parent_id = parent.id if parent else None
    cat = KbCategory(name=name, parent_id=parent_id, sort=await _next_sort(session, parent_id))
    session.add(cat)
    await session.flush()
    return cat


# -- managing the category tree from the console ---------------------------------------------
# A category is created (name, parent), renamed or moved under another parent, put in order
# among its siblings, disabled and enabled again. Names are unique among siblings (a disabled
# one included: enable it rather than make a second). Only an empty category is disabled: its
# subcategories are disabled first, and its articles moved first (or moved by the disable itself,
# ``move_articles_to``), so no article is left in a category nobody can browse.
_CATEGORY_FIELDS = ("name", "parent_id")


def category_view(c: KbCategory) -> dict[str, Any]:
    """A category as the console and the audit log see it."""
    return {"id": c.id, "name": c.name, "parent_id": c.parent_id, "sort": c.sort, "enabled": c.enabled}


async def _next_sort(session: AsyncSession, parent_id: int | None) -> int:
    last = await session.scalar(select(func.max(KbCategory.sort)).where(_children_of(parent_id)))
    return (last or 0) + 1


def _children_of(parent_id: int | None) -> Any:
    return KbCategory.parent_id.is_(None) if parent_id is None else KbCategory.parent_id == parent_id


async def get_category(session: AsyncSession, category_id: int) -> KbCategory:
    return await known(session, KbCategory, category_id, "kb_category", "knowledge category")


async def _ancestors(session: AsyncSession, category: KbCategory) -> list[int]:
    """The ids from ``category`` up to its root (itself first)."""
    chain: list[int] = []
    node: KbCategory | None = category
    while node is not None and node.id not in chain:
        chain.append(node.id)
        node = await session.get(KbCategory, node.parent_id) if node.parent_id else None
    return chain


async def _cleaned_category(
    session: AsyncSession, values: Mapping[str, Any], current: KbCategory | None
) -> dict[str, Any]:
    """A category's name and parent from the console, or FieldErrors naming each bad field."""
    problems: dict[str, str] = {}
    for name in set(values) - set(_CATEGORY_FIELDS):
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), {"name": 64}, problems)
    if (current is None or "name" in out) and not out.get("name") and "name" not in problems:
        problems["name"] = "field_required"
    if values.get("parent_id") not in (None, ""):
        parent_id = values["parent_id"]
        parent = None
        if not whole(parent_id):
            problems["parent_id"] = "field_not_number"
        elif (parent := await fetch(session, KbCategory, parent_id)) is None:
            problems["parent_id"] = "field_unknown_kb_category"
        elif not parent.enabled:
            problems["parent_id"] = "field_kb_category_disabled"
        elif current is not None and current.id in await _ancestors(session, parent):
            problems["parent_id"] = "field_kb_category_cycle"  # under itself or its own subcategory
        else:
            out["parent_id"] = parent.id
    elif "parent_id" in values:
        out["parent_id"] = None
    name = out.get("name", current.name if current else "")
    parent_id = out.get("parent_id", current.parent_id if current else None)
    if name and "name" not in problems and "parent_id" not in problems:
        same = select(KbCategory.id).where(_children_of(parent_id), KbCategory.name == name)
        if current is not None:
            same = same.where(KbCategory.id != current.id)
        if await session.scalar(same.limit(1)) is not None:
            problems["name"] = "field_duplicate"
    if problems:
        raise FieldErrors(problems)
    return out


async def create_category(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> KbCategory:
    """A new category (name, optional parent_id), last among its siblings."""
    cleaned = await _cleaned_category(session, values, None)
    parent_id = cleaned.get("parent_id")
    category = KbCategory(
        name=cleaned["name"], parent_id=parent_id, sort=await _next_sort(session, parent_id)
    )
    session.add(category)
    await session.flush()
    await record(session, actor, "kb.category.add", "kb_category", category.id, after=category_view(category))
    return category


async def edit_category(
    session: AsyncSession, actor: User | None, category_id: int, values: Mapping[str, Any]
) -> KbCategory:
    """Rename a category, or move it under another parent (last among its new siblings)."""
    category = await get_category(session, category_id)
    changes = await _cleaned_category(session, values, category)
    if "parent_id" in changes and changes["parent_id"] != category.parent_id:
        changes["sort"] = await _next_sort(session, changes["parent_id"])
    await record_change(session, actor, category, changes, category_view, "kb.category.update", "kb_category")
    return category


async def order_categories(
    session: AsyncSession, actor: User | None, values: Mapping[str, Any]
) -> list[KbCategory]:
    """Put the children of ``parent_id`` (None: the top level) in the order of ``ids``, which
    names every one of them once; one audit row keeps the order before and after."""
    problems: dict[str, str] = {}
    for name in set(values) - {"parent_id", "ids"}:
        problems[name] = "field_unknown"
    parent_id = values.get("parent_id")
    if parent_id is not None and not whole(parent_id):
        problems["parent_id"] = "field_not_number"
    ids = values.get("ids")
    if not isinstance(ids, list) or not all(is_id(i) for i in ids):
        problems["ids"] = "field_not_number"
    elif parent_id is not None and await fetch(session, KbCategory, parent_id) is None:
        problems["parent_id"] = "field_unknown_kb_category"
    if problems:
        raise FieldErrors(problems)
    siblings = list(
        await session.scalars(
            select(KbCategory).where(_children_of(parent_id)).order_by(KbCategory.sort, KbCategory.id)
        )
    )
    if len(ids) != len(set(ids)) or set(ids) != {c.id for c in siblings}:
        raise FieldErrors({"ids": "field_kb_category_siblings"})
    before = [c.id for c in siblings]
    by_id = {c.id: c for c in siblings}
    for position, category_id in enumerate(ids, start=1):
        by_id[category_id].sort = position
    await session.flush()
    await record(
        session, actor, "kb.category.reorder", "kb_category", parent_id if parent_id is not None else "top",
        before={"ids": before}, after={"ids": ids},
    )  # fmt: skip
    return [by_id[i] for i in ids]


async def set_category_enabled(
    session: AsyncSession,
    actor: User | None,
    category_id: int,
    enabled: bool,
    values: Mapping[str, Any] | None = None,
) -> KbCategory:
    """停用 an empty category (``move_articles_to``: move its articles there first, None for
    未分类), or 启用 one again (its parent enabled)."""
    values = values or {}
    allowed_fields = {"move_articles_to"} if not enabled else set()
    unknown = set(values) - allowed_fields
    if unknown:
        raise FieldErrors(dict.fromkeys(sorted(unknown), "field_unknown"))
    category = await get_category(session, category_id)
    if enabled:
        parent = await session.get(KbCategory, category.parent_id) if category.parent_id else None
        if parent is not None and not parent.enabled:
            raise ActionRefused(
                "kb_category_parent_disabled", "enable its parent category first", parent=parent.name
            )
        await record_change(
            session, actor, category, {"enabled": True}, category_view, "kb.category.enable", "kb_category"
        )
        return category
    children = await session.scalar(
        select(func.count(KbCategory.id)).where(
            KbCategory.parent_id == category.id, KbCategory.enabled.is_(True)
        )
    )
    if children:
        raise ActionRefused(
            "kb_category_has_children",
            f"{category.name} has {children} enabled subcategories: disable or move them first",
            subcategories=int(children),
        )
    articles = list(await session.scalars(select(KbArticle).where(KbArticle.category_id == category.id)))
    if articles:
        if "move_articles_to" not in values:
            raise ActionRefused(
                "kb_category_not_empty",
                f"{category.name} holds {len(articles)} articles: move them to another category first",
                articles=len(articles),
            )
        target = values["move_articles_to"]
        if target is not None:
            if not whole(target):
                raise FieldErrors({"move_articles_to": "field_not_number"})
            target_row = await fetch(session, KbCategory, target)
            if target_row is None:
                raise FieldErrors({"move_articles_to": "field_unknown_kb_category"})
            if target_row.id == category.id:
                raise FieldErrors({"move_articles_to": "field_kb_move_to_itself"})
            if not target_row.enabled:
                raise FieldErrors({"move_articles_to": "field_kb_category_disabled"})
        for article in articles:
            await record_change(
                session, actor, article, {"category_id": target}, article_view, "kb.update", "kb_article"
            )
    await record_change(
        session, actor, category, {"enabled": False}, category_view, "kb.category.disable", "kb_category"
    )
    return category


async def category_list(session: AsyncSession, *, enabled_only: bool = True) -> list[dict[str, Any]]:
    """The categories in display order (each names its parent), with how many articles each holds."""
    counts = dict(
        (
            await session.execute(
                select(KbArticle.category_id, func.count(KbArticle.id)).group_by(KbArticle.category_id)
            )
        ).all()
    )
    stmt = select(KbCategory).order_by(KbCategory.sort, KbCategory.id)
    if enabled_only:
        stmt = stmt.where(KbCategory.enabled.is_(True))
    return [{**category_view(c), "articles": counts.get(c.id, 0)} for c in await session.scalars(stmt)]


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


# -- writing articles from the console ----------------------------------------------------------
KINDS = ("text", "file", "link")
_ARTICLE_FIELDS = ("title", "category_id", "kind", "body", "url", "tags", "enabled")
_BODY_LIMIT = 20_000


def article_view(a: KbArticle) -> dict[str, Any]:
    """An article as the console and the audit log see it."""
    return {
        "id": a.id,
        "category_id": a.category_id,
        "title": a.title,
        "body": a.body,
        "kind": a.kind,
        "url": a.url,
        "tags": a.tags,
        "enabled": a.enabled,
    }


# The console shows an article's address as a link: only web addresses and this site's own paths,
# never javascript: or data: (stored script), nor //host or /\host (another site, as browsers read them).
_WEB_ADDRESS = re.compile(r"https?://\S+", re.IGNORECASE)
_SITE_PATH = re.compile(r"/(?![/\\])[^\s\\]*")


async def _cleaned_article(
    session: AsyncSession, values: Mapping[str, Any], current: KbArticle | None
) -> dict[str, Any]:
    """An article's values from the editor, or FieldErrors naming each bad field."""
    problems: dict[str, str] = {}
    for name in set(values) - set(_ARTICLE_FIELDS):
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), {"title": 200, "url": 500, "body": _BODY_LIMIT}, problems)
    if "kind" in values:
        if values["kind"] in KINDS:
            out["kind"] = values["kind"]
        else:
            problems["kind"] = "field_bad_option"
    if "tags" in values:
        raw = values["tags"] if values["tags"] is not None else ""
        if isinstance(raw, list) and all(isinstance(t, str) for t in raw):
            raw = " ".join(raw)
        if not isinstance(raw, str):
            problems["tags"] = "field_not_text"
        else:
            tags = " ".join(split_tags(raw))
            if len(tags) > 200:
                problems["tags"] = "field_too_long"
            else:
                out["tags"] = tags
    if "category_id" in values:
        category_id = values["category_id"]
        if category_id in (None, ""):
            out["category_id"] = None
        elif not whole(category_id):
            problems["category_id"] = "field_not_number"
        elif (category := await fetch(session, KbCategory, category_id)) is None:
            problems["category_id"] = "field_unknown_kb_category"
        elif not category.enabled:
            problems["category_id"] = "field_kb_category_disabled"
        else:
            out["category_id"] = category_id
    if "enabled" in values:
        if isinstance(values["enabled"], bool):
            out["enabled"] = values["enabled"]
        else:
            problems["enabled"] = "field_not_boolean"
    # what the article would be: a title always, a text's body, a link's or a file's address
    merged = {
        **(article_view(current) if current else {"title": "", "body": "", "kind": "text", "url": ""}),
        **out,
    }
    if not merged["title"] and "title" not in problems:
        problems["title"] = "field_required"
    kind = merged["kind"]
    if kind == "text" and not merged["body"] and "body" not in problems and "kind" not in problems:
        problems["body"] = "field_required"
    if kind in ("link", "file") and "url" not in problems and "kind" not in problems:
        if not merged["url"]:
            problems["url"] = "field_required"
        elif kind == "link" and not _WEB_ADDRESS.fullmatch(merged["url"]):
            problems["url"] = "field_bad_url"
        elif kind == "file" and not (
            _WEB_ADDRESS.fullmatch(merged["url"]) or _SITE_PATH.fullmatch(merged["url"])
        ):
            problems["url"] = "field_bad_file_url"
    if problems:
        raise FieldErrors(problems)
    return out


async def get_article(session: AsyncSession, article_id: int) -> KbArticle:
    return await known(session, KbArticle, article_id, "kb_article", "knowledge article")


async def create_article(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> KbArticle:
    """A new article from the editor (title, category, kind, body, url, tags, enabled)."""
    cleaned = await _cleaned_article(session, values, None)
    article = KbArticle(**{"body": "", "kind": "text", "url": "", "tags": "", "enabled": True, **cleaned})
    session.add(article)
    await session.flush()
    await record(session, actor, "kb.add", "kb_article", article.id, after=article_view(article))
    return article


def article_version(a: KbArticle) -> str:
    """The version of an article an editor started from: its last change (``updated_at``, to
    the microsecond, UTC), which every write of it moves on."""
    return a.updated_at.astimezone(dt.UTC).isoformat(timespec="microseconds")


async def edit_article(
    session: AsyncSession, actor: User | None, article_id: int, values: Mapping[str, Any]
) -> KbArticle:
    """Change the fields ``values`` names; the audit row keeps the article before and after.

    ``version``: the version the editor showed (``article_version``). An edit made from an
    older one (someone saved the article meanwhile) is refused, ``kb_article_changed_meanwhile``
    with the version now, so the second of two editors never silently overwrites the first;
    the row is locked while it is checked and written (PostgreSQL; SQLite's writes are one at a
    time), so two edits of the same version cannot both pass."""
    values = dict(values)
    seen = values.pop("version", None)
    article = await get_article(session, article_id)
    if seen is not None:
        if not isinstance(seen, str):
            raise FieldErrors({"version": "field_not_text"})
        article = await session.scalar(
            select(KbArticle)
            .where(KbArticle.id == article_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert article is not None  # rows are disabled, never deleted
        if seen != article_version(article):
            raise ActionRefused(
                "kb_article_changed_meanwhile",
                f"article {article_id} was changed since version {seen}",
                id=article_id,
                version=article_version(article),
            )
    changes = await _cleaned_article(session, values, article)
    await record_change(session, actor, article, changes, article_view, "kb.update", "kb_article")
    return article


async def set_article_enabled(
    session: AsyncSession, actor: User | None, article_id: int, enabled: bool
) -> KbArticle:
    """停用 / 启用: a disabled article is out of search and cannot be sent, but stays."""
    article = await get_article(session, article_id)
    action = "kb.enable" if enabled else "kb.disable"
    await record_change(session, actor, article, {"enabled": enabled}, article_view, action, "kb_article")
    return article


# -- searching the knowledge base ------------------------------------------------------------
# An agent searches with the caller's own words, on the call (怎么交电费, 停电了怎么办): a query
# is read as its terms, every article holding any of them is found, the best first.

#: what a query is cut at: spaces and punctuation, Chinese or Western (，？！ are ASCII once
#: width-folded). Not : - . / which stay inside a term (8:00-22:00, 10kV, 1.5).
_SEPARATORS = re.compile(r"[\s,;!?()\[\]{}<>\"'、。“”‘’《》【】「」…·]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_TAG_SPLIT = re.compile(r"[\s,，;；、|/]+")
_LONGEST_TAG = 8  # characters: longer tags are not looked for inside a query

#: words callers' questions are full of that say nothing of what is asked: a question word, a
#: particle, who asks. Dropped from a query (怎么交电费 is 交电费). Kept short on purpose: every
#: word here is one no article can be found by; a word that names a subject never belongs here.
FILLER_WORDS = frozenset(
    {
        "请问", "你好", "您好", "怎么", "怎样", "如何", "什么", "为什么", "为啥", "咋", "哪里",
        "是不是", "能不能", "可以", "一下", "我家", "家里", "我们", "我", "吗", "呢", "吧", "啊",
        "呀", "了", "的",
    }
)  # fmt: skip

#: words callers and articles use for the same thing on a power hotline: a query naming one of a
#: group finds the articles saying any of them, as one term (an article saying two of them counts
#: once). Only groups that are the same question, whichever word is said.
SYNONYMS = (
    ("交费", "缴费", "交电费", "缴电费", "缴纳电费", "电费缴纳"),
    ("停电", "断电", "没电", "没有电"),
)
_GROUP_OF = {word: group for group in SYNONYMS for word in group}

#: how much an article holding a term scores: more for a term in its title than in its body or tags
TITLE_WEIGHT, TEXT_WEIGHT = 2, 1


def split_tags(raw: str) -> list[str]:
    """The tags of an article's ``tags`` text (spaces, commas or 、 between them), in order."""
    return list(dict.fromkeys(t for t in _TAG_SPLIT.split(raw or "") if t))


async def _load_vocabulary(session: AsyncSession, _key: Any) -> frozenset[str]:
    rows = await session.scalars(
        select(KbArticle.tags).where(KbArticle.enabled.is_(True), KbArticle.tags != "")
    )
    return frozenset(t for raw in rows for t in split_tags(raw) if 2 <= len(t) <= _LONGEST_TAG)


#: the tags of the enabled articles: words a query typed without spaces is read as whole
_vocabulary = Cache("kb_vocabulary", (KbArticle,), _load_vocabulary)

#: a term: the words any of which an article holds to hold the term (one word, or a synonym group)
Term = tuple[str, ...]


def query_terms(query: str, vocabulary: Collection[str] = frozenset()) -> list[Term]:
    """The terms of a knowledge search, in the order typed, each once.

    The query (width-folded) is cut into pieces at spaces and punctuation. Chinese has no
    spaces, so each run of it is read place by place as the longest known word starting there:
    a filler (``FILLER_WORDS``, dropped), a synonym (``SYNONYMS``: its group is the term) or an
    article's tag (``vocabulary``); the characters between known words are read as overlapping
    two-character words, since which two make a word is not known (交电价 → 交电 电价). Other text
    (95598, App, 8:00-22:00) is a term as typed. A piece read as other terms is a term itself
    too, so an article holding it as typed ranks higher (1号楼 beside 号楼). A character left
    alone (办 of 怎么办, 1 of 1号楼) is dropped, unless its piece has nothing else (电, A).
    """
    terms: list[Term] = []
    for piece in _SEPARATORS.split(fold_width(query)):
        found: list[Term] = []
        alone: list[str] = []
        pos = 0
        for match in _CJK_RUN.finditer(piece):
            _other_text(piece[pos : match.start()], found, alone)
            _chinese(match.group(), vocabulary, found, alone)
            pos = match.end()
        _other_text(piece[pos:], found, alone)
        if found and not any(piece in term for term in found):
            found.append((piece,))
        terms.extend(found or [(c,) for c in alone])
    return list(dict.fromkeys(terms))


def _other_text(text_: str, found: list[Term], alone: list[str]) -> None:
    word = text_.strip(":-./")
    if len(word) > 1:
        found.append((word,))
    elif word:
        alone.append(word)


def _chinese(run: str, vocabulary: Collection[str], found: list[Term], alone: list[str]) -> None:
    def known(word: str) -> bool:
        return word in _GROUP_OF or word in vocabulary or word in FILLER_WORDS

    between, i = "", 0
    while i < len(run):
        longest = min(_LONGEST_TAG, len(run) - i)
        word = next((run[i : i + n] for n in range(longest, 0, -1) if known(run[i : i + n])), None)
        if word is None:
            between += run[i]
            i += 1
            continue
        _pairs(between, found, alone)
        between = ""
        i += len(word)
        if word in _GROUP_OF:
            found.append(_GROUP_OF[word])
        elif word in vocabulary:
            found.append((word,))
    _pairs(between, found, alone)


def _pairs(text_: str, found: list[Term], alone: list[str]) -> None:
    """Overlapping two-character words of Chinese with no known word in it: 交电价 → 交电 电价."""
    if len(text_) == 1:
        alone.append(text_)
    found.extend((text_[i : i + 2],) for i in range(len(text_) - 1))


_SPACE = literal_column("' '")  # a constant, not a parameter: the index's expression holds it
#: an article's text as search reads it (folded, ``ticketing.widths``); on PostgreSQL migration
#: 0029's trigram index is on exactly ``folded(ARTICLE_TEXT)``
ARTICLE_TEXT = KbArticle.title + _SPACE + KbArticle.body + _SPACE + KbArticle.tags


async def search_articles(
    session: AsyncSession,
    query: str,
    *,
    category_id: int | None = None,
    limit: int = 20,
    enabled_only: bool = True,
) -> list[KbArticle]:
    """Enabled articles (``enabled_only=False``: disabled ones too, for their editors) whose
    title, body or tags hold any term of ``query`` (``query_terms``), the best first.

    An article scores ``TITLE_WEIGHT`` for each term in its title and ``TEXT_WEIGHT`` for each
    only in its body or tags: the one holding most of what was asked, in its title above in its
    body, comes first; then the most recently updated. Width is folded on both sides
    (``ticketing.widths``): ９５５９８ finds 95598 and 95598 finds ９５５９８, as case is.
    """
    # tags are looked for only inside Chinese of three characters or more
    needs_tags = any(len(m.group()) >= 3 for m in _CJK_RUN.finditer(query))
    terms = query_terms(query, await _vocabulary.get(session) if needs_tags else frozenset())
    if not terms:
        return []
    postgresql = session.bind.dialect.name == "postgresql"

    def has(column_: Any, word: str) -> Any:
        if has_ascii(word):  # 95598, App: either width, either case
            if postgresql:  # the trigram index's own expression (migration 0029) serves it
                return folded(column_).icontains(word, autoescape=True)
            return folded(column_).contains(word, autoescape=True)
        # Chinese: the fold changes only ASCII's full-width forms and Chinese has no case, so the
        # word is looked for in the text as stored, by position, and the fold is not paid: on
        # PostgreSQL translate() costs about 1 ms an article for each word searched. Most Chinese
        # words are two characters, too short for a trigram index anyway.
        return (func.strpos(column_, word) if postgresql else func.instr(column_, word)) > 0

    def holds(column_: Any, term: Term) -> Any:
        return or_(*(has(column_, word) for word in term))

    # Which articles: each word with ASCII its own branch, the Chinese words one more. In one OR
    # with the others PostgreSQL scans the table, folding every article, rather than look the
    # word up in its trigram index (seconds for 5,000 articles, against a millisecond).
    words = list(dict.fromkeys(word for term in terms for word in term))
    branches = [select(KbArticle.id).where(has(ARTICLE_TEXT, w)) for w in words if has_ascii(w)]
    chinese = [has(ARTICLE_TEXT, w) for w in words if not has_ascii(w)]
    if chinese:
        branches.append(select(KbArticle.id).where(or_(*chinese)))
    found = union(*branches) if len(branches) > 1 else branches[0]
    stmt = select(KbArticle).where(KbArticle.id.in_(found))
    if enabled_only:
        stmt = stmt.where(KbArticle.enabled.is_(True))
    if category_id is not None:
        stmt = stmt.where(KbArticle.category_id == category_id)
    score = sum(
        (
            case((holds(KbArticle.title, t), TITLE_WEIGHT), (holds(ARTICLE_TEXT, t), TEXT_WEIGHT), else_=0)
            for t in terms
        ),
        literal(0),
    )
    stmt = stmt.order_by(score.desc(), KbArticle.updated_at.desc(), KbArticle.id.desc())
    return list(await session.scalars(stmt.limit(limit)))


async def send_article(
    session: AsyncSession,
    user: User,
    article: KbArticle,
    *,
    channel: str,
    recipient: str,
    order_id: int | None = None,
    signature: str = "",
) -> Notification:
    """Send a knowledge item to a customer by SMS or email (queued in the notifications outbox);
    an SMS starts with ``signature`` (``send_message``)."""
    subject, body = article_text(article)
    return await send_message(
        session, user, channel, recipient, subject, body, order_id=order_id,
        about=("kb_article", article.id), signature=signature,
    )  # fmt: skip


def article_text(article: KbArticle) -> tuple[str, str]:
    """(subject, body) of a knowledge item as a customer reads it."""
    return article.title, article.body if article.kind == "text" else f"{article.body}\n{article.url}".strip()


def notice_text(notice: OutageNotice, site_name: str = "") -> tuple[str, str]:
    """(subject, body) of an outage notice as a customer reads it, in site time: when, where,
    which areas, why, and the site. Never the version's remark: it is why the notice was
    changed, ended or withdrawn (录入错误，更正时间), a note between the hotline's staff. The
    subject names no time: an SMS is the subject and the body, and would say the start twice."""
    fmt = "%Y-%m-%d %H:%M"
    starts = notice.starts_at.astimezone(SHANGHAI).strftime(fmt)
    ends = notice.ends_at.astimezone(SHANGHAI).strftime(fmt)
    subject = "停电通知"
    parts = [f"{starts} 至 {ends}", f"停电范围：{notice.area}", *_affected_area_lines(notice.areas)]
    if notice.reason:
        parts.append(f"原因：{notice.reason}")
    if site_name:
        parts.append(site_name)
    return subject, "；".join(parts)


#: an affected area's kind as a customer reads it (the console says them through notice.kind.*)
AREA_KIND_WORDS = {"line": "线路", "transformer_area": "台区", "street": "街道/小区", "district": "区县"}


def _affected_area_lines(areas: Sequence[OutageNoticeArea]) -> list[str]:
    """The notice's affected areas by name, one part per kind (线路：10kV 中关村线、10kV 海淀线),
    the kinds in ``AREA_KINDS`` order, the names in the order entered; none for an older notice."""
    names: dict[str, list[str]] = {}
    for area in areas:
        names.setdefault(area.kind, []).append(area.name)
    return [f"{AREA_KIND_WORDS[kind]}：{'、'.join(names[kind])}" for kind in AREA_KINDS if kind in names]


async def current_notice_text(
    session: AsyncSession, key: str, now: dt.datetime | None = None
) -> tuple[str, str]:
    """``notice_text`` of the current version of notice ``key``, to send to a customer: an outage
    that is over is not news (``notice_ended_not_sent``), as the IVR no longer tells it."""
    notice = await _current(session, key)
    if notice.over_by(now or dt.datetime.now(dt.UTC)):
        raise ActionRefused("notice_ended_not_sent", "this outage has ended: not sent to customers", key=key)
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
    signature: str = "",
) -> Notification:
    """Send the current version of an outage notice by SMS or email (the same outbox); an SMS
    starts with ``signature`` (``send_message``)."""
    subject, body = await current_notice_text(session, key)
    return await send_message(
        session, user, channel, recipient, subject, body, order_id=order_id,
        about=("outage_notice", key), signature=signature,
    )  # fmt: skip


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
    remark: str = "",
    affected_areas: Sequence[Mapping[str, str]] = (),
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
        remark=remark,
        created_by_id=user.id,
        areas=_area_rows(affected_areas),
    )
    session.add(notice)
    await session.flush()
    await record(
        session, user, "notice.publish", "outage_notice", notice.notice_key, after=_notice_json(notice)
    )
    _tell_pops(session, notice, "published", active=True)
    return notice


def _tell_pops(session: AsyncSession, notice: OutageNotice, change: str, *, active: bool) -> None:
    """The agents' open screen-pops list the outages of their caller's site: they learn of a
    notice published, revised, ended or withdrawn once this commits (``OutageNoticeChanged``)."""
    queue_event(
        session,
        OutageNoticeChanged(key=notice.notice_key, change=change, active=active, site_id=notice.site_id),
    )


async def _current(session: AsyncSession, key: str) -> OutageNotice:
    """The published version of ``key``; a notice withdrawn (撤销, its last version 已删除) is
    refused as such (``notice_withdrawn``, 409), not as one there is none of."""
    row = await session.scalar(
        select(OutageNotice).where(OutageNotice.notice_key == key, OutageNotice.state == ACTIVE)
    )
    if row is None:
        withdrawn = await session.scalar(
            select(OutageNotice.version).where(OutageNotice.notice_key == key, OutageNotice.state == DELETED)
        )
        if withdrawn is not None:
            raise ActionRefused(
                "notice_withdrawn", f"notice {key!r} was withdrawn (version {withdrawn})", key=key
            )
        raise NotFound(f"no published notice {key!r}", entity="outage_notice", key=key)
    return row


def _next_version(old: OutageNotice, user: User, remark: str, state: str) -> OutageNotice:
    """The version after ``old``: its content, and its own remark, state and author."""
    return OutageNotice(
        notice_key=old.notice_key,
        version=old.version + 1,
        state=state,
        site_id=old.site_id,
        area=old.area,
        reason=old.reason,
        starts_at=old.starts_at,
        ends_at=old.ends_at,
        remark=remark,
        created_by_id=user.id,
        areas=[
            OutageNoticeArea(position=a.position, kind=a.kind, name=a.name, code=a.code) for a in old.areas
        ],
    )


async def change_notice(
    session: AsyncSession,
    user: User,
    key: str,
    *,
    remark: str,
    audit_action: str = "notice.change",
    **changes: Any,
) -> OutageNotice:
    """A change keeps the old version (变更后) and publishes a new one; it needs a remark, and
    something to change (``notice_unchanged``): a version the same as the last would tell callers
    nothing new, yet read in the history as a 变更 with a reason."""
    if not remark.strip():
        raise ActionRefused("remark_required", "changing a notice needs a remark")
    old = await _current(session, key)
    allowed = {"area", "reason", "starts_at", "ends_at", "site_id", "affected_areas"}
    unknown = set(changes) - allowed
    if unknown:
        raise ActionRefused("notice_bad_field", f"cannot change {sorted(unknown)}")
    areas = changes.pop("affected_areas", None)
    same_areas = areas is None or [
        {"kind": a["kind"], "name": a["name"], "code": a.get("code", "")} for a in areas
    ] == [area_view(a) for a in old.areas]
    if same_areas and all(getattr(old, name) == value for name, value in changes.items()):
        raise ActionRefused("notice_unchanged", f"nothing in notice {key} changed", key=key)
    # the audit row's "before" is the notice as it stood (发布中), not its old version's new
    # state: a change or an early end then reads as what changed, not as 变更后 → 发布中
    before = _notice_json(old)
    old.state = CHANGED
    await session.flush()  # the old version leaves 发布中 before the new one enters it
    new = _next_version(old, user, remark, ACTIVE)
    if areas is not None:
        new.areas = _area_rows(areas)
    for name, value in changes.items():
        setattr(new, name, value)
    if new.ends_at <= new.starts_at:
        raise ActionRefused("notice_bad_period", "the outage must end after it starts")
    session.add(new)
    await session.flush()
    await record(
        session,
        user,
        audit_action,
        "outage_notice",
        key,
        before=before,
        after=_notice_json(new),
    )
    # an early end leaves no pop listing it (it is over); a revision or an end undone may be new to one
    ended = audit_action == "notice.end"
    _tell_pops(session, new, "ended" if ended else "changed", active=not ended)
    return new


async def delete_notice(session: AsyncSession, user: User, key: str, *, remark: str) -> OutageNotice:
    """撤销: a last version (stored 已删除, read 已撤销) says who withdrew the notice, when and
    why; the version callers were told until then keeps its own remark (why it was changed) as
    变更后. Audited as ``notice.withdraw`` (撤销停电信息; rows written before said
    ``notice.delete``, which reads the same): nothing is deleted."""
    if not remark.strip():
        raise ActionRefused("remark_required", "deleting a notice needs a remark")
    old = await _current(session, key)
    before = _notice_json(old)  # as it stood: 发布中 → 已撤销
    old.state = CHANGED
    await session.flush()  # only one version of a notice is 发布中
    withdrawn = _next_version(old, user, remark, DELETED)
    session.add(withdrawn)
    await session.flush()
    await record(
        session,
        user,
        "notice.withdraw",
        "outage_notice",
        key,
        before=before,
        after=_notice_json(withdrawn),
    )
    _tell_pops(session, withdrawn, "withdrawn", active=False)
    return withdrawn


# -- writing notices from the console ------------------------------------------------------------
_NOTICE_FIELDS = ("site_id", "area", "affected_areas", "reason", "starts_at", "ends_at", "remark", "version")
_MOST_AREAS = 50
_AREA_CODE = re.compile(r"^[0-9A-Za-z-]{1,32}$")


def area_view(a: OutageNoticeArea) -> dict[str, str]:
    return {"kind": a.kind, "name": a.name, "code": a.code}


def _area_rows(areas: Sequence[Mapping[str, str]]) -> list[OutageNoticeArea]:
    return [
        OutageNoticeArea(position=i, kind=a["kind"], name=a["name"], code=a.get("code", ""))
        for i, a in enumerate(areas)
    ]


def _cleaned_areas(raw: Any) -> tuple[list[dict[str, str]], str | None, int | None]:
    """A notice's affected areas from the editor: a list of {kind, name, code?} (a kind of
    AREA_KINDS, a name of at most 100 characters, a code of letters, digits and -), each
    (kind, name) once; the cleaned list, or the problem with it and its 1-based row (None when
    the problem is the list as a whole)."""
    if raw is None:
        return [], None, None
    if not isinstance(raw, list):
        return [], "field_bad_area", None
    if len(raw) > _MOST_AREAS:
        return [], "field_too_long", None
    out: list[dict[str, str]] = []
    for row, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) - {"kind", "name", "code"}:
            return [], "field_bad_area", row
        kind, name, code = item.get("kind"), item.get("name"), item.get("code") or ""
        if kind not in AREA_KINDS or not isinstance(name, str) or not isinstance(code, str):
            return [], "field_bad_area", row
        name, code = name.strip(), code.strip()
        if not name or len(name) > 100 or (code and not _AREA_CODE.match(code)):
            return [], "field_bad_area", row
        if any(a["kind"] == kind and a["name"] == name for a in out):
            return [], "field_duplicate", row
        out.append({"kind": kind, "name": name, "code": code})
    return out, None, None


def parse_site_time(raw: Any, tz: dt.tzinfo = SHANGHAI) -> dt.datetime | None:
    """``2026-11-26T09:00`` (a datetime-local input) read in the site's time zone, or an ISO
    time with its offset, as UTC; None for anything else."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(dt.UTC)


async def _may_write_for(session: AsyncSession, actor: User | None, site_id: int | None) -> bool:
    """A notice of a site outside the writer's data scope is not theirs to publish or change
    (one without a site only for those who see every site)."""
    if actor is None:
        return True
    paths = await scope_paths(session, actor)
    if paths is None:
        return True
    site_path = await session.scalar(select(Site.path).where(Site.id == site_id)) if site_id else None
    return _within(paths, site_path)


def _within(paths: list[str] | None, site_path: str | None) -> bool:
    return paths is None or (site_path is not None and any(site_path.startswith(p) for p in paths))


async def notice_sites(session: AsyncSession, actor: User) -> list[dict[str, Any]]:
    """Every site in tree order (each under its parent: 局, then its 供电所) with its ``depth``
    from the top, ``writable``: ``actor`` may publish or change a notice for it (the rule
    ``_may_write_for`` applies), and ``enabled`` (a 停用 one takes no new notice). The notice
    page's 供电局 pickers: the search offers them all, the editor the writable ones (a 停用 one
    only to the notice already of it), so an outlet's notice keeps its own site on 变更."""
    paths = await scope_paths(session, actor)
    rows = await in_tree_order(
        session,
        await session.execute(select(Site.id, Site.code, Site.name, Site.kind, Site.path, Site.enabled)),
    )
    return [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "depth": max(0, r.path.count("/") - 2),
            "writable": _within(paths, r.path),
            "enabled": r.enabled,
        }
        for r in rows
    ]


async def _cleaned_notice(
    session: AsyncSession,
    actor: User | None,
    values: Mapping[str, Any],
    tz: dt.tzinfo,
    current: OutageNotice | None,
) -> dict[str, Any]:
    """A notice's values from the editor (times in the site's zone), or FieldErrors."""
    problems: dict[str, str] = {}
    rows: dict[str, int] = {}
    for name in set(values) - set(_NOTICE_FIELDS):
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), {"area": 255, "reason": 255, "remark": 500}, problems)
    if current is None:
        for name in ("site_id", "starts_at", "ends_at"):
            if values.get(name) in (None, "") and name not in problems:
                problems[name] = "field_required"
    if (current is None or "area" in out) and not out.get("area") and "area" not in problems:
        problems["area"] = "field_required"
    if "affected_areas" in values:
        areas, problem, row = _cleaned_areas(values["affected_areas"])
        if problem:
            problems["affected_areas"] = problem
            if row is not None:
                rows["affected_areas"] = row
        else:
            out["affected_areas"] = areas
    for name in ("starts_at", "ends_at"):
        if values.get(name) not in (None, "") and name not in problems:
            parsed = parse_site_time(values[name], tz)
            if parsed is None:
                problems[name] = "field_bad_time"
            else:
                out[name] = parsed
        elif name in values and name not in problems:
            problems[name] = "field_required"
    if values.get("site_id") not in (None, "") and "site_id" not in problems:
        site_id = values["site_id"]
        if problem := await site_problem(session, site_id, current.site_id if current else None):
            problems["site_id"] = problem  # a notice already of a 停用 site keeps it
        elif not await _may_write_for(session, actor, site_id):
            problems["site_id"] = "field_out_of_scope"
        else:
            out["site_id"] = site_id
    elif "site_id" in values and "site_id" not in problems:
        problems["site_id"] = "field_required"
    starts = out.get("starts_at", current.starts_at if current else None)
    ends = out.get("ends_at", current.ends_at if current else None)
    if starts and ends and ends <= starts and "ends_at" not in problems:
        problems["ends_at"] = "field_ends_before_start"
    if problems:
        raise FieldErrors(problems, rows=rows)
    return out


async def _writable_current(
    session: AsyncSession, actor: User | None, key: str, values: Mapping[str, Any]
) -> OutageNotice:
    """The published version of ``key`` for a change: in the writer's scope, and the version
    the editor showed when it says which (``notice_changed_meanwhile`` if another came since)."""
    current = await _current(session, key)
    if not await _may_write_for(session, actor, current.site_id):
        raise Forbidden("this notice belongs to a site outside your data scope", key=key)
    seen = values.get("version")
    if seen is not None:
        if not whole(seen):
            raise FieldErrors({"version": "field_not_number"})
        if seen != current.version:
            raise ActionRefused(
                "notice_changed_meanwhile",
                f"notice {key} is at version {current.version} now, not {seen}",
                key=key,
                version=current.version,
            )
    return current


def _only_remark_and_version(values: Mapping[str, Any]) -> None:
    """A withdrawal, an early end or its undoing takes the reason and the version it was asked
    of, nothing else: any other field is refused by name rather than ignored."""
    unknown = set(values) - {"remark", "version"}
    if unknown:
        raise FieldErrors(dict.fromkeys(sorted(unknown), "field_unknown"))


def _remark(values: Mapping[str, Any]) -> str:
    problems: dict[str, str] = {}
    remark = clean_texts(dict(values), {"remark": 500}, problems).get("remark", "")
    if not remark and "remark" not in problems:
        problems["remark"] = "field_required"
    if problems:
        raise FieldErrors(problems)
    return remark


async def publish(
    session: AsyncSession,
    actor: User,
    values: Mapping[str, Any],
    tz: dt.tzinfo = SHANGHAI,
    now: dt.datetime | None = None,
) -> OutageNotice:
    """发布: a new notice (site_id, area, reason, starts_at, ends_at, remark) from the editor.
    An outage that has already ended is history, not news: its end must be still to come
    (``field_notice_already_ended``)."""
    if "version" in values:
        raise FieldErrors({"version": "field_unknown"})
    cleaned = await _cleaned_notice(session, actor, values, tz, None)
    if cleaned["ends_at"] <= (now or dt.datetime.now(dt.UTC)):
        raise FieldErrors({"ends_at": "field_notice_already_ended"})
    return await publish_notice(
        session,
        actor,
        site_id=cleaned["site_id"],
        area=cleaned["area"],
        starts_at=cleaned["starts_at"],
        ends_at=cleaned["ends_at"],
        reason=cleaned.get("reason", ""),
        remark=cleaned.get("remark", ""),
        affected_areas=cleaned.get("affected_areas", []),
    )


async def revise(
    session: AsyncSession,
    actor: User,
    key: str,
    values: Mapping[str, Any],
    tz: dt.tzinfo = SHANGHAI,
    now: dt.datetime | None = None,
) -> OutageNotice:
    """变更: the fields ``values`` names, as a new version; a remark says why. An end moved into
    the past is refused as on 发布 (``field_notice_already_ended``): the notice would stay 发布中
    while telling callers of nothing; 提前结束 ends an outage that is over. An outage already over
    (已结束) is history: a new version would publish it again (``notice_ended_not_revised``)."""
    now = now or dt.datetime.now(dt.UTC)
    current = await _writable_current(session, actor, key, values)
    if current.over_by(now):
        raise ActionRefused("notice_ended_not_revised", "this outage has ended: not revised", key=key)
    remark = _remark(values)
    changes = await _cleaned_notice(session, actor, values, tz, current)
    changes.pop("remark", None)
    if "ends_at" in changes and changes["ends_at"] <= now:
        raise FieldErrors({"ends_at": "field_notice_already_ended"})
    return await change_notice(session, actor, key, remark=remark, **changes)


async def withdraw(session: AsyncSession, actor: User, key: str, values: Mapping[str, Any]) -> OutageNotice:
    """撤销: the notice was wrong or the outage called off; a last version, 已删除, says why."""
    _only_remark_and_version(values)
    await _writable_current(session, actor, key, values)
    return await delete_notice(session, actor, key, remark=_remark(values))


async def end_now(
    session: AsyncSession,
    actor: User,
    key: str,
    values: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> OutageNotice:
    """提前结束 (已恢复送电): a new version ending now; callers are no longer told of it."""
    _only_remark_and_version(values)
    current = await _writable_current(session, actor, key, values)
    remark = _remark(values)
    now = now or dt.datetime.now(dt.UTC)
    if current.starts_at >= now:
        raise ActionRefused(
            "notice_not_started", "an outage that has not begun is withdrawn, not ended", key=key
        )
    if current.over_by(now):
        raise ActionRefused("notice_already_ended", "this outage has already ended", key=key)
    return await change_notice(session, actor, key, remark=remark, audit_action="notice.end", ends_at=now)


async def early_ends(session: AsyncSession, notices: Sequence[OutageNotice]) -> dict[str, dt.datetime]:
    """The end each of ``notices`` had before 提前结束, for those that are the version an early
    end made (its ``notice.end`` audit row names it): what 撤销提前结束 puts back. The audit row
    is the record of which version an early end made, so no column repeats it."""
    keys = {n.notice_key: n.version for n in notices if n.state == ACTIVE}
    if not keys:
        return {}
    rows = await session.execute(
        select(AuditLog.entity_id, AuditLog.before, AuditLog.after).where(
            AuditLog.action == "notice.end",
            AuditLog.entity == "outage_notice",
            AuditLog.entity_id.in_(keys),
        )
    )
    out: dict[str, dt.datetime] = {}
    for key, before, after in rows:
        if (after or {}).get("version") == keys[key] and (before or {}).get("ends_at"):
            end = dt.datetime.fromisoformat(before["ends_at"])
            out[key] = end if end.tzinfo else end.replace(tzinfo=dt.UTC)
    return out


async def undo_end(
    session: AsyncSession,
    actor: User,
    key: str,
    values: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> OutageNotice:
    """撤销提前结束: 提前结束 pressed on the wrong outage (rows of one 供电所 look alike) is put
    right by a new version with the end the notice had before, so callers are told of the
    outage again; the ended version stays in the history (变更后) with its remark, and the audit
    has both. Only the version an early end made (``notice_not_ended_early``: an outage that
    ran to its end, or was changed since, is history), and only while that end is still to
    come (``notice_end_passed``: the outage would be over by now anyway)."""
    _only_remark_and_version(values)
    current = await _writable_current(session, actor, key, values)
    remark = _remark(values)
    now = now or dt.datetime.now(dt.UTC)
    planned_end = (await early_ends(session, [current])).get(key)
    if planned_end is None:
        raise ActionRefused("notice_not_ended_early", "this notice was not ended early", key=key)
    if planned_end <= now:
        raise ActionRefused("notice_end_passed", "the end this notice had has passed too", key=key)
    return await change_notice(
        session, actor, key, remark=remark, audit_action="notice.undo_end", ends_at=planned_end
    )


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
    area_code: str = "",
    include_changed: bool = False,
    ended: bool = True,
    now: dt.datetime | None = None,
) -> list[OutageNotice]:
    """Notices overlapping [start, end), by bureau (``site_code``: the notices covering that
    site, see ``_covering``), by a
    place (``area``: in the 停电范围 text or an affected area's name, or an area's code) and by
    an affected area's code exactly (``area_code``, what a caller keyed in), ``area`` in either
    width (``ticketing.widths``: 1号 finds １号); ``ended=False``:
    none that is over by ``now``. Those still on or to come are first, by their start; the
    ended ones after them, so a day's list leads with what callers ask about.
    ``include_changed`` (含变更前): the earlier versions too, and a withdrawn notice's last
    version (已删除, its remark saying why), so a withdrawal reads in the list as such."""
    now = now or dt.datetime.now(dt.UTC)
    states = (ACTIVE, CHANGED, DELETED) if include_changed else (ACTIVE,)
    stmt = select(OutageNotice).where(
        OutageNotice.state.in_(states), OutageNotice.starts_at < end, OutageNotice.ends_at > start
    )
    if not ended:
        stmt = stmt.where(~OutageNotice.over_by(now))
    if site_code:
        path = await session.scalar(select(Site.path).where(Site.code == site_code))
        if path is None:
            return []
        stmt = stmt.where(_covering(path, site_code))
    if area:
        area = fold_width(area)
        # each column its own branch: PostgreSQL looks each up in its index (migration 0029)
        placed = union(
            select(OutageNotice.id).where(folded(OutageNotice.area).contains(area, autoescape=True)),
            select(OutageNoticeArea.notice_id).where(
                folded(OutageNoticeArea.name).contains(area, autoescape=True)
            ),
            select(OutageNoticeArea.notice_id).where(OutageNoticeArea.code == area),
        )
        stmt = stmt.where(OutageNotice.id.in_(placed))
    if area_code:
        coded = select(OutageNoticeArea.id).where(
            OutageNoticeArea.notice_id == OutageNotice.id, OutageNoticeArea.code == area_code
        )
        stmt = stmt.where(coded.exists())
    return list(await session.scalars(stmt.order_by(OutageNotice.over_by(now), OutageNotice.starts_at)))


#: what the screen-pop says of a published notice: no affected areas (a second query), no author
_PUBLISHED_COLUMNS = (
    OutageNotice.notice_key,
    OutageNotice.site_id,
    OutageNotice.area,
    OutageNotice.reason,
    OutageNotice.starts_at,
    OutageNotice.ends_at,
)


async def published_covering(
    session: AsyncSession, site_id: int, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The published (发布中) notices of outages not over by ``now`` that cover the site
    ``site_id`` (``_covering``, the rule of the 供电局 search and of the IVR's lookup by a
    caller's bureau), the soonest first: what the screen-pop tells the agent of a caller's
    site (我家怎么停电了). One query on the notices' (site, start) index: the site's path and
    code come from the cached directory. None for a site not in it."""
    site = (await directory.load(session)).sites.get(site_id)
    if site is None:
        return []
    now = now or dt.datetime.now(dt.UTC)
    stmt = (
        select(*_PUBLISHED_COLUMNS)
        .where(OutageNotice.state == ACTIVE, ~OutageNotice.over_by(now), _covering(site.path, site.code))
        .order_by(OutageNotice.starts_at, OutageNotice.id)
    )
    return [
        {
            "key": row.notice_key,
            "site_id": row.site_id,
            "area": row.area,
            "reason": row.reason,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
        }
        for row in await session.execute(stmt)
    ]


def _covering(path: str, site_code: str) -> Any:
    """The notices that cover the site at ``path``: its own and its sub-sites' (a 局 lists its
    供电所' outages), and those of the sites above it (the dispatch centre enters an outage at
    the 局) unless their affected areas say where: a notice that names areas with codes covers
    the site only if one of them is its code (a 广州 notice naming 天河区 440106 is 天河's, not
    越秀's); one with no coded area (the 停电范围 text alone) covers every site under it. One
    rule for the console's 供电局 search and the IVR's lookup by a site's code."""
    below = OutageNotice.site_id.in_(select(Site.id).where(Site.path.startswith(path)))
    above = [int(i) for i in path.strip("/").split("/")[:-1]]
    if not above:
        return below
    coded = select(OutageNoticeArea.id).where(
        OutageNoticeArea.notice_id == OutageNotice.id, OutageNoticeArea.code != ""
    )
    names_it = coded.where(OutageNoticeArea.code == site_code)
    return or_(below, and_(OutageNotice.site_id.in_(above), or_(~coded.exists(), names_it.exists())))


def _notice_json(n: OutageNotice) -> dict[str, Any]:
    return {
        "key": n.notice_key,
        "version": n.version,
        "state": n.state,
        "site_id": n.site_id,
        "area": n.area,
        "affected_areas": [area_view(a) for a in n.areas],
        "reason": n.reason,
        "starts_at": n.starts_at.isoformat(),
        "ends_at": n.ends_at.isoformat(),
        "remark": n.remark,
    }


notice_json = _notice_json


def notice_state(n: OutageNotice, now: dt.datetime) -> str:
    """What a version is at ``now``: its stored state, but a published one that is over reads
    已结束 (``ENDED``): not sent, not revised, not told by the IVR."""
    return ENDED if n.state == ACTIVE and n.over_by(now) else n.state


def notice_view(n: OutageNotice, now: dt.datetime) -> dict[str, Any]:
    """A version as the console shows it at ``now`` (the audit rows keep the stored state)."""
    return {**_notice_json(n), "state": notice_state(n, now)}


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
