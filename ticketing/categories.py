"""Business categories (业务大类别 / 小类别), configurable per site; never deleted, only disabled."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.audit import record
from ticketing.cached import Cache
from ticketing.errors import ActionRefused, NotFound, require_admin
from ticketing.models import Category, Site, User, WorkOrder
from ticketing.numbering import validate_new_pattern


@dataclass(frozen=True, slots=True)
class Entry:
    """One category row as intake and the order check read it (a plain value: cached and
    shared between requests, never a session's row)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    site_id: int | None
    workflow_key: str
    form_schema: dict[str, Any]
    enabled: bool = True
    #: a 大类别 intake offers; false: one the system alone makes (协调单: 派工超时转协调单)
    at_intake: bool = True


@dataclass(frozen=True, slots=True)
class Offered:
    """A 大类别 offered to a site, with its 小类别 offered there, each in their order."""

    top: Entry
    children: tuple[Entry, ...]


async def _load_entries(session: AsyncSession, _key: Any) -> tuple[Entry, ...]:
    rows = await session.execute(
        select(
            Category.id,
            Category.code,
            Category.name,
            Category.parent_id,
            Category.site_id,
            Category.workflow_key,
            Category.form_schema,
            Category.enabled,
            Category.at_intake,
        ).order_by(Category.sort, Category.id)
    )
    return tuple(
        Entry(
            id,
            code,
            name,
            parent,
            site,
            workflow or "",
            form or {},
            enabled is not False,
            intake is not False,
        )
        for id, code, name, parent, site, workflow, form, enabled, intake in rows
    )


#: every category row (enabled or not), by sort: read on each new order (``offer_problems``)
_entries: Cache[tuple[Entry, ...]] = Cache("category.entries", (Category,), _load_entries)


def _nearest(entries: Sequence[Entry], lineage: Sequence[int]) -> tuple[dict[str, Entry], dict[str, int]]:
    """Of ``entries`` (every row, by sort), the row of each code a site of ``lineage`` (the
    site, then the sites above it: ``Directory.lineage``) is offered, enabled or not, and each
    code's place in the list (its farthest row's: the shared one's where it has one)."""
    rank = {site: i for i, site in enumerate(lineage)}
    shared = len(lineage)
    chosen: dict[str, Entry] = {}
    chosen_rank: dict[str, int] = {}
    place: dict[str, tuple[int, int]] = {}  # code → (the farthest row's rank, its index)
    for i, e in enumerate(entries):
        r = shared if e.site_id is None else rank.get(e.site_id)
        if r is None:
            continue  # another branch's own: never offered here
        if e.code not in chosen or r < chosen_rank[e.code]:
            chosen[e.code], chosen_rank[e.code] = e, r
        if e.code not in place or r > place[e.code][0]:
            place[e.code] = (r, i)
    return chosen, {code: i for code, (_r, i) in place.items()}


def _offer(entries: Sequence[Entry], lineage: Sequence[int]) -> list[Offered]:
    """The categories a site's users are offered, of ``entries`` (every row, by sort), the site
    being the first of ``lineage`` (the site, then the sites above it, nearest first).

    * A shared category (``site_id`` null) is every site's; a site's own (``site_id`` set) is
      that site's and the sites' below it (a 供电局's is its 供电所's too): another branch's
      own is never offered.
    * A row with the code of a farther one (shared, or a site's above) is that level's
      override: the nearest level's row decides the code there (name, workflow, form), in the
      farthest one's place in the list: the site's own > its parent's > … > the shared one.
    * A 停用 row hides its code at its level and below, unless a nearer level has an enabled
      row of it (a 供电局's 停用 override of a shared category: its 供电所 are not offered it).
    * A 小类别 belongs under its parent's code, whichever row of it the site is offered: the
      shared 小类别 stay under an override of their 大类别, and a site's own 小类别 may hang
      under a shared or a higher site's 大类别. One under another branch's category is not
      offered, nor one whose 大类别 is 停用 (or hidden) at the site."""
    by_id = {e.id: e for e in entries}
    levels = set(lineage)
    chosen, place = _nearest(entries, lineage)
    ranked = sorted((e for e in chosen.values() if e.enabled), key=lambda e: place[e.code])
    tops = {e.code: e for e in ranked if e.parent_id is None}
    children: dict[str, list[Entry]] = {code: [] for code in tops}
    for e in ranked:
        parent = by_id.get(e.parent_id) if e.parent_id is not None else None
        if parent is None or parent.code not in tops:
            continue
        if parent.site_id is not None and parent.site_id not in levels:
            continue
        children[parent.code].append(e)
    return [Offered(top, tuple(children[code])) for code, top in tops.items()]


@dataclass(frozen=True, slots=True)
class _Offer:
    """What a site is offered, as the order check reads it (``_offer_at``)."""

    tops: tuple[Offered, ...]
    tree: dict[str, Offered]  # by 大类别 code
    children: frozenset[str]  # every 小类别 code offered, under whichever 大类别
    enabled: frozenset[str]  # the codes with an enabled row anywhere
    codes: frozenset[str]  # every code with a row
    configured: bool  # any enabled 大类别 at all


#: (the category rows' tuple, a lineage) → what it offers: every new order is checked (the
#: engine's create_order), so it is worked out once per cached load of the rows and site, not per
#: order; the rows' tuple is kept with it, so a key whose id was reused never matches
_offers: dict[tuple[int, tuple[int, ...]], tuple[tuple[Entry, ...], _Offer]] = {}


def _offer_at(entries: tuple[Entry, ...], lineage: tuple[int, ...]) -> _Offer:
    key = (id(entries), lineage)
    hit = _offers.get(key)
    if hit is not None and hit[0] is entries:
        return hit[1]
    tops = tuple(_offer(entries, lineage))
    made = _Offer(
        tops,
        {o.top.code: o for o in tops},
        frozenset(c.code for o in tops for c in o.children),
        frozenset(e.code for e in entries if e.enabled),
        frozenset(e.code for e in entries),
        any(e.enabled and e.parent_id is None for e in entries),
    )
    if len(_offers) >= 512:
        _offers.clear()  # old loads' and rarely seen sites': worked out again when asked
    _offers[key] = (entries, made)
    return made


async def lineage(session: AsyncSession, site_id: int | None) -> tuple[int, ...]:
    """``site_id`` and the sites above it, nearest first (cached: ``directory.load``)."""
    from ticketing import directory  # the directory's caches are set up beside this one's

    return (await directory.load(session)).lineage(site_id)


async def offered(session: AsyncSession, site_id: int | None, *, intake: bool = True) -> list[Offered]:
    """The enabled 大类别 (with their 小类别) offered to users of ``site_id`` (``_offer``: the
    shared ones and those of the site and the sites above it, the nearest level's winning):
    what intake (``GET /api/intake``) lists and what every new order's category is checked
    against (``offer_problems``); with ``intake``, less those intake does not offer
    (``at_intake`` false, the nearest level's row deciding: 协调单, which only 派工超时转协调单
    makes). Read from caches: no query once they are warm."""
    tops = _offer_at(await _entries.get(session), await lineage(session, site_id)).tops
    return [o for o in tops if o.top.at_intake or not intake]


async def intake_problems(
    session: AsyncSession, site_id: int | None, category: str, subcategory: str
) -> dict[str, str]:
    """What an agent's new order (the seat's intake, 新建工单 from the inbox) may not have, of
    what ``site_id`` (the agent's) is offered: a 大类别 intake does not offer (``at_intake``
    false: 协调单) is ``field_category_not_at_intake``; one with 小类别 offered there and none
    picked is ``subcategory`` ``field_required`` (``subcategory_problems``). A category not
    offered at all is left to ``offer_problems``."""
    offer = _offer_at(await _entries.get(session), await lineage(session, site_id))
    here = offer.tree.get(category)
    if here is None:
        return {}
    if not here.top.at_intake:
        return {"category": "field_category_not_at_intake"}
    return await subcategory_problems(session, site_id, category, subcategory)


async def subcategories(session: AsyncSession, site_id: int | None, category: str) -> tuple[Entry, ...]:
    """The 小类别 of ``category`` offered at ``site_id``, in their order (none: it has none there)."""
    offer = _offer_at(await _entries.get(session), await lineage(session, site_id))
    here = offer.tree.get(category)
    return here.children if here is not None else ()


async def subcategory_problems(
    session: AsyncSession, site_id: int | None, category: str, subcategory: str | None
) -> dict[str, str]:
    """The one 小类别 rule: an order in a ``category`` with 小类别 offered at ``site_id`` names one,
    a blank one being ``subcategory`` ``field_required`` (a blank 小类别 was saved, and the
    category lock at 派工 kept it blank in the reports). Held to it: an agent's pick at intake
    (``intake_problems``), an agent's new order sent on past its create step (POST /api/orders
    with ``submit``), the create step's 提交 (an order the IVR's 故障报修留言 opened names none) and
    a category changed before 派工 (``actions.change_category``)."""
    if (subcategory or "").strip() or not await subcategories(session, site_id, category):
        return {}
    return {"subcategory": "field_required"}


async def any_configured(session: AsyncSession) -> bool:
    """Whether any enabled 大类别 exists, at any site (none: intake offers each workflow)."""
    return any(e.enabled and e.parent_id is None for e in await _entries.get(session))


async def offer_problems(
    session: AsyncSession,
    site_id: int | None,
    workflow: str,
    category: str,
    subcategory: str = "",
    *,
    implied: bool = False,
) -> dict[str, str]:
    """The problem of a new order at ``site_id`` in a category not offered there (``offered``;
    the engine's ``create_order`` checks every new order so, whoever makes it). Another
    branch's own 大类别 or 小类别, or one 停用 at the site or a level above it (while enabled
    somewhere), is ``field_category_not_offered``, as is a farther level's 大类别 on a workflow
    the site's nearer one of that code replaced. A category offered to the site but on another
    workflow, or a 小类别 offered but not under it, is ``field_bad_option`` (as the engine
    says); unknown codes are left to the engine's check (``ticketing.workflow.engine``), as is
    everything when no category is configured.

    ``implied``: ``category`` is the workflow's own, the order's category when the request
    named none (an IVR fault report, a follow-up complaint): it is then refused when it has
    rows but is not offered at the site (another branch's own, or 停用 here or everywhere: the
    engine checks no implied category itself); offered on another workflow, it is let be."""
    entries = await _entries.get(session)
    levels = await lineage(session, site_id)
    offer = _offer_at(entries, levels)
    if not offer.configured:
        return {}  # nothing configured: intake offers each workflow
    here = offer.tree.get(category)
    if category and here is None:
        if category in offer.enabled or (implied and category in offer.codes):
            return {"category": "field_category_not_offered"}
    if subcategory and subcategory in offer.enabled and subcategory not in offer.children:
        return {"subcategory": "field_category_not_offered"}
    if here is None or implied:
        return {}  # none named, or no such category: the engine's own check
    if here.top.workflow_key != workflow:
        mine = set(levels)
        replaced = any(
            e.code == category
            and e.enabled
            and e.workflow_key == workflow
            and (e.site_id is None or e.site_id in mine)
            for e in entries
        )
        return {"category": "field_category_not_offered" if replaced else "field_bad_option"}
    if subcategory and subcategory not in {c.code for c in here.children}:
        return {"subcategory": "field_bad_option"}
    return {}


async def not_offered(
    session: AsyncSession, error_id: str, site_id: int | None, category: str, what: str
) -> ActionRefused:
    """The refusal of an order the system makes (a visit-back's complaint, a step's follow-up)
    in ``category`` where ``site_id`` (the order's site, not the user's) is not offered it:
    ``error_id`` with the category's name (the row the site is, or was, offered: its nearest
    level's, else any) and the site's, for a message naming both."""
    from ticketing import directory

    known = await directory.load(session)
    entries = await _entries.get(session)
    nearest, _ = _nearest(entries, known.lineage(site_id))
    row = nearest.get(category) or next(
        (e for e in entries if e.code == category and e.parent_id is None), None
    )
    site = await session.get(Site, site_id) if site_id is not None else None
    name = row.name if row is not None else category
    site_name = site.name if site is not None else ""
    return ActionRefused(
        error_id,
        f"{what}: category {name} ({category}) is not offered at {site_name or 'the order site'}",
        category=category,
        category_name=name,
        site=site.code if site is not None else "",
        site_name=site_name,
    )


def named_at(named: Mapping[tuple[str, int | None], str], code: str, levels: Sequence[int]) -> str | None:
    """The name of ``code`` at the first site of ``levels`` (it and the sites above it), of
    ``named`` ((code, site_id) → name): the nearest level's row's, else the shared one's, as
    ``offered`` names it there; None when no such row has one."""
    for site_id in levels:
        name = named.get((code, site_id))
        if name:
            return name
    return named.get((code, None))


async def category_tree(session: AsyncSession, site_id: int | None = None) -> list[dict[str, Any]]:
    """Enabled top categories with their children as offered to ``site_id`` (``offered``: the
    shared ones and those of the site and the sites above it, the nearest level's winning),
    those intake does not offer included (协调单: the registers pick it)."""
    return [
        {
            "code": o.top.code,
            "name": o.top.name,
            "workflow": o.top.workflow_key,
            "children": [{"code": c.code, "name": c.name, "form": c.form_schema} for c in o.children],
        }
        for o in await offered(session, site_id, intake=False)
    ]


async def add_category(
    session: AsyncSession,
    actor: User,
    code: str,
    name: str,
    *,
    parent_code: str | None = None,
    site_id: int | None = None,
    workflow_key: str = "",
    number_pattern: str = "",
    form_schema: dict[str, Any] | None = None,
) -> Category:
    require_admin(actor, "configure categories")
    if number_pattern:
        validate_new_pattern(number_pattern)
        from ticketing.workflow.store import number_clashes  # the store lists categories itself

        clashing = await number_clashes(session, number_pattern, category=code)
        if clashing:
            raise ActionRefused("number_pattern_clash", clashing[0][1], pattern=number_pattern)
    clash = await session.scalar(
        select(Category.id).where(
            Category.code == code,
            Category.site_id.is_(None) if site_id is None else Category.site_id == site_id,
        )
    )
    if clash:
        raise ActionRefused("category_exists", f"category {code!r} already exists here")
    parent = None
    if parent_code:
        # the 大类别 of that code the site is offered: its own, else the nearest level's above
        # it, else the shared one (never another branch's)
        levels = await lineage(session, site_id)
        rank = {site: i for i, site in enumerate(levels)}
        parents = await session.scalars(
            select(Category).where(
                Category.code == parent_code,
                or_(Category.site_id.is_(None), Category.site_id.in_(levels)),
            )
        )
        parent = min(parents, key=lambda p: rank.get(p.site_id, len(levels)), default=None)
        if parent is None:
            raise NotFound(f"no category {parent_code!r}", entity="category", key=parent_code)
    row = Category(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        site_id=site_id,
        workflow_key=workflow_key or (parent.workflow_key if parent else ""),
        number_pattern=number_pattern,
        form_schema=form_schema or {},
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        # another admin added this code (here) between the check above and this insert: said
        # as the check says it (the caller's transaction is spent, as after any failed flush)
        raise ActionRefused("category_exists", f"category {code!r} already exists here") from None
    await record(session, actor, "category.add", "category", row.id, after={"code": code, "site_id": site_id})
    return row


async def disable_category(session: AsyncSession, actor: User, category: Category) -> None:
    """停用: orders and reports keep referring to it, so it is never deleted."""
    require_admin(actor, "configure categories")
    category.enabled = False
    await record(session, actor, "category.disable", "category", category.id, after={"enabled": False})


# -- what an order's per-category configuration is looked up by ------------------------------
# An order keeps the 业务大类别 the agent picked (协调单 → coordination, 用户信息查询 → query), and
# several categories share a workflow (coordination runs on fault_repair, whose own category is
# fault). Templates, contractors' categories, survey dimensions and print templates are mostly
# set up for the workflow's category only, so each lookup falls back to it: the picked
# category's own setting wins, the workflow's applies where the category has none. Orders
# converted by 派工超时转协调单 (coordination on the fault flow) fall back alike.
#
# What "has none" means depends on the setting:
# * automatic and manual message templates (SMS, email, fax letters; a contractor's): per step,
#   channel and audience, the category's own if it has any there, else the workflow's
#   (``own_first`` over rows of ``config_categories``);
# * survey dimensions (one coherent questionnaire): the first category that has any;
# * contractors: a contractor serving either category may take the order (a register entry
#   names the categories it serves; a 协调单 is the fault flow's work either way);
# * print templates: ranked subcategory, category, the workflow's category, then any category.


class _Categorised(Protocol):
    @property
    def category(self) -> str: ...


T = TypeVar("T", bound=_Categorised)


async def config_categories(session: AsyncSession, order: WorkOrder) -> tuple[str, ...]:
    """The category codes ``order``'s configuration is looked up by, most specific first: its
    own category, then its workflow's category when that differs (协调单: coordination, fault).
    Cached: the workflow definition comes from ``store.definition_for``'s per-database cache,
    so on a step's hot path this costs no query once the definition was read."""
    from ticketing.workflow import store  # the store lists the category tree from here

    definition = await store.definition_for(session, order.workflow_id)
    return tuple(dict.fromkeys(c for c in (order.category, definition.category) if c))


def own_first(rows: Iterable[T], keys: Sequence[str], group: Callable[[T], Hashable]) -> list[T]:
    """Of ``rows`` (each with a ``category`` among ``keys``), those of the most specific category
    that has any in each ``group`` (e.g. a template's step, channel and audience), in their order:
    a category's own template replaces its workflow's for that step and channel, and the
    workflow's still applies to the others."""
    rows = list(rows)
    rank = {key: i for i, key in enumerate(keys)}
    best: dict[Hashable, int] = {}
    for row in rows:
        g = group(row)
        best[g] = min(best.get(g, len(keys)), rank.get(row.category, len(keys)))
    return [r for r in rows if rank.get(r.category, len(keys)) == best[group(r)]]
