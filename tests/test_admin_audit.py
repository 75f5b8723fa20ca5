"""Every write in the admin is audited, and the admin works by role: `admin` is no superuser."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from pingan.accounts.actions import (
    change_user,
    create_user,
    grant_role,
    issue_token,
    revoke_grant,
    revoke_token,
    set_password,
)
from pingan.accounts.models import ApiToken, RoleGrant, User
from pingan.accounts.signals import sensitive_role_granted
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases.clocks import get_calendar
from pingan.cases.models import CalendarDay, Case, Category, RetentionPolicy, RoutingRule
from pingan.core.errors import DomainError
from pingan.regions.models import Region, Unit

from .conftest import PASSWORD, case_body


def _entries(action: str, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("id"))


def _user_form(user: User, **changes) -> dict:
    """The user change form as the admin page posts it, with the user's grants as inline rows."""
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "grants-INITIAL_FORMS": "0",
        "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000",
    }
    rows = list(RoleGrant.objects.filter(user=user).order_by("id"))
    for i, g in enumerate(rows):
        data |= {
            f"grants-{i}-id": str(g.pk),
            f"grants-{i}-user": str(user.pk),
            f"grants-{i}-role": g.role,
            f"grants-{i}-region": g.region_id or "",
            f"grants-{i}-unit": str(g.unit_id or ""),
        }
    data["grants-INITIAL_FORMS"] = data["grants-TOTAL_FORMS"] = str(len(rows))
    return data | changes


def _with_new_grant(data: dict, role: str, *, region: str = "", unit: str = "") -> dict:
    i = int(data["grants-TOTAL_FORMS"])
    return data | {
        f"grants-{i}-role": role,
        f"grants-{i}-region": region,
        f"grants-{i}-unit": unit,
        "grants-TOTAL_FORMS": str(i + 1),
    }


# --- grants -------------------------------------------------------------------------------------


def test_a_grant_added_in_the_user_form_is_audited_with_the_grant(county, web):
    target = county.users["handler2"]
    data = _with_new_grant(_user_form(target), "supervisor", region=county.towns[1].code)

    r = web("admin").post(f"/admin/accounts/user/{target.pk}/change/", data)

    assert r.status_code == 302, r.content.decode()[:2000]
    grant = RoleGrant.objects.get(user=target, role="supervisor")
    [entry] = _entries("role.grant", actor="admin")
    assert entry.object_type == "accounts.rolegrant" and entry.object_id == str(grant.pk)
    assert entry.data == {
        "user": "handler2",
        "role": "supervisor",
        "region": county.towns[1].code,
        "unit": None,
    }
    assert verify_chain()[0]


def test_a_grant_removed_in_the_user_form_is_audited_as_revoked(county, web):
    target = county.users["handler2"]
    data = _user_form(target)
    data["grants-0-DELETE"] = "on"
    first = RoleGrant.objects.filter(user=target).order_by("id").first()

    r = web("admin").post(f"/admin/accounts/user/{target.pk}/change/", data)

    assert r.status_code == 302
    assert not RoleGrant.objects.filter(pk=first.pk).exists()
    [entry] = _entries("role.revoke")
    assert entry.object_id == str(first.pk) and entry.data["role"] == "handler"


def test_admin_cannot_grant_himself_custodian_in_the_user_form(county, web):
    me = county.users["admin"]
    data = _with_new_grant(_user_form(me), "custodian", region=county.code)
    page = web("admin")  # signing in is audited too
    before = AuditEntry.objects.count()

    r = page.post(f"/admin/accounts/user/{me.pk}/change/", data)

    assert r.status_code == 200
    assert "不能给自己授予、变更或撤销角色" in r.content.decode()
    assert not RoleGrant.objects.filter(user=me, role="custodian").exists()
    assert AuditEntry.objects.count() == before


def test_admin_cannot_grant_himself_a_role_on_the_grant_page(county, web):
    me = county.users["admin"]
    data = {"user": me.pk, "role": "custodian", "region": county.code, "unit": ""}
    page = web("admin")  # signing in is audited too
    before = AuditEntry.objects.count()

    r = page.post("/admin/accounts/rolegrant/add/", data)

    assert r.status_code == 200 and "不能给自己授予、变更或撤销角色" in r.content.decode()
    assert not RoleGrant.objects.filter(user=me, role="custodian").exists()
    assert AuditEntry.objects.count() == before


def test_a_grant_added_on_the_grant_page_is_audited(county, web):
    target = county.users["leader"]
    data = {"user": target.pk, "role": "auditor", "region": county.code, "unit": ""}

    r = web("admin").post("/admin/accounts/rolegrant/add/", data)

    assert r.status_code == 302
    [entry] = _entries("role.grant", actor="admin")
    assert entry.data["user"] == "leader" and entry.data["role"] == "auditor"
    # The auditor role opens the admin site to the leader.
    assert User.objects.get(pk=target.pk).is_staff


def test_a_duplicate_grant_is_refused_on_the_form(county, web):
    # The unique constraint cannot catch it: the unused side of a grant is NULL.
    target = county.users["leader"]
    data = {"user": target.pk, "role": "leader", "region": county.code, "unit": ""}

    r = web("admin").post("/admin/accounts/rolegrant/add/", data)

    assert r.status_code == 200 and "该用户已有这项授权" in r.content.decode()
    assert RoleGrant.objects.filter(user=target, role="leader").count() == 1


def test_nobody_grants_or_revokes_his_own_roles(county):
    admin = county.users["admin"]
    with pytest.raises(DomainError) as err:
        grant_role(admin, "custodian", region=Region.objects.get(code=county.code), by=admin)
    assert (err.value.code, err.value.status) == ("self_grant", 403)
    with pytest.raises(DomainError) as err:
        revoke_grant(RoleGrant.objects.get(user=admin), by=admin)
    assert err.value.code == "self_grant"
    assert list(RoleGrant.objects.filter(user=admin).values_list("role", flat=True)) == ["admin"]
    assert not _entries("role.grant", actor="admin") and not _entries("role.revoke")


def test_only_an_admin_manages_other_peoples_grants(county):
    leader = county.users["leader"]
    with pytest.raises(DomainError) as err:
        grant_role(county.users["handler"], "supervisor", unit=county.units["ZZZX"], by=leader)
    assert err.value.status == 403
    grant = grant_role(
        county.users["handler"], "supervisor", unit=county.units["ZZZX"], by=county.users["admin"]
    )
    assert grant.pk and _entries("role.grant", actor="admin")


def test_revoking_the_last_staff_role_closes_the_admin_site(county, web):
    auditor = county.users["auditor"]
    assert web("auditor").get("/admin/").status_code == 200

    revoke_grant(RoleGrant.objects.get(user=auditor), by=county.users["admin"])

    assert not User.objects.get(pk=auditor.pk).is_staff
    assert web("auditor").get("/admin/").status_code == 302  # to the admin login


def test_sensitive_role_granted_fires_once_after_commit_for_custodian_and_admin(
    county, django_capture_on_commit_callbacks
):
    admin, target = county.users["admin"], county.users["leader"]
    county_region = Region.objects.get(code=county.code)
    received = []

    def receiver(sender, grant, by, **kwargs):
        received.append((grant.role, grant.user.username, by))

    sensitive_role_granted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            grant_role(target, "custodian", region=county_region, by=admin)
            grant_role(target, "admin", region=county_region, by=admin)
            grant_role(target, "supervisor", region=county_region, by=admin)
            grant_role(target, "auditor", region=county_region, by=admin)
            with pytest.raises(RuntimeError), transaction.atomic():
                grant_role(county.users["handler"], "custodian", region=county_region, by=admin)
                raise RuntimeError("rolled back")
            assert received == []
        for callback in callbacks:
            callback()
    finally:
        sensitive_role_granted.disconnect(receiver)
    assert received == [("custodian", "leader", admin), ("admin", "leader", admin)]


# --- the admin works by role ---------------------------------------------------------------------


def test_admin_is_no_superuser_and_sees_no_case_content(county, web, api):
    admin = User.objects.get(username="admin")
    assert not admin.is_superuser and admin.is_staff
    tip = case_body(county, stream="tip", category="T01", title="线索")
    number = api("dispatcher").post("/cases", tip)[1]["number"]
    case = Case.objects.get(number=number)
    reveal = {"field": "reporter.name", "reason": "看看"}
    client = web("admin")

    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 403
    assert client.get("/admin/cases/case/").status_code == 403
    assert client.get(f"/cases/{number}/").status_code == 404
    assert client.post(f"/cases/{number}/reveal/", reveal).status_code == 404
    assert api("admin").post(f"/cases/{number}/actions/reveal", reveal)[0] == 404
    # The audit log is the auditor's, not the admin's.
    assert client.get("/admin/audit/auditentry/").status_code == 403


def test_admin_edits_configuration_and_accounts(county, web):
    client = web("admin")
    for path in (
        "/admin/cases/category/",
        "/admin/cases/routingrule/",
        "/admin/cases/calendarday/",
        "/admin/cases/retentionpolicy/",
        "/admin/cases/timelimitrule/",
        "/admin/regions/region/",
        "/admin/regions/unit/",
        "/admin/accounts/user/",
        "/admin/accounts/rolegrant/",
        "/admin/accounts/apitoken/",
    ):
        assert client.get(path).status_code == 200, path
    me, other = county.users["admin"], county.users["handler"]
    for path in (
        "/admin/cases/category/add/",
        "/admin/accounts/user/add/",
        "/admin/accounts/rolegrant/add/",
        f"/admin/accounts/user/{me.pk}/change/",
        f"/admin/accounts/user/{other.pk}/change/",
        f"/admin/accounts/user/{other.pk}/password/",
        f"/admin/regions/region/{county.code}/change/",
    ):
        assert client.get(path).status_code == 200, path


def test_auditor_views_the_audit_log_and_nothing_else(county, web):
    client = web("auditor")
    entry = AuditEntry.objects.first()

    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    for path in (
        "/admin/cases/category/",
        "/admin/accounts/user/",
        "/admin/cases/case/",
        "/admin/regions/unit/",
    ):
        assert client.get(path).status_code == 403, path
    index = client.get("/admin/").content.decode()
    assert "审计记录" in index and "事项分类" not in index and "用户" not in index


def test_the_admin_form_cannot_make_anyone_a_superuser(county, web):
    target = county.users["handler"]
    data = _user_form(target, is_superuser="on", is_staff="on", full_name="吴承办（改）")

    r = web("admin").post(f"/admin/accounts/user/{target.pk}/change/", data)

    assert r.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "吴承办（改）"
    assert not target.is_superuser and not target.is_staff


# --- users and tokens ----------------------------------------------------------------------------


def test_changing_a_user_in_the_admin_records_the_fields_changed(county, web):
    target = county.users["handler"]

    r = web("admin").post(f"/admin/accounts/user/{target.pk}/change/", _user_form(target, full_name="吴新名"))

    assert r.status_code == 302
    [entry] = _entries("user.change")
    assert entry.actor == "admin" and entry.object_id == str(target.pk)
    assert entry.data == {"username": "handler", "changes": {"full_name": {"old": "吴承办", "new": "吴新名"}}}


def test_adding_a_user_in_the_admin_is_audited_without_the_password(county, web):
    data = {"username": "newcomer", "full_name": "新来的", "usable_password": "true"}
    data |= {"password1": "Kx9-long-enough-pw", "password2": "Kx9-long-enough-pw"}
    data |= {"grants-TOTAL_FORMS": "1", "grants-INITIAL_FORMS": "0", "grants-MAX_NUM_FORMS": "1000"}
    data |= {"grants-0-role": "handler", "grants-0-unit": str(county.units["SFJ"].pk), "grants-0-region": ""}

    r = web("admin").post("/admin/accounts/user/add/", data)

    assert r.status_code == 302, r.content.decode()[:3000]
    user = User.objects.get(username="newcomer")
    assert user.check_password("Kx9-long-enough-pw")
    [created] = _entries("user.create", actor="admin")
    assert created.data == {"username": "newcomer", "full_name": "新来的", "email": "", "password": True}
    assert _entries("role.grant", actor="admin")[0].data["user"] == "newcomer"
    assert user.password not in str(created.data)


def test_a_password_set_in_the_admin_is_audited_without_it_and_kills_the_tokens(county, web):
    target = county.users["handler"]
    issue_token(target, by=None)
    data = {"password1": "Brand-new-pw-2025", "password2": "Brand-new-pw-2025"}

    r = web("admin").post(f"/admin/accounts/user/{target.pk}/password/", data)

    assert r.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Brand-new-pw-2025")
    [entry] = _entries("user.password")
    assert entry.actor == "admin"
    assert entry.data == {"username": "handler", "password": True, "tokens_revoked": 1}
    assert "Brand-new" not in str(entry.data) and target.password not in str(entry.data)
    assert not ApiToken.objects.filter(user=target).exists()


def test_admin_cannot_set_a_custodians_password(county):
    with pytest.raises(DomainError) as err:
        set_password(county.users["custodian"], "Another-long-pw-1", by=county.users["admin"])
    assert err.value.status == 403
    assert county.users["custodian"].check_password(PASSWORD)
    # Everyone sets his own.
    set_password(county.users["custodian"], "Another-long-pw-1", by=county.users["custodian"])
    assert User.objects.get(username="custodian").check_password("Another-long-pw-1")


def test_a_user_changes_his_name_but_not_his_own_status(county):
    me = county.users["leader"]
    change_user(me, full_name="陈副县长", by=me)
    assert _entries("user.change")[0].data["changes"] == {"full_name": {"old": "陈县长", "new": "陈副县长"}}
    with pytest.raises(DomainError) as err:
        change_user(me, is_active=False, by=me)
    assert err.value.code == "self_change"
    with pytest.raises(DomainError):
        change_user(county.users["handler"], full_name="x", by=me)


def test_deactivating_users_in_the_admin_is_audited(county, web):
    target = county.users["handler2"]
    data = {"action": "deactivate_selected", "_selected_action": [target.pk]}

    r = web("admin").post("/admin/accounts/user/", data)

    assert r.status_code == 302
    assert not User.objects.get(pk=target.pk).is_active
    [entry] = _entries("user.deactivate")
    assert entry.actor == "admin" and entry.data == {"username": "handler2"}


def test_create_token_command_is_audited(county, capsys):
    call_command("create_token", "dispatcher", "--name", "接口联调")
    token = capsys.readouterr().out.strip()

    [entry] = _entries("token.issue")
    expires_at = ApiToken.objects.get(user__username="dispatcher").expires_at
    assert entry.actor == "system"
    assert entry.data == {"user": "dispatcher", "name": "接口联调", "expires_at": expires_at.isoformat()}
    assert token not in str(entry.data)
    assert entry.object_id == str(ApiToken.objects.get(user__username="dispatcher").pk)


def test_tokens_are_issued_by_their_holder_and_revoked_in_the_admin(county, web):
    with pytest.raises(DomainError):
        issue_token(county.users["custodian"], by=county.users["admin"])
    token, _ = issue_token(county.users["handler"], by=county.users["handler"])
    assert _entries("token.issue")[0].actor == "handler"

    r = web("admin").post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert r.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    [entry] = _entries("token.revoke")
    assert entry.actor == "admin" and entry.data["user"] == "handler"


def test_someone_elses_token_answers_as_missing(county):
    token, _ = issue_token(county.users["handler"], by=None)
    with pytest.raises(DomainError) as err:
        revoke_token(token, by=county.users["leader"])
    assert err.value.status == 404
    revoke_token(token, by=county.users["handler"])
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_api_login_token_is_audited(county, client):
    r = client.post(
        "/api/v1/auth/token", {"username": "leader", "password": PASSWORD}, content_type="application/json"
    )
    assert r.status_code == 200
    assert _entries("token.issue")[0].actor == "leader"


def test_the_demo_users_are_created_and_granted_through_the_audited_actions(county):
    assert len(_entries("user.create", actor="system")) == len(county.users)
    assert len(_entries("role.grant", actor="system")) == RoleGrant.objects.count()
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {"admin", "auditor"}
    assert not User.objects.filter(is_superuser=True).exists()


def test_create_user_is_for_admins(county):
    with pytest.raises(DomainError):
        create_user(username="intruder", password="Some-long-pw-123", by=county.users["leader"])
    assert not User.objects.filter(username="intruder").exists()


# --- configuration -------------------------------------------------------------------------------


def _category_form(cat: Category, **changes) -> dict:
    data = {
        "code": cat.code,
        "stream": cat.stream,
        "name": cat.name,
        "parent": cat.parent_id or "",
        "default_lead_unit": cat.default_lead_unit_id or "",
        "sort": cat.sort,
        "active": "on" if cat.active else "",
        "evidence_required": "on" if cat.evidence_required else "",
        "time_limits-TOTAL_FORMS": "0",
        "time_limits-INITIAL_FORMS": "0",
        "time_limits-MAX_NUM_FORMS": "1000",
    }
    return data | changes


def test_editing_a_category_records_old_and_new_values(county, web):
    cat = Category.objects.get(code="R02")

    r = web("admin").post(f"/admin/cases/category/{cat.pk}/change/", _category_form(cat, name="路灯照明"))

    assert r.status_code == 302
    [entry] = _entries("config.change")
    assert (entry.actor, entry.object_type, entry.object_id) == ("admin", "cases.category", "R02")
    assert entry.data["changes"] == {"name": {"old": cat.name, "new": "路灯照明"}}


def test_a_time_limit_added_inline_on_a_category_is_audited(county, web):
    cat = Category.objects.get(code="R02")
    inline = {
        "time_limits-TOTAL_FORMS": "1",
        "time_limits-0-stream": "request",
        "time_limits-0-step": "resolve",
    }
    inline |= {"time_limits-0-amount": "3", "time_limits-0-unit": "work_days", "time_limits-0-severity": ""}

    r = web("admin").post(f"/admin/cases/category/{cat.pk}/change/", _category_form(cat) | inline)

    assert r.status_code == 302, r.content.decode()[:3000]
    [entry] = _entries("config.create")
    assert entry.object_type == "cases.timelimitrule"
    assert entry.data["changes"]["amount"] == {"old": None, "new": "3"}
    assert entry.data["changes"]["category"] == {"old": None, "new": str(cat.pk)}


def test_editing_and_deleting_a_routing_rule_is_audited(county, web):
    rule = RoutingRule.objects.filter(region_id=county.code).select_related("lead_unit").first()
    old_unit, new_unit = rule.lead_unit, county.units["SFJ"]
    data = {"category": rule.category_id, "region": rule.region_id, "lead_unit": new_unit.pk}
    client = web("admin")

    assert client.post(f"/admin/cases/routingrule/{rule.pk}/change/", data).status_code == 302
    r = client.post(f"/admin/cases/routingrule/{rule.pk}/delete/", {"post": "yes"})

    assert r.status_code == 302 and not RoutingRule.objects.filter(pk=rule.pk).exists()
    [change] = _entries("config.change")
    assert change.data["changes"] == {"lead_unit": {"old": str(old_unit.pk), "new": str(new_unit.pk)}}
    [delete] = _entries("config.delete")
    assert (delete.object_type, delete.object_id) == ("cases.routingrule", str(rule.pk))
    assert delete.data["values"]["lead_unit"] == str(new_unit.pk)
    assert delete.data["deleted"] == {"cases.RoutingRule": 1}


def test_calendar_days_added_changed_and_deleted_in_the_admin_are_audited(county, web):
    client = web("admin")
    day = date(2031, 3, 4)  # a Tuesday
    assert get_calendar().is_workday(day)

    r = client.post("/admin/cases/calendarday/add/", {"date": "2031-03-04", "note": "临时放假"})
    assert r.status_code == 302
    assert not get_calendar().is_workday(day)
    r = client.post(
        "/admin/cases/calendarday/2031-03-04/change/",
        {"date": "2031-03-04", "is_workday": "on", "note": "临时放假"},
    )
    assert r.status_code == 302
    assert get_calendar().is_workday(day)
    r = client.post(
        "/admin/cases/calendarday/",
        {"action": "delete_selected", "_selected_action": ["2031-03-04"], "post": "yes"},
    )
    assert r.status_code == 302 and not CalendarDay.objects.filter(date=day).exists()

    created, changed, deleted = (
        _entries(a, object_id="2031-03-04") for a in ("config.create", "config.change", "config.delete")
    )
    assert created[0].data["changes"]["is_workday"] == {"old": None, "new": "False"}
    assert changed[0].data["changes"] == {"is_workday": {"old": "False", "new": "True"}}
    assert deleted[0].data["values"] == {"date": "2031-03-04", "is_workday": "True", "note": "临时放假"}


def test_list_edits_of_retention_days_are_audited(county, web):
    policies = list(RetentionPolicy.objects.order_by("stream"))
    data = {"form-TOTAL_FORMS": str(len(policies)), "form-INITIAL_FORMS": str(len(policies)), "_save": "保存"}
    for i, p in enumerate(policies):
        data |= {f"form-{i}-id": str(p.pk), f"form-{i}-days": str(p.days)}
    data["form-0-days"] = str(policies[0].days + 100)

    r = web("admin").post("/admin/cases/retentionpolicy/", data)

    assert r.status_code == 302
    [entry] = _entries("config.change")
    assert entry.object_type == "cases.retentionpolicy"
    assert entry.data["changes"] == {
        "days": {"old": str(policies[0].days), "new": str(policies[0].days + 100)}
    }


def test_a_unit_edited_in_the_admin_is_audited_under_its_code(county, web):
    unit = Unit.objects.get(code=f"{county.code}-SFJ")
    data = {"code": unit.code, "name": "示范县司法局（新）", "kind": unit.kind, "region": unit.region_id}
    data |= {"parent": "", "active": "on"}

    r = web("admin").post(f"/admin/regions/unit/{unit.pk}/change/", data)

    assert r.status_code == 302
    [entry] = _entries("config.change")
    assert (entry.object_type, entry.object_id) == ("regions.unit", unit.code)
    assert entry.data["changes"] == {"name": {"old": "示范县司法局", "new": "示范县司法局（新）"}}


# --- pingan audit verify -------------------------------------------------------------------------


def _verify(*args: str) -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _set_actor(entry_id: int, actor: str) -> None:
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = %s WHERE id = %s", [actor, entry_id])


def test_audit_verify_passes_then_names_the_first_tampered_entry(county):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    total = len(ids)
    assert total > 10
    assert _verify() == (True, f"审计链完整：共 {total} 条\n")

    middle = AuditEntry.objects.get(pk=ids[total // 2])
    _set_actor(middle.pk, "x")
    ok, out = _verify()
    assert not ok
    assert f"审计链 {middle.partition} 断开：id={middle.pk}" in out and "操作人 x" in out

    _set_actor(middle.pk, middle.actor)
    assert _verify() == (True, f"审计链完整：共 {total} 条\n")


def test_audit_verify_reports_progress_and_a_cut_off_tail(county):
    total = AuditEntry.objects.count()
    ok, out = _verify("--every", "5")
    assert ok and f"已校验 5/{total} 条…" in out

    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = (SELECT MAX(id) FROM audit_auditentry)")
    ok, out = _verify()
    assert not ok and "末尾的记录可能已被删除" in out
