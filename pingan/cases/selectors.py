"""Reads shared by the API, the UI and reports. Every one starts from `visible_to`."""

import base64
import json
from datetime import date, datetime, timedelta
from typing import Annotated, Literal, NoReturn, TypeVar

from django.db.models import BooleanField, F, Prefetch, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone
from pydantic import BaseModel, Field

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.core.errors import forbidden, invalid, not_found
from pingan.core.validation import MAX_RECORD_ID, Moment
from pingan.regions.models import Unit, subtree_q

from .models import Attachment, Case, CaseEvent, CaseRequest, Category, LeaderAssignment, Status
from .models.case import CASE_FIELDS, OPEN_STATUSES, due_soon_q, overdue_q
from .search import capped_count, text_q
from .similar import SHOWN, SimilarCase, similar_to_case
from .tips import note_refused
from .workflow import TRANSITIONS, may_look_for_similar

MAX_LIMIT = 200
MAX_OVERDUE_DAYS = 36500
QS = TypeVar("QS", bound=QuerySet)


class CaseFilter(BaseModel):
    """The ledger filters of DESIGN §7, shared by the API and the UI."""

    stream: str | None = None
    status: str | None = None  # comma list
    category: str | None = None
    region: str | None = None
    unit: str | None = None
    overdue: bool | None = None
    due_soon: bool | None = None
    channel: str | None = None
    # true: any 督办; listed: 挂牌督办; routine: 督办 but not listed; false: not supervised
    supervised: Literal["true", "false", "routine", "listed"] | None = None
    open: bool | None = None  # still open (not finished), whatever the state
    backlog: bool | None = None  # 积案 (GOVERNANCE §7), marked by mark_backlog or imported
    leader: Literal["me"] | None = None  # me: the cases whose 包案 leader is the reader
    q: str | None = None  # 关键词: number, title, description, work records (pingan.cases.search)
    created_after: Moment | None = None  # on reported_at (登记时间)
    created_before: Moment | None = None
    closed_after: Moment | None = None  # on closed_at (结案时间, also of a rejected or merged case)
    closed_before: Moment | None = None
    # Overdue for at least / for less than N days: past a running clock's due by that long (both imply
    # `overdue`), the buckets of the cockpit's overdue ageing.
    overdue_days_min: Annotated[int | None, Field(ge=0, le=MAX_OVERDUE_DAYS)] = None
    overdue_days_max: Annotated[int | None, Field(ge=1, le=MAX_OVERDUE_DAYS)] = None


def _category_subtree_ids(code: str) -> list[int]:
    ids: list[int] = []
    frontier = list(Category.objects.filter(code=code).values_list("pk", flat=True))
    while frontier:
        ids.extend(frontier)
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
    return ids


def filter_cases(qs: QuerySet[Case], f: CaseFilter, user=None) -> QuerySet[Case]:
    """`user` is the reader, for the filters about him (`leader=me`)."""
    if f.stream:
        qs = qs.filter(stream=f.stream)
    if f.status:
        qs = qs.filter(status__in=[s.strip() for s in f.status.split(",") if s.strip()])
    if f.category:
        qs = qs.filter(category_id__in=_category_subtree_ids(f.category))
    if f.region:
        qs = qs.filter(subtree_q("region", f.region))
    if f.unit:
        unit = Unit.objects.filter(code=f.unit).first()
        ids = (
            list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)) if unit else []
        )
        qs = qs.filter(Q(lead_unit_id__in=ids) | Q(co_units__in=ids)).distinct() if ids else qs.none()
    if f.overdue is not None:
        cond = overdue_q(timezone.now())
        qs = qs.filter(cond) if f.overdue else qs.exclude(cond)
    if f.due_soon:
        qs = qs.filter(due_soon_q(timezone.now()))
    if f.channel:
        qs = qs.filter(channel__in=[c.strip() for c in f.channel.split(",") if c.strip()])
    if f.supervised == "true":
        qs = qs.exclude(supervision_level="")
    elif f.supervised == "false":
        qs = qs.filter(supervision_level="")
    elif f.supervised:
        qs = qs.filter(supervision_level=f.supervised)
    if f.open is not None:
        qs = qs.filter(status__in=OPEN_STATUSES) if f.open else qs.exclude(status__in=OPEN_STATUSES)
    if f.backlog is not None:
        qs = qs.filter(backlog=f.backlog)
    if f.leader == "me":
        qs = qs.filter(responsible_leader=user) if user is not None else qs.none()
    if f.q:
        qs = qs.filter(text_q(f.q))
    if f.created_after:
        qs = qs.filter(reported_at__gte=f.created_after)
    if f.created_before:
        qs = qs.filter(reported_at__lt=f.created_before)
    if f.closed_after:
        qs = qs.filter(closed_at__gte=f.closed_after)
    if f.closed_before:
        qs = qs.filter(closed_at__lt=f.closed_before)
    return _overdue_for(qs, f)


def _overdue_for(qs: QuerySet[Case], f: CaseFilter) -> QuerySet[Case]:
    """Overdue by N days or more (a due passed N days ago), and by less than M days."""
    if f.overdue_days_min is None and f.overdue_days_max is None:
        return qs
    now = timezone.now()
    qs = qs.filter(overdue_q(now - timedelta(days=f.overdue_days_min or 0)))
    if f.overdue_days_max is not None:
        qs = qs.exclude(overdue_q(now - timedelta(days=f.overdue_days_max)))
    return qs


def encode_cursor(position: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(value, dict) or not isinstance(value.get("id"), int):
            raise TypeError
        if not 1 <= value["id"] <= MAX_RECORD_ID:
            raise ValueError
        return value
    except (ValueError, TypeError):
        raise invalid({"cursor": "翻页游标无效"}) from None


# Ledger orders: newest first by default; by report time or resolve deadline on request (UI columns).
SORTS = ("-id", "reported_at", "-reported_at", "resolve_due", "-resolve_due")


def _sort_column(sort: str) -> str | None:
    return None if sort == "-id" else sort.lstrip("-")


def _ordered_after(qs: QuerySet[Case], sort: str, cursor: str | None) -> QuerySet[Case]:
    """Keyset order on (column, id) with NULL due times last, and the rows after `cursor`."""
    column = _sort_column(sort)
    desc = sort.startswith("-")
    after = decode_cursor(cursor) if cursor else None
    if column is None:
        if after:
            qs = qs.filter(id__lt=after["id"])
        return qs.order_by("-id")
    key = F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True)
    qs = qs.order_by(key, "-id" if desc else "id")
    if after:
        op = "lt" if desc else "gt"
        if after.get("v") is None:
            return qs.filter(**{f"{column}__isnull": True, f"id__{op}": after["id"]})
        try:
            at = datetime.fromisoformat(after["v"])
        except (TypeError, ValueError):
            raise invalid({"cursor": "翻页游标无效"}) from None
        qs = qs.filter(
            Q(**{f"{column}__{op}": at})
            | Q(**{column: at, f"id__{op}": after["id"]})
            | Q(**{f"{column}__isnull": True})
        )
    return qs


# What a ledger row holds: plain values, no model instances (they cost more than the query).
LEDGER_FIELDS = (
    "id", "number", "stream", "title", "channel", "status", "severity", "is_group", "reported_at",
    "accept_due", "sign_due", "resolve_due", "check_due", "supervision_level", "version",
    "category__code", "category__name", "region__code", "region__name", "lead_unit__code", "lead_unit__name",
    "handler__username", "handler__full_name", "overdue",
)  # fmt: skip


def with_overdue(qs: QS) -> QS:
    """`overdue` computed by the database from the same rule the filters use. A CASE rather than the
    bare condition, which is NULL (not false) when a due time is NULL."""
    overdue = SqlCase(
        When(overdue_q(timezone.now()), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return qs.annotate(overdue=overdue)


def case_page(
    user, f: CaseFilter, *, limit: int = 50, cursor: str | None = None, sort: str = "-id"
) -> tuple[list[dict], str | None]:
    """Keyset pagination, newest first unless sorted: stable under inserts and cheap at any depth."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid({"limit": f"每页条数应在 1 到 {MAX_LIMIT} 之间"})
    if sort not in SORTS:
        raise invalid({"sort": "不支持的排序方式"})
    qs = _ordered_after(filter_cases(Case.objects.visible_to(user), f, user), sort, cursor)
    rows = list(with_overdue(qs).values(*LEDGER_FIELDS)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        column = _sort_column(sort)
        next_cursor = encode_cursor({"id": last["id"], **({"v": last[column]} if column else {})})
    rows = rows[:limit]
    co_units: dict[int, list[tuple[str, str]]] = {r["id"]: [] for r in rows}
    links = Case.co_units.through.objects.filter(case_id__in=list(co_units)).values_list(
        "case_id", "unit__code", "unit__name"
    )
    for case_id, code, name in links:
        co_units[case_id].append((code, name))
    for r in rows:
        r["co_units"] = co_units[r["id"]]
    return rows, next_cursor


def case_count(user, f: CaseFilter) -> tuple[int, bool]:
    """The total of a filtered ledger (`with_total`): the number its desk tile shows, and whether it is
    only a floor. A keyword search counts up to search.COUNT_CAP (the desk tiles have no keyword)."""
    cases = filter_cases(Case.objects.visible_to(user), f, user)
    if (f.q or "").strip():
        return capped_count(cases)
    return cases.count(), False


def find_case(user, number: str) -> Case:
    """One case with what its page shows, if the user can see it; else 404 (and an excluded user's
    attempt is audited)."""
    case = (
        with_overdue(Case.objects.visible_to(user))
        # Few joins on purpose: on PostgreSQL, planning a nine-table join cost more than running it.
        .select_related(
            "category", "region", "lead_unit", "handler", "responsible_leader", "reporter", "agreement"
        )
        .prefetch_related(
            "co_units",
            "parties",
            "attachments",
            "work_records__author",
            "follow_ups",
            Prefetch("requests", queryset=CaseRequest.objects.select_related("requested_by", "decided_by")),
        )
        .filter(number=number)
        .first()
    )
    if case is None:
        _refused(user, number)
    return case


def _refused(user, number: str) -> NoReturn:
    note_refused(user, number)
    raise not_found()


def case_timeline(case: Case) -> list[CaseEvent]:
    """The events of a case already read through `visible_to`."""
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id"))


def last_event(case: Case, action: str) -> CaseEvent | None:
    """The latest `action` event of a case already found: what a step recorded, such as a rejection's
    reason and the channel the reporter was told to use (kept only in the event)."""
    return CaseEvent.objects.filter(case=case, action=action).order_by("-at", "-id").first()


def case_events(user, number: str) -> list[CaseEvent]:
    case = Case.objects.visible_to(user).filter(number=number).only("pk").first()
    if case is None:
        _refused(user, number)
    return case_timeline(case)


MAX_SIMILAR = 20


def similar_cases(user, number: str, *, limit: int = SHOWN) -> list[SimilarCase]:
    """相似案件 of a case on file: 404 out of scope, 403 for those who do not triage cases."""
    case = Case.objects.visible_to(user).select_related("category").filter(number=number).first()
    if case is None:
        _refused(user, number)
    if not may_look_for_similar(scope_of(user), case):
        raise forbidden("查找相似案件限受理分派、督查、领导和网格人员。")
    if not 1 <= limit <= MAX_SIMILAR:
        raise invalid({"limit": f"应在 1 到 {MAX_SIMILAR} 之间"})
    return similar_to_case(user, case, limit=limit)


def case_attachment(user, number: str, attachment_id: int) -> Attachment:
    """An attachment is readable exactly when its case is."""
    att = (
        Attachment.objects.filter(
            pk=attachment_id, case__number=number, case__in=Case.objects.visible_to(user)
        )
        .select_related("case")
        .first()
    )
    if att is None:
        _refused(user, number)
    return att


def decidable_requests(user) -> QuerySet[CaseRequest]:
    """Pending requests this user may decide (审批事项): the approvals inbox and its count on the home
    page. The query form of `may_take` for the decide_* actions (pingan.accounts.policy.holds_q)."""
    scope = scope_of(user)
    q = Q(pk__in=[])
    for kind in CaseRequest.Kind.values:
        for role in TRANSITIONS[f"decide_{kind}"].roles:
            held = policy.holds_q(scope, role, CASE_FIELDS)
            if held is not None:
                q |= Q(kind=kind, case__in=Case.objects.filter(held))
    return CaseRequest.objects.filter(q, decision=CaseRequest.Decision.PENDING)


def petitions_reaching_county(town: str, start: datetime, end: datetime) -> dict[str, int]:
    """Per village (12-digit code) of `town`: the petitions located there (a grid counts for its
    village) that reached the county unresolved in [start, end) — what 三零's 零上访 reads.

    Counted: a `petition` case registered (`reported_at`) in the period, whose lead unit sits at county
    level (the village and the town did not settle it: the county handles it), and which was not
    closed with outcome `resolved` before the period ended. Merged duplicates, withdrawn and rejected
    petitions are not counted (a merged one counts once, through its master)."""
    county_units = Unit.objects.filter(region__level="county")
    rows = (
        Case.objects.filter(
            subtree_q("region", town),
            stream="petition",
            reported_at__gte=start,
            reported_at__lt=end,
            lead_unit__in=county_units,
        )
        .exclude(status__in=("merged", "withdrawn", "rejected"))
        .exclude(outcome=Case.Outcome.RESOLVED, closed_at__lt=end)
        .values_list("region_id", flat=True)
    )
    counts: dict[str, int] = {}
    for code in rows:
        if len(code) >= 12:
            counts[code[:12]] = counts.get(code[:12], 0) + 1
    return counts


STEP_STATES = {"done": "已完成", "due": "待完成", "late": "已逾期"}


def leader_desk(user, today: date) -> list[dict]:
    """The 包案 leader's cases not yet signed off (GOVERNANCE §7), oldest assignment first, each with its
    plan steps' state: done, due (not yet done, its day not passed) or late. Three queries, however many
    cases: what the desk shows and the weekly digest tells."""
    assignments = (
        LeaderAssignment.objects.filter(
            leader=user,
            ended_at__isnull=True,
            signed_off_at__isnull=True,
            case__in=Case.objects.visible_to(user),
        )
        .select_related("case")
        .prefetch_related("steps", "team_units")
        .order_by("assigned_at", "pk")
    )
    rows = []
    for a in assignments:
        steps = []
        for s in a.steps.all():
            state = "done" if s.done_at else ("late" if s.due < today else "due")
            steps.append({"step": s, "state": state, "label": STEP_STATES[state]})
        rows.append(
            {
                "case": a.case,
                "team": list(a.team_units.all()),
                "steps": steps,
                "late": sum(1 for s in steps if s["state"] == "late"),
                "awaits_sign_off": a.case.status in (Status.RESOLVED, Status.CLOSED),
            }
        )
    return rows
