"""Reports (GOVERNANCE §5, issue 12 parts 3 and 6): 周调度表, 月通报 and 季考评 as data, on screen, as
.docx and .xlsx; drafts regenerate, publishing freezes; the .docx prints in LibreOffice with Chinese
text, the ranking table and a chart."""

import io
from datetime import date, timedelta
from pathlib import Path

import pypdfium2
import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from docx import Document
from openpyxl import load_workbook

from pingan.accounts.actions import create_user, grant_role
from pingan.audit.models import AuditEntry
from pingan.core.periods import period_of
from pingan.demo.generator import generate_cases
from pingan.demo.schemes import create_schemes
from pingan.reports.actions import generate, publish, request_generation, set_commentary
from pingan.reports.content import BUILDERS
from pingan.reports.models import Report
from pingan.reports.schedule import build_draft
from pingan.supervision.models import Supervision

from .conftest import PASSWORD
from .printing import assert_cjk_font, pdf_text, save_pages, to_pdf


def _month():
    return period_of("month", timezone.localdate().replace(day=1) - timedelta(days=1))


def test_a_monthly_report_is_drawn_from_the_cases_and_saved_as_docx_and_xlsx(county):
    generate_cases(county, 120)
    report = generate("monthly", _month().key, county.code, by=county.users["supervisor"])
    doc = report.document
    assert doc["title"] == "示范县平安建设工作月通报" and doc["subtitle"] == _month().label
    headings = [s["heading"] for s in doc["sections"]]
    assert headings[0] == "一、总体情况" and "超期和挂牌督办案件" in headings[2]
    words = Document(report.docx.path)
    text = "\n".join(p.text for p in words.paragraphs)
    assert "示范县平安建设工作月通报" in text and "总体情况" in text
    assert words.inline_shapes, "the chart is in the document as an image"
    book = load_workbook(report.xlsx.path)
    assert book.sheetnames[0] == "说明" and "各类案件登记与办结" in book.sheetnames
    assert AuditEntry.objects.filter(action="report.generate", object_id=str(report.pk)).exists()


def test_the_monthly_docx_prints_with_chinese_text_tables_and_a_chart(county, tmp_path):
    generate_cases(county, 120)
    create_schemes(date(2020, 1, 1))
    report = generate("monthly", _month().key, county.code, by=county.users["supervisor"])
    source = tmp_path / "月通报.docx"
    source.write_bytes(Path(report.docx.path).read_bytes())
    pdf_path = to_pdf(source, tmp_path)
    assert_cjk_font(pdf_path)
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    text = pdf_text(pdf)
    assert "示范县平安建设工作月通报" in text and "各类案件登记与办结" in text and "本月登记" in text
    flat = "".join(text.split())  # a long title may wrap
    assert "乡镇（街道）考核排名" in flat and "县直部门考核排名" in flat, "the ranking tables print"
    assert "名次" in flat and "等次" in flat and "较上月" in flat and "红黑榜" in flat
    images = sum(
        1 for i in range(len(pdf)) for o in pdf[i].get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE
    )
    assert images >= 1, "the chart is on a page"
    save_pages(pdf, "reports", "monthly")


def _case(api, county, town_index=0, **fields):
    from pingan.cases.models import Case

    from .conftest import case_body

    village = county.villages[county.towns[town_index].code][0]
    number = api("dispatcher").post("/cases", case_body(county, region=village.code))[1]["number"]
    if fields:
        Case.objects.filter(number=number).update(**fields)
    return number


def week_start(now):
    """The first moment of this week, local time: a case closed then is closed this week."""
    from pingan.reports.content import bounds

    return bounds(period_of("week", timezone.localdate(now)))[0]


def test_the_weekly_sheet_counts_each_town_as_worked_out_by_hand(county, api):
    from pingan.cases.models import Case

    now = timezone.now()
    week = period_of("week", timezone.localdate(now))
    for _ in range(3):
        _case(api, county, 0)  # town 1: three new this week, open
    overdue = _case(api, county, 0, accept_due=now - timedelta(days=3), overdue_since=now - timedelta(days=3),
                    supervision_level=Case.Supervision.LISTED)  # fmt: skip
    _case(api, county, 1, reported_at=now - timedelta(days=8))  # town 2: one from before this week, open
    # Town 2 also closed one this week that came in last week, and one long ago, which counts nowhere.
    _case(api, county, 1, reported_at=now - timedelta(days=9), status="closed", closed_at=week_start(now))
    _case(api, county, 1, reported_at=now - timedelta(days=40), status="closed",
          closed_at=now - timedelta(days=30))  # fmt: skip
    body = {"level": "listed", "requirement": "三日内上报处置进展", "report_every_days": 3}
    api("leader").act(overdue, "supervise", body)
    Supervision.objects.filter(case__number=overdue).update(
        missed_since=now - timedelta(days=1)
    )  # a report late
    report = generate("weekly", week.key, county.code, by=county.users["supervisor"], now=now)
    table = next(b for s in report.document["sections"] for b in s["blocks"] if b["type"] == "table")
    rows = {r[0]: r[1:] for r in table["rows"]}
    # [new, closed, open, overdue, longest overdue days, listed, late reports, new group, major hazards]
    assert rows[county.towns[0].name] == [4, 0, 4, 1, 3, 1, 1, 0, 0]
    assert rows[county.towns[1].name] == [0, 1, 1, 0, None, 0, 0, 0, 0]
    assert rows["合计"] == [4, 1, 5, 1, 3, 1, 1, 0, 0]
    assert overdue not in str(report.document)  # the weekly sheet counts; it names no case
    assert "本周示范县新增各类案件 4 件" in report.document["sections"][0]["blocks"][0]["text"]


def test_publishing_freezes_the_figures_and_the_files(county, api):
    month = _month()
    supervisor = county.users["supervisor"]
    report = generate("monthly", month.key, county.code, by=supervisor)
    set_commentary(report, "各乡镇要对超期案件逐件销号。", by=supervisor)
    report = publish(Report.objects.get(pk=report.pk), by=supervisor)
    frozen = (report.document, Path(report.docx.path).read_bytes(), Path(report.xlsx.path).read_bytes())
    # A case dated inside the published month arrives later: the published report does not move.
    start = timezone.make_aware(timezone.datetime.combine(month.start, timezone.datetime.min.time()))
    _case(api, county, 0, reported_at=start + timedelta(days=2))
    for attempt in (
        lambda: generate("monthly", month.key, county.code, by=supervisor),
        lambda: set_commentary(report, "改一改", by=supervisor),
        lambda: publish(report, by=supervisor),
    ):
        with pytest.raises(Exception) as refused:
            attempt()
        assert getattr(refused.value, "code", None) == "report_published" and refused.value.status == 409
    report.refresh_from_db()
    assert (
        report.document,
        Path(report.docx.path).read_bytes(),
        Path(report.xlsx.path).read_bytes(),
    ) == frozen
    assert "各乡镇要对超期案件逐件销号。" in "\n".join(p.text for p in Document(report.docx.path).paragraphs)
    # A draft, by contrast, follows the cases when regenerated.
    draft = generate("monthly", month.previous().key, county.code, by=supervisor)
    assert draft.status == "draft"


def test_the_reports_api_generates_lists_reads_downloads_and_publishes(county, api):
    month = _month().key
    status, body = api("supervisor").post(
        "/reports", {"kind": "monthly", "period": month, "region": county.code}
    )
    assert status == 201 and body["status"] == "draft" and body["title"] == "示范县平安建设工作月通报"
    rid = body["id"]
    _, listed = api("leader").get("/reports", kind="monthly")
    assert [i["id"] for i in listed["items"]] == [rid]
    status, full = api("leader").get(f"/reports/{rid}")
    assert status == 200 and full["document"]["sections"][0]["heading"] == "一、总体情况"
    r = api("leader").client.get(f"/api/v1/reports/{rid}/file.docx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert api("leader").post(f"/reports/{rid}/publish")[0] == 403  # leaders read; supervisors publish
    status, body = api("supervisor").post(f"/reports/{rid}/publish")
    assert status == 200 and body["status"] == "published" and body["published_at"]
    assert (
        api("handler").get(f"/reports/{rid}")[0] == 404 and api("handler").get("/reports")[1]["items"] == []
    )
    status, body = api("supervisor").post(
        "/reports", {"kind": "weekly", "period": month, "region": county.code}
    )
    assert (
        status == 400 and body["error"]["code"] == "period_kind_mismatch" and "周" in body["error"]["message"]
    )
    assert api("supervisor").get("/reports/99999999999999999999")[0] in (400, 404)


# The worker closes the database connection between tasks, as in production: committed data only.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pingan_report_writes_the_files_and_report_due_queues_drafts_for_the_worker(county, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("report", "monthly", "--period", _month().key, "--out", str(tmp_path), stdout=out)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".docx", ".xlsx"]
    assert "已生成" in out.getvalue()
    Report.objects.all().delete()
    call_command("report", "due", stdout=out)
    assert "共排队 3 份报告" in out.getvalue()
    week = period_of("week", _month().start).key  # not the week `report due` queues
    asked = request_generation("weekly", week, county.code, by=county.users["supervisor"])
    call_command("worker", "--batch", stdout=io.StringIO())
    kinds = sorted(Report.objects.values_list("kind", flat=True))
    assert kinds == ["monthly", "quarterly", "weekly", "weekly"]
    asked.refresh_from_db()  # the page's 重新生成, built by the worker
    assert not asked.generating and asked.ready and asked.created_by == county.users["supervisor"]


def test_the_report_pages_show_the_document_and_take_commentary_and_publication(county, web):
    client = web("supervisor")
    r = client.post("/reports/generate/", {"kind": "monthly", "period": _month().key, "region": county.code})
    assert r.status_code == 302
    # The button leaves the figures to the worker: the page says so and polls until the draft is built.
    report = Report.objects.get()
    html = client.get(r["Location"]).content.decode()
    assert report.generating and "正在按最新数据生成报告" in html and f"/reports/{report.pk}/state/" in html
    assert "发布（定稿）" not in html and "下载 Word" not in html
    waiting = client.get(f"/reports/{report.pk}/state/")
    assert "正在按最新数据生成报告" in waiting.content.decode() and "HX-Refresh" not in waiting
    build_draft.call(report.pk)
    assert client.get(f"/reports/{report.pk}/state/")["HX-Refresh"] == "true"  # built: reload the page
    page = client.get(r["Location"])
    html = page.content.decode()
    assert "示范县平安建设工作月通报" in html and 'data-chart="' in html and "发布（定稿）" in html
    assert "正在按最新数据生成报告" not in html
    client.post(f"/reports/{report.pk}/commentary/", {"commentary": "请各地对照通报抓好整改。"})
    client.post(f"/reports/{report.pk}/publish/")
    html = web("leader").get(f"/reports/{report.pk}/").content.decode()
    assert "请各地对照通报抓好整改。" in html and "已定稿" in html and "发布（定稿）" not in html
    bad = client.post("/reports/generate/", {"kind": "monthly", "period": "2026-W01", "region": county.code})
    assert bad.status_code == 400 and "月通报的期间应为月" in bad.content.decode()
    assert Report.objects.count() == 1  # a refused request queues nothing
    assert web("handler").get("/reports/").status_code == 403


def test_a_draft_being_generated_cannot_be_downloaded_or_published_and_is_queued_once(county, web, api):
    supervisor = county.users["supervisor"]
    draft = generate("monthly", _month().key, county.code, by=supervisor)
    client = web("supervisor")
    client.post(f"/reports/{draft.pk}/regenerate/")
    client.post(f"/reports/{draft.pk}/regenerate/")  # a second click while it waits
    assert DBTaskResult.objects.filter(task_path__endswith="build_draft").count() == 1
    draft.refresh_from_db()
    assert draft.generating and draft.queued_by == supervisor
    # The draft drawn before stays readable and downloadable; publishing would freeze the old figures.
    assert client.get(f"/reports/{draft.pk}/file.docx").status_code == 200
    status, body = api("supervisor").post(f"/reports/{draft.pk}/publish")
    assert status == 409 and body["error"]["code"] == "report_generating"
    assert "生成完成后再发布" in body["error"]["message"]
    assert api("supervisor").get(f"/reports/{draft.pk}")[1]["generating"] is True

    # A new report has no files until the worker draws it.
    fresh = request_generation("weekly", period_of("week", _month().start).key, county.code, by=supervisor)
    r = client.get(f"/reports/{fresh.pk}/file.xlsx")
    assert r.status_code == 409 and "尚未生成完成" in r.content.decode()
    assert "已等待较长时间仍未生成完成" not in client.get(f"/reports/{fresh.pk}/state/").content.decode()
    Report.objects.filter(pk=fresh.pk).update(queued_at=timezone.now() - timedelta(minutes=11))
    assert "pingan worker" in client.get(f"/reports/{fresh.pk}/state/").content.decode()  # no worker?
    status, body = api("supervisor").get(f"/reports/{fresh.pk}/file.docx")
    assert status == 409 and body["error"]["code"] == "report_not_ready"
    assert api("supervisor").post(f"/reports/{fresh.pk}/publish")[1]["error"]["code"] == "report_generating"
    listed = client.get("/reports/").content.decode()
    assert listed.count("生成中") == 2

    asked = AuditEntry.objects.filter(action="report.request", object_id=str(draft.pk))
    assert asked.count() == 1 and asked.get().data["kind"] == "monthly"  # the second click asked nothing

    # Outside the region: the state and the regeneration answer 404, and queue nothing.
    town = county.towns[0]
    outsider = create_user(username="town_sup", password=PASSWORD, by=None, full_name="乡镇督导")
    grant_role(outsider, "supervisor", region=town, by=None)
    other = Client()
    other.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(f"/reports/{draft.pk}/state/").status_code == 404
    assert other.post(f"/reports/{fresh.pk}/regenerate/").status_code == 404
    assert DBTaskResult.objects.filter(task_path__endswith="build_draft").count() == 2

    build_draft.call(draft.pk)
    draft.refresh_from_db()
    assert not draft.generating and draft.created_by == supervisor
    assert api("supervisor").post(f"/reports/{draft.pk}/publish")[0] == 200


def test_a_failed_generation_is_written_on_the_report_and_shown(county, web, api, monkeypatch):
    supervisor = county.users["supervisor"]
    report = request_generation("monthly", _month().key, county.code, by=supervisor)

    def broken(region, period, now):
        raise RuntimeError("disk full")

    monkeypatch.setitem(BUILDERS, "monthly", broken)
    with pytest.raises(RuntimeError):
        build_draft.call(report.pk)
    report.refresh_from_db()
    assert not report.generating and report.error.startswith("生成报告时出错")
    html = web("supervisor").get(f"/reports/{report.pk}/").content.decode()
    assert "上次生成未完成：生成报告时出错" in html and "重新生成" in html
    assert "生成失败" in web("supervisor").get("/reports/").content.decode()
    status, body = api("supervisor").post(f"/reports/{report.pk}/publish")  # nothing drawn to publish
    assert status == 409 and body["error"]["code"] == "report_not_ready"

    # A refusal (the asker lost the region meanwhile) is written in its own words.
    monkeypatch.undo()
    report = request_generation("monthly", _month().key, county.code, by=supervisor)
    supervisor.grants.all().delete()
    build_draft.call(report.pk)
    report.refresh_from_db()
    assert not report.generating and report.error and not report.ready


# ---------------------------------------------------------------- rankings, 红黑榜 and the 季考评


def _blocks(report) -> dict[str, dict]:
    return {b["title"]: b for s in report.document["sections"] for b in s["blocks"] if b.get("title")}


def test_the_monthly_report_ranks_towns_and_departments_and_names_its_honour_roll(county):
    generate_cases(county, 120)
    create_schemes(date(2020, 1, 1))
    month = _month()
    report = generate("monthly", month.key, county.code, by=county.users["supervisor"])
    headings = [s["heading"] for s in report.document["sections"]]
    assert headings[2:4] == ["三、考核排名", "四、红黑榜"]
    blocks = _blocks(report)
    towns = next(b for t, b in blocks.items() if t.startswith("乡镇（街道）考核排名"))
    assert (
        towns["columns"][:5] == ["名次", "乡镇", "得分", "等次", "较上月"]
        and "按期办结率" in towns["columns"]
    )
    from pingan.assessment.ranking import ranking

    expected = ranking("town", month)["rows"]
    assert [r[:4] for r in towns["rows"]] == [
        [r["rank"], r["name"], r["score"], r["grade"]] for r in expected
    ]
    assert {r[1] for r in towns["rows"]} == {t.name for t in county.towns}
    units = next(b for t, b in blocks.items() if t.startswith("县直部门考核排名"))
    assert units["columns"][1] == "县直部门" and units["rows"]
    honour = blocks["红黑榜"]
    assert {r[0] for r in honour["rows"]} <= {"红榜", "黑榜"} and honour["rows"]
    ranked = [r for r in expected if r["rank"] is not None]
    last = max(r["rank"] for r in ranked)
    black = {r[2] for r in honour["rows"] if r[0] == "黑榜" and r[1] == "乡镇"}
    assert {r["name"] for r in ranked if r["rank"] == last or r["grade"] in ("D", "E")} == black
    assert "名次前 3 位" in report.document["sections"][3]["blocks"][0]["text"]
    assert any(name.startswith("县直部门考核排名") for name in load_workbook(report.xlsx.path).sheetnames)


def test_the_honour_roll_follows_its_rule(settings):
    from pingan.reports.assessment import honour_roll

    def row(code, rank, grade, vetoed=False):
        return {"code": code, "name": code, "rank": rank, "grade": grade, "score": 1.0, "vetoed": vetoed,
                "vetoes": [{"name": "事故死亡"}] if vetoed else []}  # fmt: skip

    result = {"rows": [row("a", 1, "A"), row("b", 2, "D"), row("c", 3, "B"), row("d", 4, "C"),
                       row("e", 5, "E", vetoed=True), row("f", 6, "C"), row("g", None, None)]}  # fmt: skip
    commended, criticised = honour_roll(result)
    assert [r["code"] for r in commended] == ["a", "c"]  # the top 3 less b, whose D is criticised
    assert [(r["code"], why) for r, why in criticised] == [
        ("b", "考核等次为 D"), ("e", "触发否决项：事故死亡"), ("f", "排名末位"),
    ]  # fmt: skip
    settings.PINGAN_HONOUR_ROLL = {"commend_top": 1, "criticise_grades": ["E"], "criticise_last": False}
    commended, criticised = honour_roll(result)
    assert [r["code"] for r in commended] == ["a"] and [r["code"] for r, _ in criticised] == ["e"]


def test_the_quarterly_assessment_gives_each_items_points_deductions_and_the_quarters_entries(county):
    from pingan.accountability import actions as accountability

    generate_cases(county, 120)
    create_schemes(date(2020, 1, 1))
    quarter = period_of("quarter", timezone.localdate()).previous()
    supervisor = county.users["supervisor"]
    entry = accountability.enter(
        by=supervisor, region=county.towns[1], level="interview", on=quarter.start + timedelta(days=3),
        trigger="按期办结率连续两月全县末位。",
    )  # fmt: skip
    accountability.enter(
        by=supervisor, region=county.towns[0], level="reminder", on=quarter.start - timedelta(days=3),
        trigger="上一季度的提醒。",
    )  # fmt: skip
    report = generate("quarterly", quarter.key, county.code, by=county.users["supervisor"])
    doc = report.document
    assert doc["title"] == "示范县平安建设季度考评" and doc["subtitle"] == quarter.label
    headings = [s["heading"] for s in doc["sections"]]
    assert headings == [
        "一、考评概况",
        "二、乡镇（街道）考评结果",
        "三、县直部门考评结果",
        "四、问责建议",
        "五、工作要求",
    ]
    blocks = _blocks(report)
    towns = blocks["乡镇（街道）考评得分（乡镇（街道）平安建设考核方案）"]
    assert "按期办结率（25分）" in towns["columns"] and "扣分：超期未办结案件" in towns["columns"]
    assert towns["columns"][-4:] == ["否决项", "得分", "等次", "较上季"]
    from pingan.assessment.ranking import ranking

    expected = {r["name"]: r for r in ranking("town", quarter)["rows"]}
    at = towns["columns"].index("按期办结率（25分）")
    cut = towns["columns"].index("扣分：超期未办结案件")
    for row in towns["rows"]:
        mine = expected[row[1]]
        assert row[at] == mine["items"][0]["points"] and row[cut] == -mine["deductions"][0]["points"]
        assert row[-3:-1] == [mine["score"], mine["grade"]]
    assert "参评 3 个" in doc["sections"][0]["blocks"][0]["text"]
    entries = blocks["本季度问责建议"]["rows"]
    assert [(r[1], r[2], r[3]) for r in entries] == [(county.towns[1].name, "约谈", entry.trigger)]
    assert any(name.startswith("乡镇（街道）考评得分") for name in load_workbook(report.xlsx.path).sheetnames)
    assert "季度考评" in "\n".join(p.text for p in Document(report.docx.path).paragraphs)
