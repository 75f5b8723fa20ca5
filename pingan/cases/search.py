"""The ledger's 关键词 (`q`, DESIGN §7): case number, title, description and work-record text.

One condition for every list that takes `q`; it is added to a query already limited by `visible_to`,
so it narrows what the reader sees and never widens it.

Both databases match by trigrams (three characters in a row), indexed by migration 0012:
- PostgreSQL: `pg_trgm` GIN indexes on UPPER(number), UPPER(title), UPPER(description) and
  UPPER(work record content), the very expressions Django's `icontains` compares. The case's own
  texts are one OR on its row, and the cases with a matching work record are looked up first (see
  `_recorded_q`), so the planner may take either road to the newest matches: for a rare phrase the
  indexes (a BitmapOr, then the few rows sorted), for a common one the newest cases read one by one
  until a page is full (at 1M cases, a phrase in 25k cases: the old UNION read them all, for the page
  and again for its total, 590 ms; now 31 ms with the total capped, benchmarks/RESULTS.md).
- SQLite: the FTS5 table `case_text` (tokenizer `trigram`, rowid = case id), kept by triggers.

A search's total is counted up to COUNT_CAP (`capped_count`): counting every match reads every
matching row (the indexes only point at candidates), which is what made a common phrase slow.

A query of one or two characters has no trigram: it reads titles only (and a bare serial, `12` for
PA-…-000012), on PostgreSQL through an index of the titles' characters and pairs of characters
(migration 0015), on SQLite by scanning; descriptions and work records are not read for it.
"""

from django.db import connection
from django.db.models import BooleanField, Exists, Func, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from .models import WorkRecord

MAX_LENGTH = 100
TRIGRAM = 3
COUNT_CAP = 1000  # a search's total stops here: "超过 1000 件"
MANY_RECORDS = 1000  # work records found beyond this: the phrase is common, probe case by case


def text_q(query: str | None) -> Q:
    """Cases whose text holds `query` (case-insensitive); an empty query matches every case. On
    PostgreSQL, building the condition reads the matching work records' case ids (one index query)."""
    text = (query or "").strip()[:MAX_LENGTH]
    if not text:
        return Q()
    if len(text) < TRIGRAM:
        return _short_q(text)
    if connection.vendor == "sqlite":
        return Q(pk__in=RawSQL("SELECT rowid FROM case_text WHERE case_text MATCH %s", [fts_phrase(text)]))
    return _matching_q(text)


def _short_q(text: str) -> Q:
    if connection.vendor == "postgresql":
        holds = _TitleHolds(Func(Upper("title"), function="pingan_short_grams"), _array(Upper(Value(text))))
        # The same test as a cheap STRPOS, which PostgreSQL runs first on each case it reads when it
        # walks the newest cases: computing the pieces of every title read costs 50 µs a title.
        q = Q(GreaterThan(StrIndex(Upper("title"), Upper(Value(text))), 0)) & Q(holds)
    else:
        # Chinese has no case: without UPPER() the scan costs half (20k titles: 9 ms against 21).
        q = Q(title__contains=text) if text.upper() == text.lower() else Q(title__icontains=text)
    if text.isascii() and text.isdigit():
        # The serial, as pingan.cases.builder writes it; UPPER() as the number's trigram index has it.
        q |= Q(number__iendswith=f"-{int(text):06d}")
    return q


class _TitleHolds(Func):
    """`pingan_short_grams(UPPER(title)) @> ARRAY[UPPER(q)]`: the expression migration 0015 indexes."""

    arg_joiner = " @> "
    template = "%(expressions)s"
    output_field = BooleanField()


def _array(value) -> Func:
    return Func(value, function="ARRAY", template="ARRAY[%(expressions)s]")


def _matching_q(text: str) -> Q:
    own = Q(number__icontains=text) | Q(title__icontains=text) | Q(description__icontains=text)
    return own | _recorded_q(text)


def _recorded_q(text: str) -> Q:
    """Cases with a work record holding `text`. Usually few: their ids, read once through the records'
    index, which the planner ORs with the cases' own indexes (an `IN (subquery)` in an OR cannot be
    ORed so: every case would be read). Many: the phrase is common, so the newest cases are read one by
    one anyway, and each probes its own records."""
    found = WorkRecord.objects.order_by().filter(content__icontains=text).values_list("case_id", flat=True)
    rows = list(found[: MANY_RECORDS + 1])
    if len(rows) <= MANY_RECORDS:
        return Q(pk__in=sorted(set(rows)))
    return Q(Exists(WorkRecord.objects.filter(case_id=OuterRef("pk"), content__icontains=text)))


def capped_count(cases: QuerySet) -> tuple[int, bool]:
    """How many of `cases` there are, up to COUNT_CAP, and whether there are more."""
    n = cases.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def fts_phrase(text: str) -> str:
    """The user's text as one FTS5 string: nothing in it is syntax (AND, OR, NEAR, *, ^, column:)."""
    return '"' + text.replace('"', '""') + '"'
