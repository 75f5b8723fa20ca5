"""The ledger's 关键词 `q` (pingan.cases.search): what it reads, on both databases, within scope."""

import pytest
from django.db import connection, transaction

from pingan.cases.models import Case, WorkRecord
from pingan.cases.search import text_q

from .conftest import Api, case_body


def _new(county, **overrides) -> str:
    status, data = Api(county.users["dispatcher"]).post("/cases", case_body(county, **overrides))
    assert status == 201, data
    return data["number"]


def _in_progress(county, number: str) -> Api:
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h.act(number, "sign")
    return h


def _found(county, q, user="dispatcher") -> list[str]:
    status, page = Api(county.users[user]).get("/cases", q=q, with_total="true", limit=200)
    assert status == 200, page
    numbers = [c["number"] for c in page["items"]]
    assert page["total"] == len(numbers)
    return sorted(numbers)


@pytest.fixture
def three(county):
    """A title, a description and a work record that each hold a phrase the others lack."""
    in_title = _new(county, title="燃气管道泄漏隐患", description="请尽快派人查看。")
    in_description = _new(county, title="楼道问题", description="三单元楼道长期堆放杂物，影响通行。")
    in_record = _new(county, title="邻里纠纷", description="两户因琐事争吵。")
    _in_progress(county, in_record).act(
        in_record, "record_work", {"kind": "mediation", "content": "组织双方调解，达成口头协议。"}
    )
    return in_title, in_description, in_record


def test_title_description_and_work_record_each_match(county, three):
    in_title, in_description, in_record = three
    assert _found(county, "管道泄漏") == [in_title]
    assert _found(county, "堆放杂物") == [in_description]
    assert _found(county, "达成口头协议") == [in_record]
    assert _found(county, "无此内容的文字") == []


def test_number_matches_in_part(county, three):
    in_title = three[0]
    assert _found(county, in_title.lower()) == [in_title]
    assert _found(county, in_title[-8:]) == [in_title]


def test_search_ignores_case(county):
    number = _new(county, title="小区WiFi信号差")
    assert _found(county, "wifi信号") == [number]
    assert _found(county, "wI") == [number]  # short: the title, by scanning


def test_work_record_edits_and_deletes_follow(county, three):
    """On SQLite the search reads a copy (the FTS5 table) kept by triggers: edits must reach it."""
    in_title, _, in_record = three
    record = WorkRecord.objects.get(case__number=in_record)
    WorkRecord.objects.filter(pk=record.pk).update(content="电话回访，当事人表示满意。")
    assert _found(county, "口头协议") == []
    assert _found(county, "当事人表示满意") == [in_record]
    record.delete()
    assert _found(county, "当事人表示满意") == []
    Case.objects.filter(number=in_title).update(title="燃气表箱锈蚀")
    assert _found(county, "管道泄漏") == []
    assert _found(county, "表箱锈蚀") == [in_title]
    Case.objects.filter(number=in_title).delete()
    assert _found(county, "表箱锈蚀") == []


def test_short_queries_read_titles_and_serials_only(county, three):
    in_title, in_description, in_record = three
    assert _found(county, "燃气") == [in_title]
    assert _found(county, "纠") == [in_record]
    assert _found(county, "杂物") == []  # only in a description: no trigram, not scanned
    assert _found(county, "调解") == []  # only in a work record
    serial = int(in_description.rsplit("-", 1)[1])
    assert serial < 10 and _found(county, str(serial)) == [in_description]
    assert _found(county, f"0{serial}") == [in_description]


def test_blank_query_filters_nothing(county, three):
    assert _found(county, "   ") == sorted(three)
    assert _found(county, "") == sorted(three)
    assert Case.objects.filter(text_q(None)).count() == 3


SPECIAL = '关于"平安小区"创建 50%_进度'
OTHER = "平安小区 进度 平安 AND 小区"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('"平安小区"', "special"),
        ('"平安', "special"),
        ('"', "special"),
        ('""', None),
        ('"""', None),
        ("50%_", "special"),
        ("%_", "special"),
        ("%", "special"),
        ("_", "special"),
        ("%%%", None),
        ("___", None),
        ("5_%", None),
        ("平安 AND 小区", "other"),  # the words themselves, not an operator
        ("平安 OR 燃气", None),
        ("NEAR(平安 小区)", None),
        ("平安*", None),
        ("^平安", None),
        ("title:平安", None),
        ("{title}:平安", None),
        ("'); DROP TABLE cases_case; --", None),
        ("\\", None),
        ("平" * 300, None),
    ],
)
def test_special_characters_are_plain_text(county, q, found):
    cases = {
        "special": _new(county, title=SPECIAL),
        "other": _new(county, title="燃气管道检修", description=OTHER),
    }
    assert _found(county, q) == ([cases[found]] if found else [])


def test_out_of_scope_reader_does_not_find_a_matching_case(county, three):
    """handler2 works in the second town only: the cases of the first stay hidden whatever `q` says."""
    in_title, in_description, in_record = three
    _in_progress(county, in_title)
    _in_progress(county, in_description)
    for q, number in (("管道泄漏", in_title), ("堆放杂物", in_description), ("口头协议", in_record)):
        assert _found(county, q, "handler") == [number]
        assert _found(county, q, "handler2") == []
    page = _web(county, "handler2", "口头协议")
    assert in_record not in page and "data-total>0<" in page


def _web(county, username, q) -> str:
    from django.test import Client

    client = Client()
    client.force_login(county.users[username], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/cases/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_web_ledger_searches_the_same_text_and_says_what(county, three):
    in_title, in_description, in_record = three
    page = _web(county, "dispatcher", "口头协议")
    assert in_record in page and in_title not in page and "data-total>1<" in page
    assert 'placeholder="标题、描述、办理记录、编号"' in page
    assert "办理记录" in page.split('id="f-q-hint"')[1].split("</p>")[0]
    page = _web(county, "dispatcher", "堆放杂物")
    assert in_description in page and in_record not in page


# The plan: each kind of text is read through its index (PostgreSQL: pg_trgm GIN; SQLite: FTS5).
PG_INDEXES = ("case_number_trgm", "case_title_trgm", "case_description_trgm", "workrecord_content_trgm")


def test_the_indexes_serve_the_search(county, three):
    qs = Case.objects.filter(text_q("达成口头协议"))
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # A test table is tiny: make the planner show that it *can* use the indexes.
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = qs.explain()
        assert all(name in plan for name in PG_INDEXES), plan
        assert "Seq Scan" not in plan, plan
    else:
        plan = qs.explain()
        assert "case_text VIRTUAL TABLE" in plan, plan
    assert [c.number for c in qs] == [three[2]]
