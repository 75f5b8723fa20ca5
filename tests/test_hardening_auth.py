"""Issue 11, hardening of staff authentication (DESIGN §8): TLS settings, password validators, logins
in the audit chain, session limits, API token expiry and revocation, and TOTP for custodian and admin."""

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingan.accounts.actions import create_user, issue_token, set_password
from pingan.accounts.middleware import SEEN_AT, SIGNED_IN_AT
from pingan.accounts.models import ApiToken, User
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.core.errors import DomainError
from pingan.settings import https_settings

from .conftest import PASSWORD, otp_code, otp_device

ROOT = Path(__file__).resolve().parents[1]
HOST = "pingan.example.gov.cn"


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def _sign_in(username: str, password: str = PASSWORD, client: Client | None = None, **extra):
    client = client or Client()
    r = client.post("/login/", {"username": username, "password": password}, **extra)
    return client, r


def _token_login(client: Client, username: str, password: str = PASSWORD, **more):
    body = {"username": username, "password": password, **more}
    r = client.post("/api/v1/auth/token", body, content_type="application/json")
    return r.status_code, r.json()


# --- 1. TLS settings -------------------------------------------------------------------------------


def _pingan(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    """The real console command in a fresh process, with the production settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PINGAN_", "DJANGO_"))}
    environ |= {
        "PINGAN_VAR": str(tmp_path),
        "PINGAN_SECRET_KEY": secrets.token_urlsafe(50),
        "PINGAN_FIELD_KEY": "8w7dPq0kqUu2VbX1sWjv9bYJj3bqkM4C8xkBqQ5ZT0E=",
        "PINGAN_DEBUG": "false",
        **env,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pingan", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_https_switch_makes_check_deploy_clean(tmp_path):
    plain = _pingan(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, PINGAN_ALLOWED_HOSTS=HOST)
    assert plain.returncode != 0 and "security.W012" in plain.stderr  # without the switch: warnings

    done = _pingan(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        PINGAN_HTTPS="true",
        PINGAN_ALLOWED_HOSTS=HOST,
    )
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_https_switch_sets_secure_host_cookies_hsts_and_the_proxy_header(tmp_path):
    names = [
        "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT",
        "CSRF_TRUSTED_ORIGINS",
    ]  # fmt: skip
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "pingan.settings", "PINGAN_ALLOWED_HOSTS": f"{HOST},.example.org"}
    on = json.loads(_pingan(["shell", "-v", "0", "-c", script], tmp_path, PINGAN_HTTPS="true", **env).stdout)
    assert on == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_DOMAIN": None,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": True,
        "CSRF_TRUSTED_ORIGINS": [f"https://{HOST}", "https://*.example.org"],
    }
    origins = json.loads(
        _pingan(
            ["shell", "-v", "0", "-c", script],
            tmp_path,
            PINGAN_HTTPS="true",
            PINGAN_ALLOWED_ORIGINS="https://a.example",
            **env,
        ).stdout
    )["CSRF_TRUSTED_ORIGINS"]
    assert origins == ["https://a.example"]
    off = json.loads(_pingan(["shell", "-v", "0", "-c", script], tmp_path, **env).stdout)
    assert off["SESSION_COOKIE_NAME"] == "sessionid" and off["SECURE_HSTS_SECONDS"] == 0


HTTPS = https_settings(["testserver"], [])


@override_settings(**HTTPS)
def test_https_login_sets_host_prefixed_secure_cookies_and_hsts(county):
    client = Client(enforce_csrf_checks=True)
    assert client.get("/login/").status_code == 301  # plain HTTP goes to HTTPS
    page = client.get("/login/", headers={"X-Forwarded-Proto": "https"})  # what the proxy says
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000"
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]

    r = client.post(
        "/login/",
        {"username": "handler", "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
        secure=True,
        headers={"Referer": "https://testserver/login/"},
    )
    assert r.status_code == 302
    session = r.cookies["__Host-sessionid"]
    assert session["secure"] and session["path"] == "/" and not session["domain"] and session["httponly"]


@override_settings(**HTTPS)
def test_api_session_auth_works_with_the_host_cookies(county):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/", secure=True)
    token = page.cookies["__Host-csrftoken"].value
    referer = {"Referer": "https://testserver/"}
    client.post("/login/", {"username": "handler", "password": PASSWORD, "csrfmiddlewaretoken": token},
                secure=True, headers=referer)  # fmt: skip
    assert "__Host-sessionid" in client.cookies

    me = client.get("/api/v1/me", secure=True)
    assert me.status_code == 200 and me.json()["username"] == "handler"
    read = {"path": "/api/v1/notifications/read", "data": {"all": True}, "content_type": "application/json"}
    assert client.post(**read, secure=True, headers=referer).status_code == 403  # no CSRF token
    fresh = client.cookies["__Host-csrftoken"].value  # signing in rotates the token
    ok = client.post(**read, secure=True, headers={**referer, "X-CSRFToken": fresh})
    assert ok.status_code == 200, ok.content


# --- 2. Password validators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak, message",
    [
        ("12345678", "密码只包含数字"),
        ("password", "这个密码太常见了"),
        ("abc-def-ghi", "密码太短，至少要有 12 个字符"),
    ],
)
def test_password_validators_refuse_short_common_and_numeric_passwords_in_chinese(county, weak, message):
    handler = county.users["handler"]
    with pytest.raises(DomainError) as err:
        set_password(handler, weak, by=handler)
    assert err.value.status == 400 and message in err.value.fields["password"]
    assert User.objects.get(pk=handler.pk).check_password(PASSWORD)


def test_password_validators_refuse_a_password_like_the_username(county):
    with pytest.raises(DomainError) as err:
        set_password(county.users["dispatcher"], "dispatcher2025", by=county.users["dispatcher"])
    assert "密码跟 用户名 太相似了" in err.value.fields["password"]


def test_password_validators_apply_to_passwords_the_system_sets(county):
    with pytest.raises(DomainError):
        create_user(username="newcomer", password="password", by=None)
    with pytest.raises(DomainError):
        set_password(county.users["handler"], "12345678", by=None)
    assert not User.objects.filter(username="newcomer").exists()


def test_password_validators_apply_in_the_admin(county, web):
    data = {"username": "newcomer", "full_name": "新来的", "usable_password": "true"}
    r = web("admin").post(
        "/admin/accounts/user/add/", data | {"password1": "12345678", "password2": "12345678"}
    )
    assert r.status_code == 200 and "密码只包含数字" in r.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_password_validators_apply_in_changepassword(county, monkeypatch):
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda *a, **k: "password"
    )
    with pytest.raises(CommandError):
        call_command("changepassword", "handler", stdout=StringIO(), stderr=StringIO())
    assert User.objects.get(username="handler").check_password(PASSWORD)


def test_demo_passwords_pass_the_validators(db):
    from pingan.demo.county import build_county, create_role_users

    county = create_role_users(build_county(towns=1, villages_per_town=1, grids_per_village=1))
    for username, password in county.passwords.items():
        validate_password(password, county.users[username])  # raises if one does not pass
    assert len(set(county.passwords.values())) == len(county.passwords)


def test_the_test_countys_password_passes_the_validators(county):
    for user in county.users.values():
        validate_password(PASSWORD, user)


# --- 3. Logins, failures and lockouts in the audit chain ------------------------------------------


def test_successful_login_is_audited(county):
    _, r = _sign_in("handler")
    assert r.status_code == 302
    [entry] = _entries("auth.login")
    assert entry.actor == "handler" and entry.data == {"username": "handler", "channel": "web"}


def test_failed_web_login_is_audited_without_the_password(county):
    _, r = _sign_in("handler", "Wrong-guess-7731")
    assert r.status_code == 200
    [entry] = _entries("auth.login_failed")
    assert entry.actor == "anonymous" and entry.object_id == str(county.users["handler"].pk)
    assert entry.data == {"username": "handler", "channel": "web", "locked": False}
    assert not any("Wrong-guess" in json.dumps(e.data, ensure_ascii=False) for e in AuditEntry.objects.all())


def test_failed_api_token_login_is_audited(county, client):
    status, body = _token_login(client, "leader", "Wrong-guess-7731")
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    [entry] = _entries("auth.login_failed")
    assert entry.data == {"username": "leader", "channel": "api", "locked": False}


def test_failed_login_with_an_unknown_username_does_not_record_what_was_typed(county):
    _sign_in("pw-typed-into-the-name-field", "x")
    [entry] = _entries("auth.login_failed")
    assert entry.data["username"] is None and entry.object_id == ""
    assert "pw-typed" not in json.dumps(entry.data)


def test_lockout_is_audited_once_and_tries_while_locked_as_refused(county):
    client = Client()
    for _ in range(5):
        _sign_in("handler", "Wrong-guess-7731", client)
    [locked] = _entries("auth.locked_out")
    assert locked.data == {"username": "handler", "channel": "web", "minutes": 15}
    assert [e.data["locked"] for e in _entries("auth.login_failed")] == [False] * 5

    _, r = _sign_in("handler", PASSWORD, client)  # the right password, refused while locked
    assert r.status_code == 429
    assert len(_entries("auth.locked_out")) == 1
    assert _entries("auth.login_failed")[-1].data["locked"] is True
    assert not _entries("auth.login")
    assert verify_chain()[0]


def test_lockout_per_client_stops_an_address_that_tries_many_usernames(county):
    """Password spraying: a few guesses on each of many accounts never locks one account, so the
    address that sends them is locked itself (DESIGN §8 "per username and per client")."""
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    names = [*county.users, *(f"guess{i}" for i in range(20))]
    for name in names[:20]:  # one failure each: far below the per-username limit of five
        assert _sign_in(name, "Wrong-guess-7731", attacker)[1].status_code == 200
    [locked] = _entries("auth.client_locked_out")
    assert locked.data == {"username": None, "channel": "web", "minutes": 15}

    # Now even the right password is refused from there, before it is checked, on every door ...
    _, r = _sign_in("handler", PASSWORD, attacker)
    assert r.status_code == 429 and "此网络地址" in r.content.decode()
    status, body = _token_login(attacker, "dispatcher")
    assert status == 429 and body["error"]["code"] == "locked_out"
    assert not _entries("auth.login") and _entries("auth.login_failed")[-1].data["locked"] is True
    assert len(_entries("auth.client_locked_out")) == 1
    # ... while the same accounts sign in from another address.
    _, r = _sign_in("handler", PASSWORD, Client(REMOTE_ADDR="198.51.100.20"))
    assert r.status_code == 302


def test_lockout_per_client_follows_the_trusted_proxy_hop(county):
    """Behind our proxy, a client cannot escape its lock by sending a first hop of its choosing."""
    with override_settings(PINGAN_CLIENT_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR", PINGAN_TRUSTED_PROXY_HOPS=1):
        for i in range(20):
            hop = {"HTTP_X_FORWARDED_FOR": f"10.0.0.{i}, 203.0.113.7"}
            assert _sign_in(f"guess{i}", "Wrong-guess-7731", **hop)[1].status_code == 200
        _, r = _sign_in("handler", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
        assert r.status_code == 429
        _, r = _sign_in("handler", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8")
        assert r.status_code == 302


# --- 4. Sessions: 8 hours after sign-in, 30 minutes idle -------------------------------------------


def _stamp(client: Client, **ago_seconds: float) -> None:
    """Move a session back in time by editing its stamps, as if the time had passed."""
    session = client.session
    for key, seconds in ago_seconds.items():
        session[key] = time.time() - seconds
    session.save()


def test_session_ends_after_30_minutes_idle(county):
    client, _ = _sign_in("handler")
    _stamp(client, **{SEEN_AT: 31 * 60})
    r = client.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert "已有 30 分钟没有操作" in client.get(r["Location"]).content.decode()
    assert client.get("/api/v1/me").status_code == 401


def test_activity_keeps_a_session_alive_until_the_idle_limit(county):
    client, _ = _sign_in("handler")
    _stamp(client, **{SEEN_AT: 29 * 60})
    assert client.get("/cases/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 5  # the request counted as activity
    _stamp(client, **{SEEN_AT: 29 * 60})
    assert client.get("/api/v1/me").status_code == 200


def test_session_ends_8_hours_after_sign_in_even_when_active(county):
    client, _ = _sign_in("handler")
    _stamp(client, **{SIGNED_IN_AT: 8 * 3600 + 60, SEEN_AT: 10})
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert "登录已满 8 小时" in client.get(r["Location"]).content.decode()


@override_settings(PINGAN_SESSION_IDLE_MINUTES=5, PINGAN_SESSION_HOURS=1)
def test_session_limits_follow_their_settings(county):
    client, _ = _sign_in("handler")
    _stamp(client, **{SEEN_AT: 6 * 60})
    assert client.get("/").status_code == 302
    client, _ = _sign_in("handler")
    _stamp(client, **{SIGNED_IN_AT: 3700, SEEN_AT: 1})
    assert client.get("/").status_code == 302


def test_session_from_before_the_limits_is_signed_out(county):
    client, _ = _sign_in("handler")
    session = client.session
    del session[SIGNED_IN_AT], session[SEEN_AT]
    session.save()
    assert client.get("/").status_code == 302


# --- 5. API tokens: expiry, listing, revocation, password change -----------------------------------


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_api_tokens_expire_after_token_days(county):
    row, token = issue_token(county.users["handler"], by=None)
    assert abs(row.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    assert _bearer(token).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = _bearer(token).get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


@override_settings(PINGAN_TOKEN_DAYS=7)
def test_api_token_login_answers_the_expiry_from_the_setting(county, client):
    status, body = _token_login(client, "leader")
    assert status == 200
    expires = ApiToken.objects.get(user__username="leader").expires_at
    assert abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    answered = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(answered - expires) < timedelta(seconds=1)


def test_api_tokens_of_existing_rows_expire_90_days_after_creation(db):
    migration = import_module("pingan.accounts.migrations.0003_token_expiry")
    assert migration.DAYS == 90
    # The migration's own update, on a row already in the table (its field was filled at creation).
    user = User.objects.create_user("old-timer")
    row, _ = ApiToken.issue(user)
    created = timezone.now() - timedelta(days=100)
    ApiToken.objects.filter(pk=row.pk).update(
        created_at=created, expires_at=timezone.now() + timedelta(days=1)
    )
    migration.expire_existing(apps, None)
    row.refresh_from_db()
    assert row.expires_at == created + timedelta(days=90)


def test_api_tokens_are_listed_to_their_owner_without_secrets(county, api):
    handler = api("handler")
    issue_token(county.users["handler"], by=None, name="台账同步")
    issue_token(county.users["leader"], by=None, name="别人的")
    status, body = handler.get("/auth/tokens")
    assert status == 200
    assert [t["name"] for t in body["items"]] == ["台账同步", "test"]
    assert set(body["items"][0]) == {"id", "name", "created_at", "last_used_at", "expires_at", "expired"}
    assert body["items"][1]["last_used_at"] is not None  # the token of this very request
    assert "key_hash" not in json.dumps(body) and "pa_" not in json.dumps(body)


def test_api_tokens_are_revoked_by_their_owner_and_audited(county):
    row, token = issue_token(county.users["handler"], by=None, name="旧脚本")
    _, mine = issue_token(county.users["handler"], by=None)
    r = _bearer(mine).delete(f"/api/v1/auth/tokens/{row.pk}")
    assert r.status_code == 204
    assert _bearer(token).get("/api/v1/me").status_code == 401
    [entry] = _entries("token.revoke")
    assert entry.actor == "handler" and entry.data == {"user": "handler", "name": "旧脚本"}


def test_api_token_of_another_user_answers_404_even_to_an_admin(county):
    row, token = issue_token(county.users["handler"], by=None)
    _, admin_token = issue_token(county.users["admin"], by=None)
    r = _bearer(admin_token).delete(f"/api/v1/auth/tokens/{row.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _bearer(admin_token).delete("/api/v1/auth/tokens/999999").status_code == 404
    assert _bearer(token).get("/api/v1/me").status_code == 200


def test_api_tokens_die_with_a_password_change(county):
    tokens = [issue_token(county.users["handler"], by=None)[1] for _ in range(2)]
    set_password(county.users["handler"], "A-brand-new-passphrase", by=county.users["handler"])
    assert all(_bearer(t).get("/api/v1/me").status_code == 401 for t in tokens)
    [entry] = _entries("user.password")
    assert entry.data == {"username": "handler", "password": True, "tokens_revoked": 2}


def test_create_token_prints_the_token_and_its_expiry(county):
    out, err = StringIO(), StringIO()
    call_command("create_token", "dispatcher", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert token.startswith("pa_") and "\n" not in token
    expires = timezone.localtime(ApiToken.objects.get(user__username="dispatcher").expires_at)
    assert f"令牌有效期至 {expires:%Y-%m-%d %H:%M}" in err.getvalue()


# --- 6. TOTP: available to all, required for custodian and admin -----------------------------------


def _enrol(client: Client, username: str) -> TOTPDevice:
    page = client.get("/account/otp/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    r = client.post("/account/otp/", {"code": otp_code(device), "next": "/"})
    assert r.status_code == 302 and r["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_totp_custodian_and_admin_must_enrol_before_any_other_page(county):
    for username in ("custodian", "admin"):
        client, r = _sign_in(username)
        assert r.status_code == 302
        r = client.get("/cases/")
        assert r.status_code == 302 and r["Location"] == "/login/otp/?next=%2Fcases%2F"
        r = client.get(r["Location"])
        assert r.status_code == 302 and r["Location"] == "/account/otp/?next=%2Fcases%2F"
        assert client.get("/admin/").status_code == 302
        api = client.get("/api/v1/me")
        assert api.status_code == 401 and api.json()["error"]["code"] == "otp_required"
        setup = client.get("/account/otp/")
        assert "须先开启两步验证" in setup.content.decode() and "案件台账" not in setup.content.decode()


def test_totp_enrolment_page_shows_the_uri_and_a_qr_code_under_the_csp(county):
    client, _ = _sign_in("custodian")
    r = client.get("/account/otp/")
    html = r.content.decode()
    device = TOTPDevice.objects.get(user__username="custodian")
    assert "otpauth://totp/" in html and device.config_url.split("secret=")[1][:16] in html
    assert '<img class="otp-qr" src="data:image/svg+xml;base64,' in html
    assert (
        "<script>" not in html
        and " style=" not in html
        and "script-src 'self'" in r["Content-Security-Policy"]
    )
    assert "no-store" in r["Cache-Control"]


def test_totp_enrolment_with_the_right_code_opens_the_pages_and_is_audited(county):
    client, _ = _sign_in("custodian")
    wrong = client.post("/account/otp/", {"code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()

    TOTPDevice.objects.get(user__username="custodian").throttle_reset()  # the wait after a wrong code
    _enrol(client, "custodian")
    assert client.get("/cases/").status_code == 200
    [entry] = _entries("user.otp_enrol")
    assert entry.actor == "custodian" and entry.data == {"username": "custodian", "replaced": 0}


def test_totp_enrolled_users_enter_a_code_at_every_login(county):
    first, _ = _sign_in("admin")
    device = _enrol(first, "admin")

    client, _ = _sign_in("admin")
    r = client.get("/")
    assert r["Location"] == "/login/otp/?next=%2F"
    bad = client.post("/login/otp/", {"code": "123456", "next": "/"})
    assert bad.status_code == 400 and "验证码不正确" in bad.content.decode()
    [failed] = _entries("auth.otp_failed")
    assert failed.data == {"username": "admin", "channel": "web"}

    device.throttle_reset()  # django-otp makes the next try wait a second after a wrong code
    key = client.session.session_key
    ok = client.post("/login/otp/", {"code": otp_code(device), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.session.session_key != key  # a new key for the higher privilege
    assert client.get("/admin/").status_code == 200
    assert _entries("auth.otp")[-1].actor == "admin"


def test_totp_code_works_only_once(county):
    device = otp_device(county.users["custodian"])
    code = otp_code(device)
    one, _ = _sign_in("custodian")
    assert one.post("/login/otp/", {"code": code}).status_code == 302
    two, _ = _sign_in("custodian")
    assert two.post("/login/otp/", {"code": code}).status_code == 400


def test_totp_wrong_codes_are_throttled(county):
    device = otp_device(county.users["custodian"])
    client, _ = _sign_in("custodian")
    client.post("/login/otp/", {"code": "000000"})
    r = client.post("/login/otp/", {"code": otp_code(device)})  # right, but within the wait
    assert r.status_code == 400 and "错误次数过多" in r.content.decode()


def test_totp_password_alone_cannot_replace_an_enrolled_device(county):
    otp_device(county.users["custodian"])
    client, _ = _sign_in("custodian")
    r = client.get("/account/otp/")
    assert r.status_code == 302 and r["Location"].startswith("/login/otp/")
    assert client.post("/account/otp/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user__username="custodian").count() == 1


def test_totp_is_available_to_all_staff_and_then_asked_for(county):
    client, _ = _sign_in("handler")
    assert client.get("/cases/").status_code == 200  # not required for a handler
    page = client.get("/account/otp/").content.decode()
    assert "开启后，每次登录" in page
    device = _enrol(client, "handler")

    again, _ = _sign_in("handler")
    assert again.get("/cases/")["Location"] == "/login/otp/?next=%2Fcases%2F"
    assert again.post("/login/otp/", {"code": otp_code(device)}).status_code == 302
    assert again.get("/cases/").status_code == 200


def test_totp_rebinding_replaces_the_old_device(county, web):
    client = web("admin")
    old = otp_device(county.users["admin"])
    _enrol(client, "admin")
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert _entries("user.otp_enrol")[-1].data["replaced"] == 1


def test_totp_api_token_login_for_custodian_and_admin_requires_otp(county, client):
    status, body = _token_login(client, "custodian")
    assert status == 403 and body["error"]["code"] == "otp_not_enrolled"
    device = otp_device(county.users["custodian"])
    status, body = _token_login(client, "custodian")
    assert status == 401 and body["error"]["code"] == "otp_required"
    status, body = _token_login(client, "custodian", otp="000000")
    assert status == 401 and body["error"]["code"] == "otp_invalid"
    device.throttle_reset()
    status, body = _token_login(client, "custodian", otp=otp_code(device))
    assert status == 200 and body["token"].startswith("pa_")
    assert [e.data["channel"] for e in _entries("auth.otp_failed")] == ["api"]
    assert not ApiToken.objects.filter(user__username="custodian").exclude(name="api login").exists()


def test_totp_reset_command_clears_the_devices_and_is_audited(county):
    otp_device(county.users["custodian"])
    out = StringIO()
    call_command("reset_otp", "custodian", stdout=out)
    assert not TOTPDevice.objects.filter(user__username="custodian").exists()
    [entry] = _entries("user.otp_reset")
    assert entry.actor == "system" and entry.data == {"username": "custodian", "devices": 1}
    client, _ = _sign_in("custodian")
    assert client.get("/login/otp/")["Location"].startswith("/account/otp/")  # binds again


def test_totp_demo_explains_the_second_step_and_resets_passwords_through_the_action(county):
    from pingan.demo.management.commands.demo import Command

    _, token = issue_token(county.users["handler"], by=None)
    out = StringIO()
    demo = Command(stdout=out)
    passwords = demo.reset_passwords()
    demo.print_logins(passwords)

    assert "custodian（身份保管人）和 admin（系统管理员）首次登录后须先绑定手机身份验证器" in out.getvalue()
    handler = User.objects.get(username="handler")
    validate_password(passwords["handler"], handler)
    assert handler.check_password(passwords["handler"]) and passwords["handler"] in out.getvalue()
    assert _entries("user.password")[-1].actor == "system"
    assert _bearer(token).get("/api/v1/me").status_code == 401  # died with the old password
