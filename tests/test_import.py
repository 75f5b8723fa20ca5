"""补录: every row checked with the API's rules first, then all rows imported in one go or none."""

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases.clocks import LOCAL
from pingan.cases.imports import COLUMNS
from pingan.cases.models import Case, CaseEvent, Reporter, Status
from pingan.cases.rules import step_due
from pingan.regions.models import Region

from .conftest import Api, case_body

HEADERS = [c.header for c in COLUMNS]


def _row(county, **values) -> dict:
    village = county.villages[county.towns[0].code][0]
    row = {
        "业务类型": "矛盾纠纷",
        "分类代码": "D02",
        "标题": "两户因宅基地边界发生争执",
        "事项描述": "双方因围墙位置争执多年。",
        "来源渠道": "来访",
        "区划代码": village.code,
        "详细地址": "三组 8 号",
        "发生时间": datetime(2023, 5, 2, 8, 0),
        "登记时间": datetime(2023, 5, 4, 9, 30),
        "严重程度": "一般",
        "涉及人数": 2,
        "是否群体性": "否",
        "反映人姓名": "李四",
        "反映人电话": "13912345678",
        "当前状态": "已结案",
        "办结时间": datetime(2023, 5, 20, 16, 0),
        "办理结果": "化解/解决",
        "办结说明": "经调解双方达成协议并已履行。",
    }
    row.update(values)
    return row


def _xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, content: bytes, name="历史台账.xlsx"):
    return client.post("/cases/import/", {"file": SimpleUploadedFile(name, content)})


def test_import_page_explains_and_offers_the_template(county, web):
    response = web("dispatcher").get("/cases/import/")
    text = response.content.decode()
    assert response.status_code == 200
    assert (
        "下载导入模板" in text and 'enctype="multipart/form-data"' in text and "csrfmiddlewaretoken" in text
    )


def test_template_has_chinese_headers_an_example_and_the_codes(county, web):
    response = web("dispatcher").get("/cases/import/template.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = wb.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["C2"].value.startswith("【示例】")
    codes = [v for row in wb.worksheets[1].iter_rows(values_only=True) for v in row if v]
    assert {"dispute", "矛盾纠纷", "tip", "举报线索", "登记", "已结案", "D02"} <= set(codes)
    regions = {row[0] for row in wb.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert county.villages[county.towns[1].code][0].code in regions


def test_a_good_file_imports_every_row_with_its_event_and_historical_number(county, web):
    rows = [
        _row(county),
        _row(
            county,
            **{
                "业务类型": "request",
                "分类代码": "R02",
                "标题": "路灯不亮",
                "登记时间": "2024-02-03 10:15",
                "发生时间": None,
                "当前状态": "登记",
                "办结时间": None,
                "办理结果": None,
                "办结说明": None,
                "反映人电话": 13800001111,  # typed into a number cell
            },
        ),
    ]
    response = _upload(web("dispatcher"), _xlsx(rows))
    text = response.content.decode()
    assert response.status_code == 200, text
    assert "已补录 2 件" in text
    closed = Case.objects.get(title="两户因宅基地边界发生争执")
    assert closed.number == "PA-990122-2023-000001"
    assert closed.status == Status.CLOSED and closed.outcome == "resolved"
    assert closed.reported_at == datetime(2023, 5, 4, 9, 30, tzinfo=LOCAL)
    assert closed.resolved_at == closed.closed_at == datetime(2023, 5, 20, 16, 0, tzinfo=LOCAL)
    assert closed.outcome_summary == "经调解双方达成协议并已履行。"
    assert closed.category.code == "D02" and closed.people_involved == 2 and closed.channel == "walk_in"
    assert closed.accept_due is None
    open_case = Case.objects.get(title="路灯不亮")
    assert open_case.number == "PA-990122-2024-000001" and open_case.status == Status.REPORTED
    assert open_case.accept_due is not None and open_case.accept_due > open_case.reported_at
    assert Reporter.objects.get(case=open_case).phone == "13800001111"
    for case in (closed, open_case):
        event = CaseEvent.objects.get(case=case)
        assert (event.action, event.actor, event.to_status) == ("import", "dispatcher", case.status)
        assert AuditEntry.objects.filter(action="case.import", object_id=case.number).exists()
    assert AuditEntry.objects.get(action="case.import_file").data == {"file": "历史台账.xlsx", "rows": 2}
    assert verify_chain()[0]


def test_an_imported_open_case_runs_the_same_clock_and_numbering_as_a_registered_one(county, web):
    registered = Case.objects.get(
        number=Api(county.users["dispatcher"]).post("/cases", case_body(county))[1]["number"]
    )
    reported_at = registered.reported_at.astimezone(LOCAL).replace(microsecond=0) - timedelta(minutes=5)
    row = _row(county, **{"登记时间": reported_at.replace(tzinfo=None), "发生时间": None, "当前状态": "登记"})
    row.update({"办结时间": None, "办理结果": None, "办结说明": None})
    assert _upload(web("dispatcher"), _xlsx([row])).status_code == 200
    imported = Case.objects.get(title=row["标题"])
    year = reported_at.year
    assert registered.number == f"PA-990122-{year}-000001" and imported.number == f"PA-990122-{year}-000002"
    assert imported.accept_due == step_due(imported, "accept", imported.reported_at)
    assert imported.reported_by == county.users["dispatcher"] and imported.status == Status.REPORTED


def test_one_bad_row_imports_nothing_and_the_page_names_each_problem(county, web):
    rows = [
        _row(county),
        _row(county, **{"标题": "电话有误", "反映人电话": "12345"}),
        _row(county, **{"标题": "区划有误", "区划代码": "990122999999"}),
        _row(county, **{"标题": "缺结果", "办理结果": None, "办结时间": datetime(2023, 5, 1)}),
    ]
    response = _upload(web("dispatcher"), _xlsx(rows))
    text = response.content.decode()
    assert response.status_code == 400
    assert Case.objects.count() == 0 and not CaseEvent.objects.exists()
    assert "本次未导入任何案件" in text
    assert "第 3 行" in text and "反映人电话" in text and "电话号码格式不正确" in text
    assert "第 4 行" in text and "区划代码 990122999999 不存在" in text
    # Every problem of a row, not just the first.
    assert "第 5 行" in text and "已结案的须填写办理结果" in text and "办结时间不能早于登记时间" in text
    assert "<td>第 2 行</td>" not in text


def test_rows_outside_the_dispatchers_scope_or_in_the_wrong_shape_are_refused(county, web):
    Region.objects.create(code="990188", name="邻县")
    rows = [
        _row(county, **{"区划代码": "990188"}),
        _row(county, **{"业务类型": "闲聊", "涉及人数": "两人", "登记时间": "去年"}),
        _row(county, **{"标题": "x" * 201, "分类代码": "R02"}),
        _row(county, **{"标题": "【示例】两户因排水沟渠发生争执"}),
    ]
    text = _upload(web("dispatcher"), _xlsx(rows)).content.decode()
    assert "该区划不在您的管辖范围内" in text
    assert "取值无效，应为：矛盾纠纷" in text and "应为正整数" in text and "时间格式不正确" in text
    assert "不能超过 200 个字" in text and "不属于该业务类型" in text
    assert "示例行" in text
    assert Case.objects.count() == 0


def test_the_same_file_twice_is_refused_the_second_time(county, web):
    client = web("dispatcher")
    content = _xlsx([_row(county)])
    assert _upload(client, content).status_code == 200
    response = _upload(client, content)
    assert response.status_code == 400 and "可能已经导入过" in response.content.decode()
    assert Case.objects.count() == 1


def test_only_dispatchers_may_import(county, web):
    for username in ("handler", "leader", "grid_worker"):
        client = web(username)
        assert client.get("/cases/import/").status_code == 403
        assert client.get("/cases/import/template.xlsx").status_code == 403
        assert _upload(client, _xlsx([_row(county)])).status_code == 403
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"number,title\n1,x\n", "台账.csv", "无法识别该文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "台账.xls", "旧版 Excel（.xls）"),
        (b"PK\x03\x04 not really a zip", "台账.xlsx", "文件已损坏"),
        (b"", "空.xlsx", "无法识别该文件"),
    ],
)
def test_a_file_that_is_not_xlsx_gets_a_clear_message(county, web, content, name, message):
    response = _upload(web("dispatcher"), content, name)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_workbook_without_the_template_headers_or_rows_gets_a_clear_message(county, web):
    client = web("dispatcher")
    no_rows = _upload(client, _xlsx([]))
    assert no_rows.status_code == 400 and "没有案件数据" in no_rows.content.decode()
    missing = _upload(client, _xlsx([_row(county)], headers=[h for h in HEADERS if h != "登记时间"]))
    assert missing.status_code == 400 and "表头缺少必需的列：登记时间" in missing.content.decode()
    unknown = _upload(client, _xlsx([_row(county)], headers=[*HEADERS, "备注"]))
    assert "模板以外的列：备注" in unknown.content.decode()
    assert _upload(client, b"").status_code == 400
    assert client.post("/cases/import/", {}).status_code == 400


def test_too_many_rows_are_refused(county, web, monkeypatch):
    monkeypatch.setattr("pingan.cases.imports.reader.MAX_ROWS", 3)
    response = _upload(web("dispatcher"), _xlsx([_row(county, **{"标题": f"第{i}件"}) for i in range(4)]))
    assert response.status_code == 400 and "一次最多导入 3 行" in response.content.decode()


def test_an_oversized_file_is_refused(county, web, monkeypatch):
    monkeypatch.setattr("pingan.core.workbook.MAX_BYTES", 1000)
    response = _upload(web("dispatcher"), _xlsx([_row(county)]))
    assert response.status_code == 400 and "文件超过" in response.content.decode()
