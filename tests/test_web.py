"""The staff web pages, through Django's test client: scope, actions, reveal, lists and their SQL."""

import re
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.accounts.models import SavedFilter
from pingan.audit.models import AuditEntry
from pingan.cases.models import Attachment, Case, CaseRequest

from .conftest import JPEG, PASSWORD, Api, case_body


def _dispatched(county, **overrides):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county, **overrides))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    return number


def _form(county) -> dict:
    """The intake form's fields for the standard test case (no nested reporter)."""
    return {k: v for k, v in case_body(county).items() if k != "reporter"}


def _text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- ledger


def test_ledger_lists_filters_and_pages(county, web):
    d = Api(county.users["dispatcher"])
    numbers = [d.post("/cases", case_body(county, title=f"路灯损坏第{i}处"))[1]["number"] for i in range(3)]
    d.act(numbers[0], "accept")
    page = web("dispatcher")
    html = _text(page.get("/cases/"))
    assert all(n in html for n in numbers)
    only_accepted = _text(page.get("/cases/", {"status": "accepted"}))
    assert numbers[0] in only_accepted and numbers[1] not in only_accepted
    assert numbers[2] in _text(page.get("/cases/", {"q": "第2处"}))
    assert numbers[1] not in _text(page.get("/cases/", {"q": "第2处"}))


def test_ledger_keyset_pages_by_resolve_due_visit_every_case_once(county, web, monkeypatch):
    d = Api(county.users["dispatcher"])
    numbers = [d.post("/cases", case_body(county, title=f"事项{i}"))[1]["number"] for i in range(5)]
    for n in numbers[:3]:
        d.act(n, "accept")  # three with a resolve due, two without (NULLs sort last)
    from pingan.cases.views import ledger

    monkeypatch.setattr(ledger, "PAGE_SIZE", 2)
    page, seen, url = web("dispatcher"), [], "/cases/?sort=resolve_due"
    while url:
        html = _text(page.get(url))
        seen += re.findall(r'href="/cases/(PA-[\d-]+)/"', html)
        nxt = re.search(r'href="([^"]+)" rel="next"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == 5 and set(seen[:3]) == set(numbers[:3]) and set(seen[3:]) == set(numbers[3:])


def test_ledger_bad_filter_is_a_400_page_not_a_500(county, web):
    r = web("dispatcher").get("/cases/", {"created_after": "不是日期"})
    assert r.status_code == 400 and "时间格式不正确" in _text(r)


def test_ledger_and_detail_run_a_fixed_number_of_queries(county, web):
    page = web("dispatcher")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = _dispatched(county)
    h = Api(county.users["handler"])
    h.act(first, "sign")
    h.act(first, "record_work", {"kind": "visit", "content": "首次走访"})
    h.upload(first, JPEG, name="p.jpg")
    few = count("/cases/"), count(f"/cases/{first}/")
    for i in range(6):
        _dispatched(county, title=f"又一件{i}")
    for i in range(4):
        h.act(first, "record_work", {"kind": "visit", "content": f"走访{i}"})
        h.upload(first, JPEG, name=f"p{i}.jpg")
    many = count("/cases/"), count(f"/cases/{first}/")
    assert few == many, (few, many)
    # The case page's 23rd query is the dispatcher's 相似案件 panel: one pool query, however many
    # similar cases there are (the six added above all share the first one's description).
    assert many[0] <= 12 and many[1] <= 23


def test_handler2_never_sees_first_town_cases(county, web):
    number = _dispatched(county)
    Api(county.users["handler"]).upload(number, JPEG)
    att = Attachment.objects.get(case__number=number)
    other = web("handler2")
    assert number not in _text(other.get("/cases/"))
    assert other.get(f"/cases/{number}/").status_code == 404
    assert other.get(f"/cases/{number}/attachments/{att.pk}/").status_code == 404
    assert "<b>0</b><span>待签收</span>" in _text(other.get("/"))
    assert web("handler").get(f"/cases/{number}/attachments/{att.pk}/").status_code == 200


def test_saved_filters_belong_to_their_user(county, web):
    page = web("dispatcher")
    r = page.post("/cases/filters/", {"name": "待受理", "status": "reported"})
    assert r.status_code == 302 and "status=reported" in r["Location"]
    saved = SavedFilter.objects.get(user=county.users["dispatcher"])
    assert saved.query == "status=reported" and "待受理" in _text(page.get("/cases/"))
    web("leader").post(f"/cases/filters/{saved.pk}/delete/")
    assert SavedFilter.objects.filter(pk=saved.pk).exists()  # not the leader's to delete
    page.post(f"/cases/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


# ---------------------------------------------------------------- case page and actions


def test_action_buttons_are_exactly_the_allowed_actions(county, web):
    number = _dispatched(county)
    handler_page = _text(web("handler").get(f"/cases/{number}/"))
    assert "<summary>签收</summary>" in handler_page
    assert "<summary>分派</summary>" not in handler_page
    r = web("handler").post(f"/cases/{number}/actions/dispatch/", {})
    assert r.status_code == 403 and "无权" in _text(r)


def test_a_case_goes_through_its_workflow_in_the_web_ui(county, web):
    d, h = web("dispatcher"), web("handler")
    r = d.post(
        "/cases/new/",
        {**_form(county), "reporter_name": "李四", "reporter_phone": "13912345678"},
    )
    assert r.status_code == 302
    number = r["Location"].strip("/").split("/")[-1]
    assert d.post(f"/cases/{number}/actions/accept/", {"note": "受理"}).status_code == 302
    page = _text(d.get(f"/cases/{number}/"))
    assert "（建议）" in page  # the routing suggestion is pre-selected in the dispatch form
    unit = re.search(r'<option value="([^"]+)" selected>[^<]*（建议）', page).group(1)
    assert d.post(f"/cases/{number}/actions/dispatch/", {"lead_unit": unit}).status_code == 302
    assert h.post(f"/cases/{number}/actions/sign/", {}).status_code == 302
    with open_jpeg() as photo:
        r = h.post(
            f"/cases/{number}/actions/resolve/",
            {"outcome": "resolved", "summary": "已修复路灯", "evidence_files": photo},
        )
    assert r.status_code == 302, _text(r)
    case = Case.objects.get(number=number)
    assert case.status == "resolved" and case.attachments.filter(kind="evidence").count() == 1
    assert d.post(f"/cases/{number}/actions/check_pass/", {}).status_code == 302
    r = d.post(f"/cases/{number}/actions/follow_up/", {"satisfaction": "satisfied", "resolved": "true"})
    assert r.status_code == 302
    events = list(case.events.order_by("id").values_list("action", flat=True))
    assert events == ["create", "accept", "dispatch", "sign", "attach", "resolve", "check_pass", "follow_up"]


def open_jpeg():
    from django.core.files.uploadedfile import SimpleUploadedFile

    class _Ctx:
        def __enter__(self):
            return SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")

        def __exit__(self, *a):
            return False

    return _Ctx()


def test_a_failed_action_shows_its_error_and_writes_nothing(county, web, settings):
    number = _dispatched(county)
    h = web("handler")
    h.post(f"/cases/{number}/actions/sign/", {})

    def files():
        return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    before = files()
    with open_jpeg() as photo:
        r = h.post(f"/cases/{number}/actions/resolve/", {"outcome": "resolved", "evidence_files": photo})
    assert r.status_code == 400 and "此项必填" in _text(r)
    case = Case.objects.get(number=number)
    assert case.status == "in_progress" and not case.attachments.exists()
    assert files() == before  # the evidence rolled back with the action leaves no file behind


def test_stale_form_is_a_version_conflict(county, web):
    number = _dispatched(county)
    version = Case.objects.get(number=number).version
    Api(county.users["handler"]).act(number, "record_work", {"kind": "call", "content": "电话联系"})
    r = web("handler").post(f"/cases/{number}/actions/sign/", {"version": version})
    assert r.status_code == 409 and "已被他人修改" in _text(r)


def test_reporter_phone_is_masked_until_revealed_with_a_reason(county, web):
    number = _dispatched(county)
    page = web("handler")
    html = _text(page.get(f"/cases/{number}/"))
    assert "13812341234" not in html and "138****1234" in html
    r = page.post(
        f"/cases/{number}/reveal/", {"field": "reporter.phone", "reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 400 and "13812341234" not in _text(r)
    r = page.post(
        f"/cases/{number}/reveal/", {"field": "reporter.phone", "reason": "联系核实"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "13812341234" in _text(r)
    entry = AuditEntry.objects.filter(action="case.reveal").latest("id")
    assert entry.actor == "handler" and entry.data["reason"] == "联系核实"
    assert (
        web("handler2")
        .post(f"/cases/{number}/reveal/", {"field": "reporter.phone", "reason": "x"})
        .status_code
        == 404
    )


# ---------------------------------------------------------------- intake, inbox, supervision, grid


def test_intake_with_a_bad_phone_writes_nothing(county, web):
    before = Case.objects.count()
    body = {**_form(county), "reporter_name": "李四", "reporter_phone": "12345"}
    r = web("dispatcher").post("/cases/new/", body)
    assert r.status_code == 400 and "电话号码格式不正确" in _text(r) and "反映人 联系电话" in _text(r)
    assert Case.objects.count() == before


def test_intake_warns_of_similar_open_cases_in_the_village(county, web):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county, title="幸福小区路灯损坏"))[1]["number"]
    village = case_body(county)["region"]
    html = _text(web("dispatcher").get("/cases/similar/", {"region": village, "title": "小区路灯又坏了"}))
    assert number in html and "相似" in html
    elsewhere = county.villages[county.towns[1].code][0].code
    assert number not in _text(
        web("dispatcher").get("/cases/similar/", {"region": elsewhere, "title": "小区路灯"})
    )


def test_extension_is_approved_from_the_inbox(county, web):
    number = _dispatched(county)
    Api(county.users["handler"]).act(number, "sign")
    due = Case.objects.get(number=number).resolve_due
    new_due = (due + timedelta(days=5)).isoformat()
    Api(county.users["handler"]).act(
        number, "request_extension", {"reason": "需等待鉴定结果", "new_due": new_due}
    )
    head = web("unit_head")
    inbox = _text(head.get("/cases/inbox/"))
    assert "需等待鉴定结果" in inbox and number in inbox
    assert "<b>1</b><span>待审批</span>" in _text(head.get("/"))
    assert "需等待鉴定结果" not in _text(web("leader").get("/cases/inbox/"))  # not the leader's to decide
    r = head.post(
        f"/cases/{number}/actions/decide_extension/", {"decision": "approve", "next": "/cases/inbox/"}
    )
    assert r.status_code == 302 and r["Location"] == "/cases/inbox/"
    assert CaseRequest.objects.get(case__number=number).decision == "approved"
    assert Case.objects.get(number=number).resolve_due > due


def test_supervised_page_shows_listed_cases_and_their_report_due(county, web):
    number = _dispatched(county)
    Api(county.users["leader"]).act(
        number, "supervise", {"level": "listed", "requirement": "本周内办结", "report_every_days": 7}
    )
    html = _text(web("leader").get("/supervision/"))
    assert number in html and "挂牌督办" in html and "下次报告截止" in html
    assert number not in _text(web("handler2").get("/supervision/"))


def test_grid_worker_reports_from_the_phone_page(county, web):
    grid = web("grid_worker")
    page = _text(grid.get("/cases/grid/"))
    code = re.search(r'name="region" required>\s*<option value="(\d{15})"', page).group(1)
    with open_jpeg() as photo:
        r = grid.post(
            "/cases/grid/",
            {"stream": "hazard", "title": "消防通道被占用", "region": code, "lat": "30.1", "lng": "117.5",
             "photos": photo},
        )  # fmt: skip
    assert r.status_code == 302
    case = Case.objects.get(title="消防通道被占用")
    assert case.channel == "grid" and case.region_id == code and case.attachments.get().kind == "photo"
    assert "消防通道被占用" in _text(grid.get("/cases/grid/"))
    assert web("dispatcher").get("/cases/grid/").status_code == 403


# ---------------------------------------------------------------- login, lockout, headers


def test_login_locks_after_five_failures_even_with_the_right_password(county):
    c = Client()
    for _ in range(4):
        assert c.post("/login/", {"username": "handler", "password": "wrong"}).status_code == 200
    assert c.post("/login/", {"username": "handler", "password": "wrong"}).status_code == 429
    r = c.post("/login/", {"username": "handler", "password": PASSWORD})
    assert r.status_code == 429 and "锁定" in _text(r)
    api = c.post(
        "/api/v1/auth/token", {"username": "handler", "password": PASSWORD}, content_type="application/json"
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "locked_out"
    # Another account is not affected.
    assert c.post("/login/", {"username": "dispatcher", "password": PASSWORD}).status_code == 302


def test_pages_carry_a_csp_without_inline_scripts(county, web):
    r = web("dispatcher").get("/cases/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in _text(r) and " style=" not in _text(r) and "onclick" not in _text(r)


def test_due_soon_lists_cases_whose_clock_runs_out_within_a_day(county, web):
    d = Api(county.users["dispatcher"])
    soon = d.post("/cases", case_body(county, title="即将到期"))[1]["number"]
    later = d.post("/cases", case_body(county, title="还早"))[1]["number"]
    now = timezone.now()
    Case.objects.filter(number=soon).update(accept_due=now + timedelta(hours=3))
    Case.objects.filter(number=later).update(accept_due=now + timedelta(days=3))
    html = _text(web("dispatcher").get("/cases/", {"due_soon": "true"}))
    assert soon in html and later not in html


def test_the_menu_follows_the_users_roles(county, web):
    def menu(username):
        html = _text(web(username).get("/"))
        return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', html)

    assert menu("dispatcher") == [
        "工作台",
        "案件台账",
        "登记案件",
        "审批事项",
        "督办案件",
        "批量补录",
        "研判预警",
        "专项整治",
        "排查月报",
        "隐患排查",
        "平安创建",
    ]
    assert menu("handler") == ["工作台", "案件台账", "督办案件", "专项整治", "隐患排查", "平安创建"]
    assert menu("grid_worker") == [
        "网格上报",
        "工作台",
        "案件台账",
        "排查月报",
        "隐患排查",
    ]  # the report leads: the first tab on a phone
    assert "批量补录" not in menu("leader") and "审批事项" in menu("leader")
    assert "统计数据" in menu("leader") and "统计数据" in menu("supervisor")
    assert "专项整治" in menu("leader") and "专项整治" in menu("supervisor")
    assert "研判预警" in menu("leader") and "研判预警" not in menu("handler")
