"""Operator rules start from the directory's indexes: the same users, in the same order, as
checking every active user against every key of the rule (then putting them in the rule's
order: a ``user:`` list as written, any other rule by 工号)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketing.directory import Directory, Person, SiteInfo
from ticketing.workflow.operators import _covers, match_rule

ROLES = ["agent", "handler", "supervisor", "admin"]
SITES = {
    1: SiteInfo(1, "HQ", "/1/", "Asia/Shanghai", None),
    2: SiteInfo(2, "440100", "/1/2/", "Asia/Shanghai", None),
}
SITES[3] = SiteInfo(3, "440300", "/1/3/", "Asia/Shanghai", None)

people_st = st.lists(
    st.builds(
        lambda roles, site, active, scope: (roles, site, active, scope),
        st.lists(st.sampled_from(ROLES), max_size=3),
        st.sampled_from([None, 1, 2, 3]),
        st.booleans(),
        st.lists(st.sampled_from(["/1/", "/1/2/", "/1/3/"]), max_size=2),
    ),
    max_size=12,
)
STAFF = [str(1000 + i) for i in range(12)] + ["9999"]
VALUES = {
    "role": st.one_of(st.sampled_from(ROLES), st.lists(st.sampled_from(ROLES), min_size=1, max_size=3)),
    "user": st.one_of(st.sampled_from(STAFF), st.lists(st.sampled_from(STAFF), min_size=1, max_size=4)),
    "field_user": st.sampled_from(["工号", "工号", "无此字段"]),
    "creator": st.booleans(),
    "site_field": st.sampled_from(["所属供电局", "所属供电局", "无此字段"]),
    "in_scope": st.booleans(),
}
# One to three keys: a rule of many keys rarely matches anybody, and the point is who matches.
rule_st = st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: VALUES[k] for k in keys})
)


def directory(spec) -> Directory:
    people = {
        i: Person(i, str(1000 + i), f"u{i}", tuple(roles), site, None, None, "", "", active, tuple(scope))
        for i, (roles, site, active, scope) in enumerate(spec)
    }
    return Directory(
        people=people,
        active=tuple(p for p in people.values() if p.active),
        sites=SITES,
        site_codes={s.code: s.id for s in SITES.values()},
        departments={},
        department_managers={},
    )


def every_user_checked(people: Directory, rule, order, site_path, form) -> list[Person]:
    """The rule's meaning, one active user at a time (docs in operators.py)."""

    def as_list(v):
        return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]

    out = []
    for u in people.active:
        if "role" in rule and not u.has_role(*as_list(rule["role"])):
            continue
        if "user" in rule and u.staff_no not in as_list(rule["user"]):
            continue
        if rule.get("creator") and u.id != order.created_by_id:
            continue
        if "site_field" in rule:
            code = form.get(rule["site_field"])
            site_id = people.site_codes.get(str(code)) if code else None
            if site_id is None or u.site_id != site_id:
                continue
        if "field_user" in rule:
            staff_no = form.get(rule["field_user"])
            if not staff_no or u.staff_no != str(staff_no):
                continue
        if rule.get("in_scope", True) and not _covers(u, site_path):
            continue
        out.append(u)
    if "user" in rule:
        listed = as_list(rule["user"])
        return sorted(out, key=lambda u: listed.index(u.staff_no))
    return sorted(out, key=lambda u: (len(u.staff_no), u.staff_no, u.id))


@settings(max_examples=400, deadline=None)
@given(
    spec=people_st,
    rule=rule_st,
    creator=st.sampled_from([None, 0, 2, 5]),
    site=st.sampled_from([None, 2, 3]),
    form_staff=st.sampled_from(STAFF),
    form_site=st.sampled_from(["440100", "440300", "HQ", "XX"]),
)
def test_a_rule_matches_the_same_users_through_the_indexes(spec, rule, creator, site, form_staff, form_site):
    people = directory(spec)
    form = {"工号": form_staff, "所属供电局": form_site}
    order = SimpleNamespace(id=1, created_by_id=creator, form=form, site_id=site)
    site_path = people.site_path(site)
    got = asyncio.run(match_rule(None, people, rule, order, site_path))  # type: ignore[arg-type]
    assert [u.id for u in got] == [u.id for u in every_user_checked(people, rule, order, site_path, form)]
