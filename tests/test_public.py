"""The public path: reports without an account, receipts, replies, ratings, rate limits (issue 4)."""

import hashlib
import hmac
import json
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from pingan.cases.models import Attachment, Case, FollowUp, PublicMessage, Receipt
from pingan.core import throttle
from pingan.portal import public

from .conftest import case_body

REPORT = {"stream": "hazard", "description": "桥头护栏断了两米，晚上看不清，很危险", "anonymous": True}


def post(client, path, body):
    r = client.post("/api/v1/public/reports" + path, json.dumps(body), content_type="application/json")
    return r.status_code, r.json(), r


@pytest.fixture
def visitor():
    cache.clear()
    return Client(REMOTE_ADDR="198.51.100.20")


def submit(visitor, **overrides):
    status, body, _ = post(visitor, "", {**REPORT, **overrides})
    assert status == 201, body
    return body["receipt"]


def test_a_receipt_has_100_random_bits_grouped_and_only_its_keyed_hash_is_kept(county, visitor):
    code = submit(visitor)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)
    assert public.CODE_LENGTH * 5 >= 80
    raw = code.replace("-", "")
    receipt = Receipt.objects.get()
    assert receipt.digest == hmac.new(settings.RECEIPT_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()
    # The code itself is nowhere: not in the case, its events, or the receipt row.
    case = Case.objects.get()
    stored = json.dumps(
        [list(Case.objects.values()), list(case.events.values()), list(Receipt.objects.values())], default=str
    )
    assert raw not in stored and code not in stored
    assert case.channel == "portal" and case.has_receipt and case.reported_by is None
    assert case.reporter.anonymous and case.reporter.name == "" and case.reporter.phone == ""
    assert case.events.get().actor == "public"


def test_codes_differ_and_a_typed_code_is_forgiving_about_case_dashes_and_look_alikes(county, visitor):
    codes = {submit(visitor) for _ in range(3)}
    assert len(codes) == 3
    code = codes.pop()
    for typed in (code.lower(), code.replace("-", " "), code.replace("0", "O").replace("1", "I")):
        status, body, _ = post(visitor, "/lookup", {"receipt": typed})
        assert status == 200, (typed, body)


def test_a_lookup_shows_status_and_public_replies_only(county, visitor, api):
    code = submit(visitor, name="不该出现", phone="13800000000")
    number = Case.objects.get().number
    dispatcher = api("dispatcher")
    dispatcher.act(number, "reply", {"text": "已安排镇安监办今天到现场查看。"})
    dispatcher.act(number, "accept", {"note": "内部意见：先核实"})
    status, body, _ = post(visitor, "/lookup", {"receipt": code})
    assert status == 200
    assert body["status"] == "accepted" and body["status_label"] == "已受理"
    assert [m["text"] for m in body["messages"]] == ["已安排镇安监办今天到现场查看。"]
    text = json.dumps(body, ensure_ascii=False)
    for internal in (number, "内部意见", "dispatcher", "周受理", "13800000000"):
        assert internal not in text
    assert not body["can_rate"]


def test_the_reporter_rates_a_finished_case_once_and_staff_see_it(county, visitor, api):
    code = submit(visitor)
    number = Case.objects.get().number
    dispatcher = api("dispatcher")
    dispatcher.act(number, "accept")
    status, body, _ = post(
        visitor, "/feedback", {"receipt": code, "satisfaction": "satisfied", "resolved": True}
    )
    assert status == 409 and body["error"]["code"] == "not_finished"
    dispatcher.act(number, "answer", {"summary": "护栏已修复。", "outcome": "resolved"})
    body_in = {"receipt": code, "satisfaction": "basically", "resolved": True, "note": "修得挺快"}
    status, body, _ = post(visitor, "/feedback", body_in)
    assert status == 200 and body["rated"] and not body["can_rate"]
    fu = FollowUp.objects.get(case__number=number)
    assert (fu.satisfaction, fu.resolved, fu.note, fu.by) == ("basically", True, "修得挺快", None)
    status, body, _ = post(visitor, "/feedback", body_in)
    assert status == 409 and body["error"]["code"] == "feedback_given"
    detail = dispatcher.get(f"/cases/{number}")[1]
    assert detail["follow_ups"][0]["by_public"]


def test_a_message_from_the_reporter_reaches_the_case_and_tells_the_dispatcher(county, visitor, api):
    code = submit(visitor)
    number = Case.objects.get().number
    status, body, _ = post(visitor, "/messages", {"receipt": code, "text": "补充：护栏旁边还有个坑。"})
    assert status == 201 and body["messages"][0]["from"] == "reporter"
    detail = api("dispatcher").get(f"/cases/{number}")[1]
    assert [(m["direction"], m["text"]) for m in detail["public_messages"]] == [
        ("in", "补充：护栏旁边还有个坑。")
    ]
    assert any(
        e["action"] == "public_message" for e in api("dispatcher").get(f"/cases/{number}/events")[1]["items"]
    )


def test_staff_cannot_reply_to_a_case_without_a_receipt(county, api):
    dispatcher = api("dispatcher")
    case = dispatcher.get(f"/cases/{dispatcher.post('/cases', case_body(county))[1]['number']}")[1]
    assert "reply" not in case["allowed_actions"]
    status, body = dispatcher.post(f"/cases/{case['number']}/actions/reply", {"text": "你好"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    assert not PublicMessage.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stream": "hazard"}, "description"),
        ({"stream": "dispute", "description": "邻居占用我家宅基地"}, "stream"),
        ({"stream": "hazard", "description": "燃气味很重很重", "anonymous": False}, "name"),
        ({"stream": "hazard", "description": "燃气味很重很重", "region": "999999"}, "region"),
        ({"stream": "hazard", "description": "燃气味很重很重", "category": "T01"}, "category"),
        ({"stream": "hazard", "description": "燃气味很重很重", "phone": "12345"}, "phone"),
    ],
)
def test_bad_public_input_gets_a_chinese_400_and_writes_nothing(county, visitor, body, field):
    status, out, _ = post(visitor, "", body)
    assert status == 400, out
    assert field in out["error"]["fields"], out
    assert re.search(r"[\u4e00-\u9fff]", out["error"]["fields"][field])
    assert not Case.objects.exists() and not Receipt.objects.exists()


def test_30_wrong_lookups_get_429_and_the_right_code_works_after_the_window(county, visitor, monkeypatch):
    code = submit(visitor)
    now = [1_000_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    answers = [post(visitor, "/lookup", {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}) for _ in range(30)]
    statuses = [a[0] for a in answers]
    limit = settings.PINGAN_PUBLIC_LOOKUP_FAILURES
    assert statuses[:limit] == [404] * limit and set(statuses[limit:]) == {429}
    refused = answers[-1]
    assert refused[1]["error"]["code"] == "rate_limited" and "后再试" in refused[1]["error"]["message"]
    assert 0 < int(refused[2]["Retry-After"]) <= settings.PINGAN_PUBLIC_WINDOW_SECONDS
    # Still locked out inside the window, even with the right code; another client is not.
    assert post(visitor, "/lookup", {"receipt": code})[0] == 429
    assert post(Client(REMOTE_ADDR="198.51.100.99"), "/lookup", {"receipt": code})[0] == 200
    now[0] += settings.PINGAN_PUBLIC_WINDOW_SECONDS
    assert post(visitor, "/lookup", {"receipt": code})[0] == 200


def test_the_portal_pages_are_rate_limited_too(county, visitor, monkeypatch):
    monkeypatch.setattr(settings, "PINGAN_PUBLIC_LOOKUP_FAILURES", 3)
    statuses = [visitor.post("/portal/r/", {"receipt": "nope", "op": "lookup"}).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    r = visitor.post("/portal/r/", {"receipt": "nope", "op": "lookup"})
    assert "操作过于频繁" in r.content.decode() and int(r["Retry-After"]) > 0


def test_submissions_are_rate_limited(county, visitor, monkeypatch):
    monkeypatch.setattr(settings, "PINGAN_PUBLIC_SUBMISSIONS", 2)
    assert [post(visitor, "", REPORT)[0] for _ in range(3)] == [201, 201, 429]
    assert Case.objects.count() == 2


def test_a_receipt_never_appears_in_a_url(county, visitor):
    html = visitor.get("/portal/r/").content.decode()
    assert 'method="post"' in html and 'name="receipt"' in html
    code = re.search(
        r"data-receipt>([^<]+)<",
        visitor.post(
            "/portal/new/hazard/", {"description": REPORT["description"], "anonymous": "yes"}
        ).content.decode(),
    ).group(1)
    r = visitor.post("/portal/r/", {"receipt": code, "op": "lookup"})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    for url in re.findall(r'(?:href|action|src)="([^"]*)"', r.content.decode()):
        assert code not in url and code.replace("-", "") not in url
    # A receipt in the query string is not read.
    assert visitor.get("/portal/r/", {"receipt": code}).content.decode().count("当前状态") == 0


def test_the_portal_form_takes_a_named_report_with_place_and_photo(county, visitor, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 45.0, 12.0), 3: "E", 4: (117.0, 15.0, 30.0)})
    Image.new("RGB", (40, 30), (10, 120, 30)).save(out, "JPEG", exif=exif)
    out.seek(0)
    out.name = "现场.jpg"
    village = county.villages[county.towns[0].code][0]
    r = visitor.post(
        "/portal/new/request/",
        {
            "description": "小区路灯坏了一个月没人修",
            "anonymous": "no",
            "name": "李四",
            "phone": "13912345678",
            "region": [county.towns[0].code, village.code],
            "address": "幸福路 12 号",
            "lat": "31.750000",
            "lng": "117.250000",
            "photos": out,
        },
    )
    assert r.status_code == 200 and "data-receipt" in r.content.decode()
    case = Case.objects.get()
    assert (case.stream, case.region_id, case.address, str(case.lat)) == (
        "request",
        village.code,
        "幸福路 12 号",
        "31.750000",
    )
    assert (case.reporter.name, case.reporter.phone, case.reporter.anonymous) == (
        "李四",
        "13912345678",
        False,
    )
    att = Attachment.objects.get(case=case)
    with att.file.open("rb") as f, Image.open(f) as im:
        assert not im.getexif() and b"Exif" not in att.file.read()


def test_a_disguised_html_file_is_refused_in_chinese_and_nothing_is_kept(county, visitor, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    r = visitor.post("/portal/new/hazard/", {"description": REPORT["description"], "photos": fake})
    assert r.status_code == 400
    assert "文件格式不支持：只接受 JPEG、PNG、HEIC 图片和 PDF 文件。" in r.content.decode()
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_follow_up_messages_are_rate_limited(county, visitor, monkeypatch):
    code = submit(visitor)
    monkeypatch.setattr(settings, "PINGAN_PUBLIC_MESSAGES", 2)
    statuses = [post(visitor, "/messages", {"receipt": code, "text": f"补充 {i}"})[0] for i in range(3)]
    assert statuses == [201, 201, 429]
    assert PublicMessage.objects.count() == 2
