"""Reads of 督办 records for the page, its export and the API. Every one starts from `visible_records`:
a record is seen by whoever sees its case (pingan.accounts.policy through `Case.visible_to`)."""

from datetime import datetime
from typing import Any, Literal

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from pydantic import BaseModel, Field

from pingan.accounts.names import display_name
from pingan.accounts.policy import see_q
from pingan.accounts.scope import scope_of
from pingan.cases.models import Case
from pingan.cases.models.case import OPEN_STATUSES, case_fields
from pingan.cases.selectors import MAX_LIMIT, CaseFilter, decode_cursor, encode_cursor, filter_cases
from pingan.regions.models import subtree_q

from .models import Supervision
from .schedule import OWED_IN

VIA_CASE = case_fields("case")

STATES = (("active", "督办中"), ("ended", "已解除或已办结"), ("all", "全部"))


class SupervisionFilter(BaseModel):
    level: Supervision.Level | None = Field(None, description="`routine` 日常督办 / `listed` 挂牌督办")
    region: str | None = Field(None, description="区划代码（含下级），如乡镇")
    unit: str | None = Field(None, description="承办单位代码（牵头或协办，含下级单位）")
    late: bool | None = Field(None, description="true：逾期未报告进展的")
    state: Literal["active", "ended", "all"] = Field(
        "active", description="`active` 督办中（未解除且案件未办结）/ `ended` 已解除或案件已办结 / `all`"
    )


def in_force_q() -> Q:
    """Not lifted, on an open case. The case's `supervision_level` mirrors the record in force, so the
    third condition adds nothing to the set; it lets the database start from the few open supervised
    cases (a partial index on Case) instead of every record never lifted, most of them on closed cases."""
    return Q(lifted_at__isnull=True, case__status__in=OPEN_STATUSES) & ~Q(case__supervision_level="")


def late_q(now: datetime) -> Q:
    """In force and behind: a cycle was missed since the last report, or the one owed now has passed."""
    behind = Q(missed_since__isnull=False) | Q(next_report_due__lt=now, case__status__in=OWED_IN)
    return in_force_q() & behind


def visible_records(user) -> QuerySet[Supervision]:
    """The records of the cases the user may see (the cases' own rule, applied through the join)."""
    q = see_q(scope_of(user), VIA_CASE)
    return Supervision.objects.none() if q is None else Supervision.objects.filter(q)


def filter_records(qs: QuerySet[Supervision], f: SupervisionFilter, now: datetime) -> QuerySet[Supervision]:
    if f.state == "active":
        qs = qs.filter(in_force_q())
    elif f.state == "ended":
        qs = qs.exclude(in_force_q())
    if f.level:
        qs = qs.filter(level=f.level)
        if f.state == "active":  # the mirror of the record in force: the partial index's first column
            qs = qs.filter(case__supervision_level=f.level)
    # The ledger's own region and unit filters, so that both lists agree on what "in a town" means.
    if f.region:
        qs = qs.filter(subtree_q("case__region", f.region))
    if f.unit:
        cases = filter_cases(Case.objects.all(), CaseFilter(unit=f.unit))
        qs = qs.filter(case__in=cases.values("pk"))
    if f.late is not None:
        qs = qs.filter(late_q(now)) if f.late else qs.exclude(late_q(now))
    return qs


def records(user, f: SupervisionFilter, now: datetime) -> QuerySet[Supervision]:
    """The user's records under `f`, newest first, with `late` and what a row shows."""
    qs = filter_records(visible_records(user), f, now)
    return (
        qs.select_related("case__region", "case__lead_unit", "issued_by", "lifted_by")
        .annotate(late=ExpressionWrapper(late_q(now), output_field=BooleanField()))
        .order_by("-id")
    )


def record_page(
    user, f: SupervisionFilter, now: datetime, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Supervision], str | None]:
    """One keyset page (newest first) and the cursor of the next, or None at the end."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs = records(user, f, now)
    if cursor:
        qs = qs.filter(id__lt=decode_cursor(cursor)["id"])
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"id": rows[-1].pk}) if more else None


def record_count(user, f: SupervisionFilter, now: datetime) -> int:
    return filter_records(visible_records(user), f, now).count()


def name_of(user) -> str:
    return display_name(user) if user else "系统"


def record_out(s: Any) -> dict:
    case = s.case
    return {
        "id": s.pk,
        "case_number": case.number,
        "case_title": case.title,
        "case_status": case.status,
        "case_status_label": case.get_status_display(),
        "region_name": case.region.name,
        "lead_unit_name": case.lead_unit.name if case.lead_unit else None,
        "level": s.level,
        "level_label": s.get_level_display(),
        "issued_by": s.issued_by.username if s.issued_by else None,
        "issuer_name": name_of(s.issued_by),
        "issued_at": s.issued_at,
        "requirement": s.requirement,
        "report_every_days": s.report_every_days,
        "deadline": s.deadline,
        "next_report_due": s.next_report_due,
        "last_report_at": s.last_report_at,
        "late": bool(getattr(s, "late", False)),
        "lifted_at": s.lifted_at,
        "lifted_by_name": name_of(s.lifted_by) if s.lifted_at else None,
        "lift_note": s.lift_note,
    }
