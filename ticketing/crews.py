"""Repair crews (抢修班组): the register, and a crew picked for an order at 派工.

A crew has no login (DOMAIN § 1): the dispatcher picks it from this register and phones its
leader, who reports arrival and completion by phone. A workflow field of type ``crew`` is the
picker (``fills: {people: 抢修人员, phone: 班组电话, vehicle: 车辆}`` names the order's fields
the pick fills: who goes out, the leader and members, not the crew's name, which the picker
itself keeps). The order keeps what the crew was when picked: the field holds a snapshot (id,
name, leader, phone, vehicle) and each pick is a ``CrewDispatch`` row, so renaming a crew or
changing its vehicle later rewrites no order's history.

A crew belongs to a site: a bureau (供电局) or one of its 供电所. It takes the orders of its
bureau (the level below the root, as ``directory.serving_sites`` reads the tree); a crew of the
root serves every bureau. A crew that orders were dispatched to can be disabled (停用), never
deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cti.phones import InvalidPhoneNumber, checked
from ticketing import directory, users
from ticketing.audit import record, record_change
from ticketing.errors import ActionRefused, FieldErrors, clean_texts, require_admin
from ticketing.ids import fetch, is_id, known, whole
from ticketing.models import Crew, CrewDispatch, User, WorkOrder
from ticketing.sites import site_problem

_EDITABLE = ("name", "leader", "phones", "members", "vehicle", "site_id", "sort")
_SPLIT = re.compile(r"[,，;；、\s]+")
_SPLIT_PHONES = re.compile(r"[,，;；、]+")  # a number may be written with spaces: 020 8888 6666


def view(c: Crew) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "leader": c.leader,
        "phones": list(c.phones or []),
        "members": list(c.members or []),
        "vehicle": c.vehicle,
        "site_id": c.site_id,
        "active": c.active,
        "sort": c.sort,
    }


def people(c: Crew) -> str:
    """Who a crew sends out, in words: its leader, then its members, each once (杨班长、周伟、徐芳),
    what a form's 抢修人员 asks for (the crew's name is the picker's own value). A crew registered
    with nobody named: its name, all there is to say who went."""
    return "、".join(dict.fromkeys(p for p in (c.leader, *(c.members or [])) if p)) or c.name


def snapshot(c: Crew) -> dict[str, Any]:
    """What an order keeps of the crew it was dispatched to (the ``crew`` field's value)."""
    return {
        "id": c.id,
        "name": c.name,
        "leader": c.leader,
        "phone": (c.phones or [""])[0],
        "vehicle": c.vehicle,
        "members": "、".join(c.members or []),
    }


def text(value: Mapping[str, Any]) -> str:
    """A crew as an order keeps it, in words (the print page): 天河抢修班（张强 13800001111，粤A·12345）."""
    about = " ".join(str(value.get(k) or "") for k in ("leader", "phone")).strip()
    rest = "，".join(p for p in (about, str(value.get("vehicle") or "")) if p)
    name = str(value.get("name") or "")
    return f"{name}（{rest}）" if rest else name


def crew_id(value: Any) -> int | None:
    """The crew a ``crew`` field's value names: an id (what a client sends), or a stored
    snapshot's id; None for anything else."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if is_id(value) else None


def _list(raw: Any, split: re.Pattern[str] = _SPLIT) -> list[str] | None:
    """A list of texts from a list or from text split at commas, 、 or spaces; None: not texts."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [p.strip() for p in split.split(raw) if p.strip()]
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return [p.strip() for p in raw if p.strip()]
    return None


def _phones(raw: Any) -> tuple[list[str], str]:
    """The numbers normalized (as the contractors' are), without repeats, or the problem."""
    numbers = _list(raw, _SPLIT_PHONES)
    if numbers is None:
        return [], "field_not_text"
    # a crew is phoned from outside: a contact number (cti.phones.checked: a mobile, a landline),
    # never an extension, a short code or a mobile a digit short
    try:
        phones = list(dict.fromkeys(checked(p) for p in numbers))
    except InvalidPhoneNumber as bad:
        return [], bad.problem
    return phones, ""


async def _cleaned(session: AsyncSession, values: Mapping[str, Any], current: Crew | None) -> dict[str, Any]:
    """The register's values from an admin's input, or FieldErrors naming each bad field."""
    problems: dict[str, str] = {}
    for name in set(values) - set(_EDITABLE):
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(values, {"name": 100, "leader": 64, "vehicle": 64}, problems)
    if ("name" in values or current is None) and not out.get("name") and "name" not in problems:
        problems["name"] = "field_required"
    if "phones" in values:
        phones, problem = _phones(values["phones"])
        if problem:
            problems["phones"] = problem
        else:
            out["phones"] = phones
    if "members" in values:
        members = _list(values["members"])
        if members is None or any(len(m) > 64 for m in members) or len(members) > 50:
            problems["members"] = "field_not_text" if members is None else "field_too_long"
        else:
            out["members"] = list(dict.fromkeys(members))
    if "site_id" in values or current is None:
        site_id = values.get("site_id")
        if site_id in (None, ""):
            problems["site_id"] = "field_required"  # a crew is some bureau's
        elif problem := await site_problem(session, site_id, current.site_id if current else None):
            problems["site_id"] = problem
        else:
            out["site_id"] = site_id
    if "sort" in values:
        if not whole(values["sort"]):
            problems["sort"] = "field_not_number"
        else:
            out["sort"] = values["sort"]
    if "name" not in problems and "site_id" not in problems:
        name = out.get("name", current.name if current else "")
        site_id = out.get("site_id", current.site_id if current else None)
        taken = await session.scalar(
            select(Crew.id).where(
                Crew.name == name, Crew.site_id == site_id, Crew.id != (current.id if current else -1)
            )
        )
        if taken is not None:
            problems["name"] = "field_duplicate"
    if problems:
        raise FieldErrors(problems)
    return out


async def create(session: AsyncSession, actor: User | None, values: Mapping[str, Any]) -> Crew:
    require_admin(actor, "change the crew register")
    row = Crew(**{"phones": [], "members": [], **await _cleaned(session, values, None)})
    session.add(row)
    await session.flush()
    await record(session, actor, "crew.create", "crew", row.id, after=view(row))
    return row


async def get(session: AsyncSession, crew: int) -> Crew:
    return await known(session, Crew, crew, "crew", "crew")


async def update_crew(
    session: AsyncSession, actor: User | None, crew: int, values: Mapping[str, Any]
) -> Crew:
    require_admin(actor, "change the crew register")
    row = await get(session, crew)
    changes = await _cleaned(session, values, row)
    await record_change(session, actor, row, changes, view, "crew.update", "crew")
    return row


async def set_active(session: AsyncSession, actor: User | None, crew: int, active: bool) -> Crew:
    """停用 / 启用: a disabled crew keeps its orders' history but is picked for no new one."""
    require_admin(actor, "change the crew register")
    row = await get(session, crew)
    action = "crew.enable" if active else "crew.disable"
    await record_change(session, actor, row, {"active": active}, view, action, "crew")
    return row


async def delete(session: AsyncSession, actor: User | None, crew: int) -> None:
    """Only a crew no order was ever dispatched to; otherwise disable it."""
    require_admin(actor, "change the crew register")
    row = await get(session, crew)
    if await session.scalar(select(exists().where(CrewDispatch.crew_id == row.id))):
        raise ActionRefused(
            "crew_in_use",
            f"orders were dispatched to {row.name}: disable it instead",
            crew=row.id,
            name=row.name,
        )
    await record(session, actor, "crew.delete", "crew", row.id, before=view(row))
    await session.delete(row)
    await session.flush()


async def listing(session: AsyncSession, *, active_only: bool = False) -> list[Crew]:
    """The register in display order (sort, then name)."""
    stmt = select(Crew).order_by(Crew.sort, Crew.name, Crew.id)
    if active_only:
        stmt = stmt.where(Crew.active.is_(True))
    return list(await session.scalars(stmt))


def _bureau(path: str) -> str:
    """The bureau a site path lies in: its first two levels (``/1/2/5/`` → ``/1/2/``); the root
    is its own."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/"


def _refusal(crew: Crew, crew_path: str | None, order_path: str | None) -> str | None:
    """Why ``crew`` may not be dispatched to an order at ``order_path``, or None."""
    if not crew.active:
        return "crew_inactive"
    if order_path is None or crew_path is None:
        # an order without a site (none named yet) lies in no bureau to compare with
        return None if crew_path is not None else "crew_other_bureau"
    return None if serves(crew_path, {_bureau(order_path)}) else "crew_other_bureau"


def serves(crew_path: str | None, bureaus: set[str]) -> bool:
    """Whether a crew at ``crew_path`` takes orders of one of ``bureaus`` (``_bureau`` paths): a
    crew of the root (``/<id>/``, HQ) serves every bureau, any other its own."""
    if crew_path is None:
        return False
    return crew_path.count("/") == 2 or _bureau(crew_path) in bureaus


async def visible(session: AsyncSession, user: User, *, active_only: bool = False) -> list[Crew]:
    """The register in display order (``listing``) as ``user`` may read it: as far as their data
    scope reaches, as their orders do.

    A crew's leader, phones, members and vehicle are a bureau's own: a handler of 深圳 who may not
    open a 广州 order (``engine.load_order``: 403) may not list 广州's crews either. The rule is the
    orders' (``users.scope_paths``): an admin, or whoever sees every site (the 95598 centre's
    agents at HQ, who take calls for every bureau), reads every crew; anyone else the crews that
    may take an order their scope covers, by the register's own rule (``serves``): those of their
    bureaus, their 供电所's and the other 所's of the same bureau (dispatched on request,
    本局全部班组), and the root's."""
    paths = await users.scope_paths(session, user)
    rows = await listing(session, active_only=active_only)
    if paths is None:
        return rows
    known_sites = await directory.load(session)
    bureaus = {_bureau(p) for p in paths}
    return [c for c in rows if serves(known_sites.site_path(c.site_id), bureaus)]


async def candidates(session: AsyncSession, site_id: int | None, *, whole_bureau: bool = False) -> list[Crew]:
    """The active crews an order at ``site_id`` may be dispatched to, in display order: those of
    its own site and the sites above it (a 供电所's order: the 所's crews and its bureau's), or
    with ``whole_bureau`` every crew of its bureau (the other 供电所's too, on request)."""
    known_sites = await directory.load(session)
    order_path = known_sites.site_path(site_id)
    rows = []
    for crew in await listing(session, active_only=True):
        path = known_sites.site_path(crew.site_id)
        if _refusal(crew, path, order_path) is not None:
            continue
        if whole_bureau or order_path is None or (path is not None and order_path.startswith(path)):
            rows.append(crew)
    return rows


async def why_not(session: AsyncSession, value: Any, site_id: int | None) -> str | None:
    """Why the crew a form names (``value``: its id) may not take an order at ``site_id``:
    ``crew_unknown``, ``crew_inactive``, ``crew_other_bureau``; None when it may."""
    row = await fetch(session, Crew, crew_id(value))
    if row is None:
        return "crew_unknown"
    known_sites = await directory.load(session)
    return _refusal(row, known_sites.site_path(row.site_id), known_sites.site_path(site_id))


def _changed(definition: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The crew fields given another crew (a value kept as it was is not checked again)."""
    return [
        name
        for name, spec in definition.fields.items()
        if (spec or {}).get("type") == "crew"
        and crew_id(after.get(name)) is not None
        and crew_id(after.get(name)) != crew_id(before.get(name))
    ]


async def picked(
    session: AsyncSession,
    definition: Any,
    node: Any,
    before: Mapping[str, Any],
    after: dict[str, Any],
    site_id: int | None,
) -> dict[str, str]:
    """Check each crew newly picked in ``after`` (the form as changed) for an order at
    ``site_id`` and, for one it may take, store its snapshot in the field and fill the fields
    its ``fills`` names (those editable here that this save does not set itself: what the
    dispatcher typed over the pick stands). Returns the problem of each crew refused."""
    problems: dict[str, str] = {}
    for name in _changed(definition, before, after):
        refusal = await why_not(session, after[name], site_id)
        if refusal is not None:
            problems[name] = refusal
            continue
        crew = await session.get(Crew, crew_id(after[name]))
        shot = snapshot(crew)
        after[name] = shot
        # what a pick fills: the snapshot's parts and who goes out (people, not kept: the
        # snapshot has its leader and members)
        parts = {**shot, "people": people(crew)}
        for part, target in ((definition.fields[name] or {}).get("fills") or {}).items():
            if definition.permission(node, target) not in ("editable", "required"):
                continue
            if after.get(target) not in (None, "") and after.get(target) != before.get(target):
                continue
            limit = (definition.fields.get(target) or {}).get("max_length")
            # a crew of many is not cut short: what does not fit is the dispatcher's to word
            if parts.get(part) and not (limit and len(parts[part]) > limit):
                after[target] = parts[part]
    return problems


async def record_picks(
    session: AsyncSession,
    user: User | None,
    order: WorkOrder,
    definition: Any,
    node: Any,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[CrewDispatch]:
    """A ``CrewDispatch``, an opinion ``dispatch_crew`` naming the crew on the order's 处理过程
    (天河抢修班（杨班长 13601010000，粤A·Q1111）, as 外委派工 names its contractor: the status
    已派工 alone said not to whom) and an audit row for each crew ``picked`` (call once the save
    is sure)."""
    from ticketing.workflow.steps import add_comment  # the workflow's steps import this module

    rows = []
    for name in _changed(definition, before, after):
        shot = after[name]
        row = CrewDispatch(
            order_id=order.id,
            crew_id=shot["id"],
            field=name,
            node=node.id,
            name=shot["name"],
            leader=shot["leader"],
            phone=shot["phone"],
            vehicle=shot["vehicle"],
            dispatched_by_id=user.id if user else None,
        )
        session.add(row)
        rows.append(row)
        await add_comment(session, order, user, "dispatch_crew", text(shot), crew=shot["id"], field=name)
        await record(
            session, user, "order.dispatch_crew", "work_order", order.id, after={"field": name, **shot}
        )
    return rows
