import io
import json

import pytest
from django.test import Client
from PIL import Image

from pingan.accounts.models import ApiToken
from pingan.demo.county import build_county, create_role_users

PASSWORD = "pw-test-123"


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
        # The ModelBackend, as a form login records it (django-axes' backend only counts failures).
        c.force_login(county.users[username], backend="django.contrib.auth.backends.ModelBackend")
        return c

    return login


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
