"""Who may act at a node: operator rules in batches (the first batch with a match wins).

Keys inside one rule combine with AND:
``role`` (a role or list), ``user`` (工号 or list), ``department`` (code),
``creator`` / ``creator_manager`` (true), ``site_field`` (a form field holding a
site code: users based at that site or a site above it short of the root, e.g. 所属供电局
→ that bureau's handlers; an outlet → its own and its bureau's),
``field_user`` (a form field holding a 工号), ``previous`` (a node id: whoever
acted there last), ``in_scope`` (default true: only users whose data scope covers the
order's site, who can open it; a rule naming a person, ``previous``/``creator``/``user``…,
too: a complaint raised from a visit-back by an agent of another bureau does not go back
to them at 办结, ``steps.operators_for`` gives it to the order's team leaders instead).

Users, sites and departments come from the cached ``ticketing.directory``; only the
rules about this order's own history (``previous``, ``current_handlers``) query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing import directory
from ticketing.directory import Directory, Person, in_id_order
from ticketing.models import Assignment, Comment, WorkOrder

ACTING = ("submit", "approve", "create")


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _covers(person: Person, site_path: str | None) -> bool:
    if person.has_role("admin") or site_path is None:
        return True
    return any(p.count("/") == 2 or site_path.startswith(p) for p in person.scope)


async def match_rule(
    session: AsyncSession,
    people: Directory,
    rule: Mapping[str, Any],
    order: WorkOrder,
    site_path: str | None,
    form: Mapping[str, Any] | None = None,
    acting: tuple[str, int] | None = None,
    people_in_scope: bool = True,
) -> list[Person]:
    """``people_in_scope`` false: a rule without ``role``/``department`` (a named person) is not
    held to the order's data scope unless it says ``in_scope: true``: whether the rules name anybody at all, in scope or not."""
    form = order.form if form is None else form
    found = _candidates(people, rule, order, form)
    if "role" in rule:
        roles = _as_list(rule["role"])
        found = [u for u in found if u.has_role(*roles)]
    if "user" in rule:
        staff = set(_as_list(rule["user"]))
        found = [u for u in found if u.staff_no in staff]
    if "department" in rule:
        ids = {people.departments[c] for c in _as_list(rule["department"]) if c in people.departments}
        found = [u for u in found if u.department_id in ids]
    if rule.get("creator"):
        found = [u for u in found if u.id == order.created_by_id]
    if rule.get("creator_manager"):
        manager_id = _creator_manager(people, order)
        found = [u for u in found if u.id == manager_id]
    if "site_field" in rule:
        serving = _serving(people, rule, form)
        found = [u for u in found if u.site_id in serving]
    if "field_user" in rule:
        staff_no = form.get(rule["field_user"])
        found = [u for u in found if staff_no and u.staff_no == str(staff_no)]
    if "previous" in rule and acting is not None and acting[0] == rule["previous"]:
        # The step being completed right now: its operator has not been written down yet.
        found = [u for u in found if u.id == acting[1]]
    elif "previous" in rule:
        last = await session.scalar(
            select(Comment.user_id)
            .where(Comment.order_id == order.id, Comment.node == rule["previous"], Comment.action.in_(ACTING))
            .order_by(Comment.id.desc())
            .limit(1)
        )
        found = [u for u in found if u.id == last]
    if rule.get("current_handlers"):
        pending = set(
            await session.scalars(
                select(Assignment.user_id).where(
                    Assignment.order_id == order.id, Assignment.state == "pending"
                )
            )
        )
        found = [u for u in found if u.id in pending]
    if rule.get("in_scope", people_in_scope or "role" in rule or "department" in rule):
        found = [u for u in found if _covers(u, site_path)]
    return in_rule_order(rule, found)


def in_rule_order(rule: Mapping[str, Any], found: list[Person]) -> list[Person]:
    """The order a rule gives its users, which a ``sequential`` step follows (``Assignment.seq``):
    a ``user:`` list as written (``[3001, 2001]``: 3001 first); any other rule (role, department,
    site_field…, which match a set) by 工号, shortest first (1001 before 2001 before 10001)."""
    if len(found) < 2:
        return found
    if "user" in rule:
        listed: dict[str, int] = {}
        for i, staff_no in enumerate(_as_list(rule["user"])):
            listed.setdefault(staff_no, i)
        return sorted(found, key=lambda u: listed.get(u.staff_no, len(listed)))
    return sorted(found, key=staff_order)


def staff_order(person: Person) -> tuple[int, str, int]:
    return (len(person.staff_no), person.staff_no, person.id)


def _candidates(
    people: Directory, rule: Mapping[str, Any], order: WorkOrder, form: Mapping[str, Any]
) -> list[Person]:
    """The active users the rule can match at most, from the narrowest index it names (id
    order, as ``people.active``); ``match_rule`` then applies every key as before and puts
    them in the rule's order (``in_rule_order``)."""
    if "user" in rule:
        return in_id_order(people.active_by_staff_no.get(s) for s in _as_list(rule["user"]))
    if "field_user" in rule:
        return in_id_order([people.active_by_staff_no.get(str(form.get(rule["field_user"]) or ""))])
    if rule.get("creator"):
        creator = people.people.get(order.created_by_id) if order.created_by_id is not None else None
        return in_id_order([creator if creator is not None and creator.active else None])
    if "role" in rule:
        return people.with_roles(_as_list(rule["role"]))
    if "site_field" in rule:
        return in_id_order(p for s in _serving(people, rule, form) for p in people.active_by_site.get(s, ()))
    return list(people.active)


def _serving(people: Directory, rule: Mapping[str, Any], form: Mapping[str, Any]) -> frozenset[int]:
    code = form.get(rule["site_field"])
    return people.serving_sites(str(code).strip()) if code else frozenset()


def _creator_manager(people: Directory, order: WorkOrder) -> int | None:
    creator = people.people.get(order.created_by_id) if order.created_by_id is not None else None
    if creator is None:
        return None
    if creator.manager_id:
        return creator.manager_id
    if creator.department_id:
        return people.department_managers.get(creator.department_id)
    return None


async def resolve(
    session: AsyncSession,
    batches: Iterable[Iterable[Mapping[str, Any]]],
    order: WorkOrder,
    *,
    exclude: Iterable[int] = (),
    form: Mapping[str, Any] | None = None,
    acting: tuple[str, int] | None = None,
    people_in_scope: bool = True,
    every_batch: bool = False,
) -> list[Person]:
    """Users of the first batch with any match (union of its rules, in rule order, each rule's
    users in its own order: ``in_rule_order``; no duplicates). ``people_in_scope``: ``match_rule``'s.
    ``every_batch``: the union of all the batches, in batch order: everyone the rules let act at
    the node, not only whom entering it picks (who a step may be 转派 to: ``steps.may_hold``)."""
    people = await directory.load(session)
    excluded = set(exclude)
    site_path = people.site_path(order.site_id)
    picked: dict[int, Person] = {}
    for batch in batches:
        for rule in batch:
            for user in await match_rule(
                session, people, rule, order, site_path, form, acting, people_in_scope
            ):
                if user.id not in excluded:
                    picked.setdefault(user.id, user)
        if picked and not every_batch:
            break
    return list(picked.values())
