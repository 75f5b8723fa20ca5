"""Reads of the audit log shared by the 审计日志 page, its export, the auditor's desk and the API.

Who reads it: holders of the `auditor` role, through the `audit.view_auditentry` permission that
pingan.accounts.backends derives from roles (the Django admin asks the same permission). The log is
county-wide, like configuration: an auditor's grant is not narrowed to its region.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone

from pingan.core.errors import forbidden, invalid
from pingan.core.validation import record_id

from .changes import ANONYMOUS_ACTOR, PUBLIC_ACTOR, SYSTEM_ACTOR
from .labels import ACTION_LABELS, action_label, object_type_label
from .models import AuditEntry, AuditHead
from .summary import summarise

MAX_LIMIT = 200
FILTER_FIELDS = ("action", "actor", "case", "after", "before")
ACTOR_LABELS = {SYSTEM_ACTOR: "系统", PUBLIC_ACTOR: "群众", ANONYMOUS_ACTOR: "未登录者"}
MAX_ACTIONS = 50
# Times outside these years cannot be converted between zones, and no entry lies there.
EARLIEST, LATEST = 1900, 9000


def may_read_log(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("audit.view_auditentry"))


def check_reader(user) -> None:
    if not may_read_log(user):
        raise forbidden("审计日志仅供审计员查看。")


@dataclass(frozen=True)
class AuditFilter:
    """The filters of DESIGN §7 (`action`, `actor`, `case`, `after`, `before`), checked.

    `action` may list several codes separated by commas; `after` and `before` take a day (both
    inclusive, local time) or a time with its zone (from, and up to but not including)."""

    actions: tuple[str, ...] = ()
    actor: str = ""
    case: str = ""
    after: datetime | None = None
    before: datetime | None = None
    given: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def query(self) -> str:
        """The filters as a query string, as given, for links, pages and the export."""
        q = QueryDict(mutable=True)
        for name, value in self.given:
            q[name] = value
        return q.urlencode()

    def as_dict(self) -> dict[str, str]:
        return dict(self.given)


def _moment(value: str, *, end_of_day: bool) -> datetime:
    """A day (local) or an ISO time; a naive time is read as local time. Raises ValueError."""
    if len(value) == 10:
        day = date.fromisoformat(value)
        if not EARLIEST <= day.year < LATEST:
            raise ValueError(value)
        start = timezone.make_aware(datetime.combine(day, time.min))
        return start + timedelta(days=1) if end_of_day else start
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not EARLIEST <= moment.year < LATEST:
        raise ValueError(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_filter(params: Mapping[str, str | None]) -> AuditFilter:
    """Blank means "any". A bad value is the API's `invalid` error (400) with a Chinese message."""
    given = {n: (params.get(n) or "").strip() for n in FILTER_FIELDS}
    given = {n: v for n, v in given.items() if v}
    errors: dict[str, str] = {}
    actions: tuple[str, ...] = ()
    if "action" in given:
        actions = tuple(dict.fromkeys(a.strip() for a in given["action"].split(",") if a.strip()))
        unknown = [a for a in actions if a not in ACTION_LABELS]
        if unknown:
            errors["action"] = f"没有这种操作：{'、'.join(unknown[:5])}"[:200]
        elif len(actions) > MAX_ACTIONS:
            errors["action"] = f"一次最多筛选 {MAX_ACTIONS} 种操作"
    if len(given.get("actor", "")) > 150:
        errors["actor"] = "操作人不能超过 150 个字"
    if len(given.get("case", "")) > 64:
        errors["case"] = "案件编号不能超过 64 个字"
    moments: dict[str, datetime | None] = {"after": None, "before": None}
    for name in moments:
        if name in given:
            try:
                moments[name] = _moment(given[name], end_of_day=name == "before")
            except ValueError:
                errors[name] = "日期格式不正确，应如 2026-12-05 或 2026-12-05T09:30:00+08:00"
    after, before = moments["after"], moments["before"]
    if after and before and after >= before:
        errors["before"] = "截止日期不能早于起始日期"
    if errors:
        raise invalid(errors, "筛选条件有误，请检查标出的项。")
    return AuditFilter(
        actions=actions,
        actor=given.get("actor", ""),
        case=given.get("case", ""),
        after=after,
        before=before,
        given=tuple(given.items()),
    )


def _actors(text: str) -> list[str]:
    """The actor names a typed name stands for: a username, part of a person's name, 系统, 群众, 未登录者."""
    names = {text} | {code for code, label in ACTOR_LABELS.items() if text == label}
    users = get_user_model().objects.filter(Q(username__iexact=text) | Q(full_name__icontains=text))
    names.update(users.values_list("username", flat=True))
    return sorted(names)


def filter_q(f: AuditFilter) -> Q:
    q = Q()
    if f.actions:
        q &= Q(action__in=f.actions)
    if f.actor:
        q &= Q(actor__in=_actors(f.actor))
    if f.case:
        q &= Q(object_type="case", object_id=f.case)
    if f.after:
        q &= Q(at__gte=f.after)
    if f.before:
        q &= Q(at__lt=f.before)
    return q


def entries(f: AuditFilter) -> QuerySet[AuditEntry]:
    """The filtered log, newest first (in the order the chain was written)."""
    return AuditEntry.objects.filter(filter_q(f)).order_by("-id")


def count(f: AuditFilter) -> int:
    """The filtered log's size. Unfiltered, the sum of the chain heads' counts: the same number while
    the chains are intact (rows cannot be deleted through the ORM, and the chain check reports rows deleted
    behind its back), without counting a table that reaches millions of rows in a province."""
    if f == AuditFilter():
        heads = AuditHead.objects.aggregate(n=Sum("count"))["n"]
        if heads is not None:
            return heads
    return AuditEntry.objects.filter(filter_q(f)).count()


def entry_page(
    f: AuditFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[AuditEntry], str | None]:
    """Keyset pages on the id, newest first: stable while entries are appended, cheap at any depth."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid({"limit": f"每页条数应在 1 到 {MAX_LIMIT} 之间"})
    qs = entries(f).defer("prev_hash", "hash")
    if cursor:
        before = record_id(cursor)
        if before is None:
            raise invalid({"cursor": "翻页游标无效"})
        qs = qs.filter(id__lt=before)
    rows = list(qs[: limit + 1])
    next_cursor = str(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """Each actor's display name: the person's name, else the username; 系统 and 群众 for those."""
    wanted = set(actors)
    names = dict.fromkeys(wanted, "")
    names.update({a: label for a, label in ACTOR_LABELS.items() if a in wanted})
    users = get_user_model().objects.filter(username__in=wanted - set(ACTOR_LABELS))
    for username, full_name in users.values_list("username", "full_name"):
        names[username] = full_name
    return {a: name or a for a, name in names.items()}


def entry_rows(rows: list[AuditEntry], *, summary_limit: int | None = 120) -> list[dict]:
    """What a row of the page, the API and the export shows: labels, names and a readable summary."""
    names = actor_names(e.actor for e in rows)
    return [
        {
            "id": e.pk,
            "at": e.at,
            "actor": e.actor,
            "actor_name": names[e.actor],
            "action": e.action,
            "action_label": action_label(e.action),
            "object_type": e.object_type,
            "object_type_label": object_type_label(e.object_type) if e.object_type else "",
            "object_id": e.object_id,
            "data": e.data,
            "summary": summarise(e.data, e.object_type, limit=summary_limit),
        }
        for e in rows
    ]
