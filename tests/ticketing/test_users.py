"""Login with 工号, lock-out, password policy, data scope by site."""

import datetime as dt

import pytest

from ticketing.errors import PasswordRejected
from ticketing.models import Category, WorkOrder
from ticketing.sites import create_site
from ticketing.users import (
    InvalidUser,
    can_access,
    create_user,
    order_scope_clause,
    set_password,
    verify_login,
)


async def test_login_lockout_after_five_failures(session):
    user = await create_user(session, "1001", "李娜", "abc12345")
    now = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)
    for _ in range(4):
        assert (await verify_login(session, "1001", "wrong123", now=now)).reason == "bad_credentials"
    assert (await verify_login(session, "1001", "wrong123", now=now)).reason == "account_locked"
    # even the right password is refused while locked
    assert (await verify_login(session, "1001", "abc12345", now=now + dt.timedelta(minutes=14))).reason == (
        "account_locked"
    )
    result = await verify_login(session, "1001", "abc12345", now=now + dt.timedelta(minutes=16))
    assert result.ok and result.user.id == user.id
    assert result.must_change_password


async def test_unknown_user_gets_the_same_reason(session):
    assert (await verify_login(session, "9999", "abc12345")).reason == "bad_credentials"


async def test_password_policy_and_first_login_change(session):
    user = await create_user(session, "1002", "王强", "first123")
    assert user.must_change_password
    for weak in ("short1", "onlyletters", "12345678"):
        with pytest.raises(PasswordRejected):
            await set_password(session, user, weak, old_password="first123")
    with pytest.raises(PasswordRejected):
        await set_password(session, user, "second123", old_password="nope1234")
    await set_password(session, user, "second123", old_password="first123")
    assert not user.must_change_password
    assert (await verify_login(session, "1002", "second123")).ok


@pytest.mark.parametrize("staff_no", ["12", "1234567", "12a4"])
async def test_staff_number_must_be_4_to_6_digits(session, staff_no):
    with pytest.raises(InvalidUser):
        await create_user(session, staff_no, "x", "abc12345")


async def test_site_scope(session):
    hq = await create_site(session, "HQ", "总部", kind="hq")
    gz = await create_site(session, "440100", "广州供电局", parent=hq, kind="bureau")
    sz = await create_site(session, "440300", "深圳供电局", parent=hq, kind="bureau")
    tianhe = await create_site(session, "440106", "天河区", parent=gz, kind="outlet")
    boss = await create_user(session, "2001", "总部", "abc12345", site_id=hq.id)
    gz_user = await create_user(session, "2002", "广州", "abc12345", site_id=gz.id)
    th_user = await create_user(session, "2003", "天河", "abc12345", site_id=tianhe.id)
    session.add(Category(code="fault", name="故障报修"))
    orders = {}
    for site in (gz, sz, tianhe):
        orders[site.code] = WorkOrder(
            number=f"T{site.id}",
            category="fault",
            status="x",
            site_id=site.id,
            workflow_id=1,
            workflow_key="k",
            workflow_version=1,
            current_node="n",
        )
    assert await can_access(session, boss, orders["440300"])
    assert await can_access(session, gz_user, orders["440106"])
    assert await can_access(session, gz_user, orders["440100"])
    assert not await can_access(session, gz_user, orders["440300"])
    assert not await can_access(session, th_user, orders["440100"])
    assert await can_access(session, th_user, orders["440106"])
    clause = await order_scope_clause(session, gz_user)
    assert clause is not None


async def test_only_admins_manage_users_and_workflows(session):
    from ticketing.errors import Forbidden
    from ticketing.seed import workflow_source
    from ticketing.workflow.store import import_definition

    admin = await create_user(session, "9001", "管理员", "abc12345", roles=["admin"])
    agent = await create_user(session, "1001", "座席", "abc12345", roles=["agent"], actor=admin)
    with pytest.raises(Forbidden):
        await create_user(session, "1002", "x", "abc12345", actor=agent)
    with pytest.raises(Forbidden):
        await set_password(session, admin, "hacked123", actor=agent)
    with pytest.raises(Forbidden):
        await import_definition(session, workflow_source("consult"), actor=agent)
    row = await import_definition(session, workflow_source("consult"), actor=admin)
    assert row.version == 1
    await set_password(session, agent, "reset1234", actor=admin)
    assert agent.must_change_password  # an admin reset forces a change at the next login
