"""The ledger's 关键词 (`q`, DESIGN §7): case number, title, description and work-record text.

One condition for every list that takes `q`; it is added to a query already limited by `visible_to`,
so it narrows what the reader sees and never widens it.

Both databases match by trigrams (three characters in a row), indexed by migration 0012:
- PostgreSQL: `pg_trgm` GIN indexes on UPPER(number), UPPER(title), UPPER(description) and
  UPPER(work record content), the very expressions Django's `icontains` compares. The case ids come
  from a UNION of one index scan per text, so the planner can join them (an OR with a subquery would
  read every visible case).
- SQLite: the FTS5 table `case_text` (tokenizer `trigram`, rowid = case id), kept by triggers.

A query of one or two characters has no trigram: it reads titles by scanning (and a bare serial, `12`
for PA-…-000012); descriptions and work records are too long to scan on every keystroke.
"""

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Case, WorkRecord

MAX_LENGTH = 100
TRIGRAM = 3


def text_q(query: str | None) -> Q:
    """Cases whose text holds `query` (case-insensitive); an empty query matches every case."""
    text = (query or "").strip()[:MAX_LENGTH]
    if not text:
        return Q()
    if len(text) < TRIGRAM:
        return _short_q(text)
    if connection.vendor == "sqlite":
        return Q(pk__in=RawSQL("SELECT rowid FROM case_text WHERE case_text MATCH %s", [fts_phrase(text)]))
    return Q(pk__in=_matching_ids(text))


def _short_q(text: str) -> Q:
    # Chinese has no case: without UPPER() the scan costs half (PostgreSQL, 20k titles: 9 ms against 21).
    q = Q(title__contains=text) if text.upper() == text.lower() else Q(title__icontains=text)
    if text.isascii() and text.isdigit():
        q |= Q(number__endswith=f"-{int(text):06d}")  # the serial, as pingan.cases.builder writes it
    return q


def _matching_ids(text: str) -> QuerySet:
    cases = Case.objects.order_by()
    return (
        cases.filter(number__icontains=text)
        .values("pk")
        .union(
            cases.filter(title__icontains=text).values("pk"),
            cases.filter(description__icontains=text).values("pk"),
            WorkRecord.objects.order_by().filter(content__icontains=text).values("case_id"),
            all=True,
        )
    )


def fts_phrase(text: str) -> str:
    """The user's text as one FTS5 string: nothing in it is syntax (AND, OR, NEAR, *, ^, column:)."""
    return '"' + text.replace('"', '""') + '"'
