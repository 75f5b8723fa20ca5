"""The ledger as .xlsx: the ledger's filters, the user's scope, text that cannot run, audited."""

import io
from datetime import datetime
from urllib.parse import unquote

import openpyxl
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pingan.accounts.models import User
from pingan.audit.models import AuditEntry
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case
from pingan.exports.ledger import COLUMNS

from .conftest import Api, case_body

URL = "/exports/ledger/"  # the ledger's 导出 button posts its filters here


def _create(county, town=0, **overrides) -> str:
    village = county.villages[county.towns[town].code][0]
    body = case_body(county, region=village.code, **overrides)
    return Api(county.users["dispatcher"]).post("/cases", body)[1]["number"]


def _dispatched(county, town=0, **overrides) -> str:
    number = _create(county, town, **overrides)
    d = Api(county.users["dispatcher"])
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    return number


def _sheet(response):
    assert response.status_code == 200, response.content[:500]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return wb["案件台账"]


def _numbers(ws) -> set[str]:
    return {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}


def test_export_has_chinese_headers_a_frozen_header_and_a_dated_file_name(county, web):
    number = _create(county)
    response = web("dispatcher").post(URL)
    disposition = unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment; filename*=utf-8''案件台账-")
    assert disposition.endswith(".xlsx")
    ws = _sheet(response)
    headers = [c.value for c in ws[1]]
    assert headers == [title for title, _ in COLUMNS]
    assert headers[:6] == ["案件编号", "业务类型", "分类", "标题", "来源渠道", "状态"]
    assert ws.freeze_panes == "A2"
    row = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    case = Case.objects.get(number=number)
    assert row["案件编号"] == number
    assert row["业务类型"] == "群众诉求" and row["状态"] == "登记" and row["来源渠道"] == "来电"
    assert row["是否超期"] == "否"
    # A real Excel date-time in Shanghai time, not text and not UTC.
    assert row["登记时间"] == case.reported_at.astimezone(LOCAL).replace(tzinfo=None, microsecond=0)
    assert isinstance(row["受理时限"], datetime)


def test_staff_appear_by_their_names_and_by_username_only_when_they_have_none(county, web):
    """承办人 shows the name people know the handler by (姓名); a user without one, the username."""
    signed = _dispatched(county, title="已签收")
    Api(county.users["handler"]).act(signed, "sign")
    headers = [title for title, _ in COLUMNS]

    def handler_column() -> dict[str, str | None]:
        ws = _sheet(web("dispatcher").post(URL))
        return {row[0]: row[headers.index("承办人")] for row in ws.iter_rows(min_row=2, values_only=True)}

    unsigned = _dispatched(county, title="未签收")
    assert handler_column() == {signed: "吴承办", unsigned: None}
    User.objects.filter(username="handler").update(full_name="")
    assert handler_column()[signed] == "handler"


def test_export_carries_no_personal_data(county, web):
    _create(county)
    ws = _sheet(web("dispatcher").post(URL))
    text = " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert "张三丰" not in text and "13812341234" not in text and "幸福小区" not in text


def test_export_holds_only_the_filtered_rows(county, web):
    accepted = _create(county, title="已受理的事项")
    Api(county.users["dispatcher"]).act(accepted, "accept")
    reported = {_create(county, title=f"待受理{i}") for i in range(2)}
    client = web("dispatcher")
    assert _numbers(_sheet(client.post(URL, {"status": "accepted"}))) == {accepted}
    assert _numbers(_sheet(client.post(URL, {"status": "reported"}))) == reported
    assert _numbers(_sheet(client.post(URL, {"q": "已受理"}))) == {accepted}


def test_second_town_handler_exports_no_first_town_case(county, web):
    first = _dispatched(county, town=0)
    second = _dispatched(county, town=1)
    assert _numbers(_sheet(web("handler2").post(URL))) == {second}
    assert _numbers(_sheet(web("handler").post(URL))) == {first}
    # A filter naming the other town cannot widen the scope.
    town = county.towns[0].code
    assert _numbers(_sheet(web("handler2").post(URL, {"region": town}))) == set()


def test_cells_that_look_like_formulas_come_back_as_text(county, web):
    titles = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2", "@SUM(A1)", "=1+1"]
    for title in titles:
        _create(county, title=title)
    ws = _sheet(web("dispatcher").post(URL))
    cells = [row[3] for row in ws.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(titles)
    assert {c.data_type for c in cells} == {"s"}


def test_query_count_does_not_grow_with_the_rows(county, web):
    client = web("dispatcher")
    client.post(URL)  # warm the session and the calendar

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _sheet(client.post(URL))
        return len(ctx.captured_queries)

    _dispatched(county)
    few = count()
    for i in range(6):
        _dispatched(county, title=f"第{i}件")
    assert count() == few
    assert few <= 12


def test_export_is_audited_with_its_filters_and_row_count(county, web):
    _create(county)
    _create(county)
    _sheet(web("dispatcher").post(URL, {"status": "reported", "stream": "request"}))
    entry = AuditEntry.objects.get(action="case.export")
    assert entry.actor == "dispatcher" and entry.object_type == "ledger"
    assert entry.data == {"filters": {"stream": "request", "status": "reported"}, "rows": 2}


def test_malformed_filter_is_a_400_page_not_a_500(county, web):
    response = web("dispatcher").post(URL, {"created_after": "上个月"})
    assert response.status_code == 400
    assert "提交的内容有误" in response.content.decode()
    assert not AuditEntry.objects.filter(action="case.export").exists()


def test_an_export_beyond_a_sheets_rows_is_refused_before_any_work(county, web, settings, monkeypatch):
    settings.PINGAN_EXPORT_BACKGROUND_ROWS = 1
    monkeypatch.setattr("pingan.exports.jobs.MAX_ROWS", 2)
    for i in range(3):
        _create(county, title=f"第{i}件")
    client = web("dispatcher")
    response = client.post(URL)
    assert response.status_code == 400 and "超出 Excel 单个工作表的行数上限" in response.content.decode()
    assert not AuditEntry.objects.filter(action="case.export").exists()
    assert client.post(URL, {"status": "reported", "q": "第1件"}).status_code == 200


def test_export_needs_a_login_and_a_post(county, web):
    response = Client().post(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert web("dispatcher").get(URL).status_code == 405
