"""Form and query-string parsing shared by the pages: ledger filters (for the ledger page, its export
and saved filters) and the payloads of the intake forms."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.http import QueryDict

from pingan.core.validation import validate

from ..selectors import CaseFilter

FILTER_FIELDS = tuple(CaseFilter.model_fields)
# Date filters a date picker sends as a bare day: from its start, or up to the end of it.
DAY_BOUNDS = (("created_after", 0), ("created_before", 1), ("closed_after", 0), ("closed_before", 1))


def ledger_filter(query: QueryDict) -> CaseFilter:
    """Blank fields mean "any"; `status` may repeat (checkboxes) or be a comma list.

    Raises the same `invalid` error as the API for a malformed value (a bad date, say)."""
    raw: dict[str, str] = {}
    for name in FILTER_FIELDS:
        values = [v.strip() for v in query.getlist(name) if v.strip()]
        if values:
            raw[name] = ",".join(values) if name == "status" else values[-1]
    for name, days in DAY_BOUNDS:
        if value := raw.get(name):
            raw[name] = _day_start(value, days)
    return validate(CaseFilter, raw)


def _day_start(value: str, days: int) -> str:
    """A date picker sends a bare day; "before 11-30" in a form means up to the end of that day."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value  # a full timestamp, or garbage the schema will report
    return f"{day + timedelta(days=days)}T00:00:00+08:00"


def filter_query(query: QueryDict) -> str:
    """Only the filter part of a query string (no cursor, no sort), for links and exports."""
    kept = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        values = [v for v in query.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def form_payload(post: QueryDict, names: Iterable[str]) -> dict:
    """The form's non-blank fields, stripped, for the action's schema to check. A name may repeat:
    the town → village → grid pickers all send `region`, and the last one chosen is the most specific."""
    payload: dict = {}
    for name in names:
        values = [v.strip() for v in post.getlist(name) if v.strip()]
        if values:
            payload[name] = values[-1]
    for name in ("lat", "lng"):  # a browser may send more digits than a case keeps
        if name in payload:
            payload[name] = payload[name][:12]
    return payload
