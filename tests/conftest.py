import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from PIL import Image

from pingan.accounts.models import ApiToken
from pingan.accounts.twofactor import must_use_otp
from pingan.demo.county import build_county, create_role_users

# Passes the password validators (≥ 12 characters, not common, not all digits).
PASSWORD = "pw-test-123456"


@pytest.fixture
def county(db):
    c = build_county(towns=3, villages_per_town=2, grids_per_village=2)
    return create_role_users(c, password=PASSWORD)


class Api:
    """A JSON client authenticated with a real bearer token."""

    def __init__(self, user):
        self.user = user
        _, token = ApiToken.issue(user, name="test")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path, **params):
        r = self.client.get("/api/v1" + path, params)
        return r.status_code, r.json()

    def post(self, path, body=None, **headers):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body or {})
        r = self.client.post("/api/v1" + path, raw, content_type="application/json", headers=headers)
        return r.status_code, r.json()

    def act(self, number, action, body=None, expect=200):
        status, data = self.post(f"/cases/{number}/actions/{action}", body or {})
        assert status == expect, (action, status, data)
        return data

    def upload(self, number, content, name="photo.jpg", kind="evidence"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        f = SimpleUploadedFile(name, content, content_type="image/jpeg")
        r = self.client.post(f"/api/v1/cases/{number}/attachments", {"file": f, "kind": kind})
        return r.status_code, r.json()


@pytest.fixture
def api(county):
    return lambda username: Api(county.users[username])


@pytest.fixture
def web(county):
    """A browser-session test client signed in as the named demo user: web("handler")."""

    def login(username):
        c = Client()
        user = county.users[username]
        # The ModelBackend, as a form login records it (django-axes' backend only counts failures).
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if must_use_otp(user):
            pass_second_step(c, user)
        return c

    return login


def otp_device(user):
    """The user's confirmed authenticator, bound now if there is none (as the setup page would)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="测试", confirmed=True)


def otp_code(device) -> str:
    """What the user's authenticator app shows now; a step later if the current code was used."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:  # each code works once: take the next one, within the tolerance
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


def pass_second_step(client, user):
    """A signed-in test client after its TOTP step, as `django_otp.login` leaves the session."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.save()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "JPEG", quality=90)
    return out.getvalue()


# A real, decodable photo: uploads are decoded and re-encoded, so magic bytes alone no longer pass.
JPEG = _jpeg()


def case_body(county, **overrides):
    village = county.villages[county.towns[0].code][0]
    body = {
        "stream": "request",
        "category": "R02",
        "title": "小区路灯损坏无人维修",
        "description": "幸福小区 3 栋门口路灯已坏半月，夜间出行不便。",
        "channel": "hotline",
        "region": village.code,
        "reporter": {"name": "张三丰", "phone": "13812341234"},
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session", autouse=True)
def _remove_test_var_dir():
    """The suite keeps its files (uploads, keys) in a private temp dir; remove it afterwards."""
    import shutil

    from django.conf import settings

    yield
    shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def fresh_work_calendar():
    """The work calendar is cached in the process for a while; each test has a database of its own, so
    it reads the calendar afresh (a calendar another test left warm shifted every due of the next), and
    so the process memo of grants and reference rows (pingan.core.memo), for the tests that turn it on."""
    from pingan.cases.clocks import clear_calendar_cache
    from pingan.core.memo import forget_all

    clear_calendar_cache()
    forget_all()
    yield
    clear_calendar_cache()
    forget_all()


def seeded_once(*seed_args: str):
    """A module fixture: `pingan seed *seed_args` run once for the module's tests, inside a transaction
    rolled back after its last test. Each test runs in a savepoint within it (the `db` fixture), so
    what one test writes is gone before the next, as if each had seeded its own (the seed is the same
    for the same arguments); seeding costs seconds, so a module of such tests seeds once."""

    @pytest.fixture(scope="module")
    def fixture(django_db_setup, django_db_blocker):
        from pingan.cases.clocks import clear_calendar_cache

        with django_db_blocker.unblock(), transaction.atomic():
            clear_calendar_cache()
            call_command("seed", *seed_args, stdout=io.StringIO())
            yield
            transaction.set_rollback(True)
        clear_calendar_cache()

    return fixture
