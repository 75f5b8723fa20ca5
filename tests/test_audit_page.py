"""The auditor's working day in the web UI: the 审计日志 page, its export, the chain's verification
state, the desk that replaces an empty case ledger, and the menu."""

import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from pingan.accounts.actions import grant_role
from pingan.audit.models import AuditEntry, ChainVerification
from pingan.audit.verification import run_check

from .conftest import Api, case_body


def _text(response) -> str:
    return response.content.decode()


def _history(county) -> str:
    """A case created, accepted and dispatched, and its reporter's phone revealed by the handler."""
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    body = {"field": "reporter.phone", "reason": "电话回访核实情况"}
    assert Api(county.users["handler"]).post(f"/cases/{number}/actions/reveal", body)[0] == 200
    return number


def _total(html: str) -> int:
    return int(re.search(r"共 <strong data-total>(\d+)</strong> 条", html).group(1))


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in row]
        for row in (re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in body.split("</tr>"))
        if row
    ]


# ---------------------------------------------------------------- the page


def test_the_audit_page_filters_with_chinese_labels_and_counts(county, web):
    number = _history(county)
    client = web("auditor")
    html = _text(client.get("/audit/"))
    assert "<h1>审计日志</h1>" in html and _total(html) == AuditEntry.objects.count()
    assert '<optgroup label="个人信息、导出与导入">' in html and '<option value="case.reveal">' in html

    html = _text(client.get("/audit/", {"action": "case.accept"}))
    assert _total(html) == 1
    [row] = _cells(html)
    assert row[1:4] == ["周受理 dispatcher", "受理案件", f"案件 {number}"]
    assert "办结时限：" in row[4]
    assert '<option value="case.accept" selected>' in html

    html = _text(client.get("/audit/", {"actor": "吴承办", "case": number}))
    [row] = _cells(html)
    assert (
        row[1:3] == ["吴承办 handler", "查看个人信息原文"]
        and row[4] == "字段：反映人电话；理由：电话回访核实情况"
    )
    assert 'value="吴承办"' in html

    # Several codes at once (a desk tile) show as one chosen option; the export link keeps the filters.
    html = _text(client.get("/audit/", {"action": "case.accept,case.reveal"}))
    assert _total(html) == 2
    assert '<option value="case.accept,case.reveal" selected>受理案件、查看个人信息原文</option>' in html
    assert 'href="/audit/export.xlsx?action=case.accept%2Ccase.reveal"' in html


def test_a_bad_filter_on_the_page_is_a_400_with_its_message(county, web):
    r = web("auditor").get("/audit/", {"after": "2026-02-30"})
    assert r.status_code == 400
    assert "日期格式不正确" in _text(r) and _total(_text(r)) == 0


def test_the_page_pages_newest_first(county, web, monkeypatch):
    monkeypatch.setattr("pingan.audit.views.PAGE_SIZE", 4)
    client = web("auditor")
    by_system = list(AuditEntry.objects.filter(actor="system").order_by("-id").values_list("id", flat=True))
    assert len(by_system) > 8  # the test county's users and grants
    html = _text(client.get("/audit/", {"actor": "系统"}))
    seen = [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]
    while match := re.search(r'<a class="btn" href="([^"]+)" rel="next">', html):
        html = _text(client.get(match.group(1).replace("&amp;", "&")))
        assert "回到第一页" in html and _total(html) == len(by_system)
        seen += [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]
    assert seen == by_system and "已到最后一页" in html


@pytest.mark.parametrize("username", ["dispatcher", "leader", "admin", "custodian"])
def test_only_auditors_open_the_audit_pages(county, web, username):
    client = web(username)
    for path in ("/audit/", "/audit/export.xlsx", "/audit/chain/"):
        r = client.get(path)
        assert r.status_code == 403 and "审计日志仅供审计员查看" in _text(r), path
    assert client.post("/audit/verify/").status_code == 403
    assert not ChainVerification.objects.exists()


def test_the_export_has_chinese_labels_and_is_itself_audited(county, web):
    number = _history(county)
    client = web("auditor")
    before = AuditEntry.objects.count()
    client.get("/audit/")
    assert AuditEntry.objects.count() == before  # reading is not logged row by row

    r = client.get("/audit/export.xlsx", {"case": number})
    assert r.status_code == 200
    assert unquote(r["Content-Disposition"]).startswith("attachment; filename*=utf-8''审计日志-")
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))["审计日志"]
    rows = [
        dict(zip([c.value for c in ws[1]], row, strict=True))
        for row in ws.iter_rows(min_row=2, values_only=True)
    ]
    assert [row["操作"] for row in rows] == ["查看个人信息原文", "分派案件", "受理案件", "登记案件"]
    assert rows[0]["姓名"] == "吴承办" and rows[0]["对象"] == number
    assert rows[0]["详情"] == "字段：反映人电话；理由：电话回访核实情况"

    entry = AuditEntry.objects.latest("id")
    assert (entry.actor, entry.action, entry.object_type) == ("auditor", "audit.export", "audit")
    assert entry.data == {"filters": {"case": number}, "rows": 4}
    dispatcher = web("dispatcher")  # signing in is audited (auth.login): counted from here
    before = AuditEntry.objects.count()
    assert dispatcher.get("/audit/export.xlsx").status_code == 403
    assert client.get("/audit/export.xlsx", {"action": "nope"}).status_code == 400
    assert AuditEntry.objects.count() == before  # a refused or malformed export writes nothing


# ---------------------------------------------------------------- the chain's verification state


def test_the_check_runs_in_the_background_and_the_page_shows_what_it_found(county, web):
    client = web("auditor")
    assert "审计链尚未校验" in _text(client.get("/audit/"))

    r = client.post("/audit/verify/", follow=True)
    assert "已开始校验审计链" in _text(r)
    run = ChainVerification.objects.get()
    assert (run.state, run.requested_by) == ("queued", "auditor")
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "pingan.audit.verification.run_check" and task.args_kwargs["args"] == [run.pk]
    # While it is on its way the state polls itself, and a second click queues nothing more.
    html = _text(client.get("/audit/chain/"))
    assert "已排队" in html and 'hx-trigger="every 3s"' in html
    assert "校验已在进行中" in _text(client.post("/audit/verify/", follow=True))
    assert ChainVerification.objects.count() == DBTaskResult.objects.count() == 1

    total = AuditEntry.objects.count()
    assert run_check.call(run.pk) is True
    html = _text(client.get("/audit/chain/"))
    assert f"审计链校验：正常，已校验 {total:,} 条" in html and "hx-trigger" not in html
    _history(county)
    assert "此后新增 4 条，待下次校验" in _text(client.get("/audit/"))

    altered = AuditEntry.objects.order_by("id")[5]
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["mallory", altered.pk])
    client.post("/audit/verify/")
    assert run_check.call(ChainVerification.objects.first().pk) is False
    html = _text(client.get("/audit/"))
    assert 'class="card chain broken"' in html
    assert f"链 {altered.partition}，编号 {altered.pk}" in html and "操作人 mallory" in html


def test_audit_verify_stores_its_result_for_the_page(county, web):
    call_command("audit", "verify", stdout=io.StringIO())
    run = ChainVerification.objects.get()
    assert run.state == "done" and run.intact and run.requested_by == "system"
    assert run.checked == AuditEntry.objects.count()
    assert "审计链校验：正常" in _text(web("auditor").get("/audit/"))


# The worker closes its connections, so this test commits for real (and restores the migrated
# reference data afterwards).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_task_worker_runs_a_queued_check(county, web):
    web("auditor").post("/audit/verify/")
    call_command("worker", "--batch")
    run = ChainVerification.objects.get()
    assert run.state == "done" and run.intact and run.checked == AuditEntry.objects.count()


# ---------------------------------------------------------------- the desk and the menu


def test_the_auditors_desk_counts_lead_to_lists_of_the_same_total(county, web):
    number = _history(county)
    assert web("dispatcher").post("/exports/ledger/").status_code == 200
    Client().post("/login/", {"username": "handler", "password": "wrong"})
    auditor = web("auditor")
    auditor.get("/audit/export.xlsx", {"case": number})
    call_command("audit", "verify", stdout=io.StringIO())

    html = _text(auditor.get("/"))
    assert "我的工作台" in html and "我经手的案件" not in html and "挂牌督办" not in html
    tiles = re.findall(r'<a class="tile[^"]*" href="([^"]+)"><b>([^<]+)</b><span>([^<]+)</span>', html)
    labels = [label for _, _, label in tiles]
    assert labels == [
        "今日记录",
        "近 7 日查看个人信息",
        "近 7 日导出",
        "近 7 日角色授权变更",
        "近 7 日登录失败与锁定",
    ]
    counts = {label: (link.replace("&amp;", "&"), value) for link, value, label in tiles}
    assert counts["近 7 日查看个人信息"][1] == "1" and counts["近 7 日导出"][1] == "2"
    assert counts["近 7 日登录失败与锁定"][1] == "1"
    assert counts["今日记录"][1] == str(AuditEntry.objects.count())
    assert '<p class="chain-state ok"><a href="/audit/#chain">审计链校验：正常' in html
    for label in labels:
        link, value = counts[label]
        assert _total(_text(auditor.get(link))) == int(value), label
        params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        assert Api(county.users["auditor"]).get("/audit", with_total="true", **params)[1]["total"] == int(
            value
        )
    assert "最新审计记录" in html and "导出审计日志" in html and "查看个人信息原文" in html


def test_an_auditor_who_also_works_cases_keeps_the_case_desk(county, web):
    grant_role(county.users["auditor"], "dispatcher", region=county.towns[0], by=None)
    html = _text(web("auditor").get("/"))
    assert "我经手的案件" in html and "待受理" in html


def _menu(client) -> list[str]:
    html = _text(client.get("/"))
    return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', html)


def test_the_menu_shows_the_auditor_his_log_and_configuration_only_to_admins(county, web):
    auditor = web("auditor")
    assert _menu(auditor) == ["工作台", "审计日志"]
    assert 'href="/admin/"' not in _text(auditor.get("/"))
    html = _text(auditor.get("/audit/"))
    assert '<a href="/audit/" aria-current="page">审计日志</a>' in html
    assert 'href="/admin/">配置管理' in _text(web("admin").get("/"))
    assert _menu(web("admin")) == ["工作台"]
    dispatcher = _text(web("dispatcher").get("/"))
    assert "审计日志" not in dispatcher and 'href="/admin/"' not in dispatcher
    # The Django admin's audit list speaks Chinese too.
    admin_list = _text(auditor.get("/admin/audit/auditentry/"))
    assert "授予角色" in admin_list and "账号、角色与令牌 · 授予角色" in admin_list
